"""Production refuses unsafe settings and known demo accounts."""

from __future__ import annotations

import asyncio
import dataclasses

import click
import pytest

from gvi.cli import _refuse_unsafe_production
from gvi.settings import get_settings
from tests.database import reference_municipality
from tests.factories import make_user

GOOD = {
    "env": "production",
    "secure_cookies": True,
    "secret_key": "q" * 48,
    "data_key": "k9:" + "A" * 43 + "=",
    "audit_key": "a9:" + "B" * 43 + "=",
    "audit_signing_key": "s9:" + "C" * 43 + "=",
}


async def test_production_refuses_insecure_settings(db: None) -> None:
    base = dataclasses.replace(get_settings(), **GOOD)
    await asyncio.to_thread(_refuse_unsafe_production, base)  # all good: no exception
    for change, words in (
        ({"secure_cookies": False}, "GVI_SECURE_COOKIES"),
        ({"secret_key": ""}, "GVI_SECRET_KEY"),
        ({"data_key": ""}, "GVI_DATA_KEY"),
        ({"audit_key": ""}, "GVI_AUDIT_KEY"),
        ({"audit_signing_key": ""}, "GVI_AUDIT_SIGNING_KEY"),
        ({"audit_key": "a9:short"}, "audit key"),
    ):
        with pytest.raises(click.ClickException, match=words):
            await asyncio.to_thread(_refuse_unsafe_production, dataclasses.replace(base, **change))


async def test_production_refuses_demo_accounts(db: None) -> None:
    await reference_municipality("0125")
    await make_user("samordnare", "coordinator", municipality_codes=["0125"])
    settings = dataclasses.replace(get_settings(), **GOOD)
    with pytest.raises(click.ClickException, match="demo accounts"):
        await asyncio.to_thread(_refuse_unsafe_production, settings)
