"""Fixtures of the OIDC tests: a loopback provider and the app configured for it.

Settings are read once per process (``get_settings`` is cached): a test that
changes a ``GVI_*`` variable clears the cache before and after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gvi.settings import get_settings
from tests.oidc.fake_provider import CLIENT_ID, CLIENT_SECRET, FakeProvider, running_fake_provider


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set GVI_* variables for one test; the cached settings follow them."""
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def provider(settings_env: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    with running_fake_provider() as p:
        for name, value in {
            "GVI_OIDC_ISSUER": p.issuer,
            "GVI_OIDC_CLIENT_ID": CLIENT_ID,
            "GVI_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "GVI_OIDC_NAME": "Testkommunens konto",
            "GVI_OIDC_TWO_FACTOR_AMR": "mfa",
        }.items():
            settings_env.setenv(name, value)
        get_settings.cache_clear()
        yield p
