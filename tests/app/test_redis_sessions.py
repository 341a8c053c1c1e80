"""With GVI_REDIS_URL, sessions and login throttling live in Redis, so two app
instances serve one user: sign in on one, carry on on the other, sign out on
either."""

from __future__ import annotations

import dataclasses
import os

import pytest
from litestar.testing import AsyncTestClient

from gvi.app import create_app
from gvi.settings import get_settings
from tests.clients import SESSION_COOKIE, csrf_from, login
from tests.database import reference_municipality
from tests.factories import make_user

REDIS_URL = os.environ.get("GVI_TEST_REDIS_URL", "")
needs_redis = pytest.mark.skipif(
    not REDIS_URL and os.environ.get("CI") != "true",
    reason="set GVI_TEST_REDIS_URL=redis://127.0.0.1:6379/15 to run",
)


@needs_redis
async def test_two_instances_share_sessions_through_redis(db: None) -> None:
    assert REDIS_URL, "CI must provide GVI_TEST_REDIS_URL"
    await reference_municipality("0125")
    _, secret = await make_user("delad1", "coordinator", municipality_codes=["0125"])
    settings = dataclasses.replace(get_settings(), redis_url=REDIS_URL)
    first, second = create_app(settings), create_app(settings)
    base = "https://testserver.local"
    async with AsyncTestClient(app=first, base_url=base) as a:
        await login(a, "delad1", secret)
        cookie = a.cookies.get(SESSION_COOKIE)
        assert cookie
    async with AsyncTestClient(app=second, base_url=base) as b:
        b.cookies.set(SESSION_COOKIE, cookie, domain="testserver.local")
        home = await b.get("/", follow_redirects=False)
        assert home.status_code == 200
        r = await b.post(
            "/logout", data={"csrf_token": csrf_from(home.text)}, follow_redirects=False
        )
        assert r.status_code == 303
    async with AsyncTestClient(app=first, base_url=base) as a:
        a.cookies.set(SESSION_COOKIE, cookie, domain="testserver.local")
        assert (await a.get("/", follow_redirects=False)).status_code == 303
