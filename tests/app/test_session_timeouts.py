"""Sessions end after the idle timeout and after the absolute timeout."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from gvi.municipalities.tables import Municipality
from gvi.settings import get_settings
from tests.clients import BASE, login
from tests.database import reference_municipality
from tests.factories import make_user


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr("gvi.security.sessions.time", SimpleNamespace(time=c.time))
    return c


async def _signed_in(app: Litestar, client: AsyncTestClient, name: str) -> None:  # type: ignore[type-arg]
    if not await Municipality.exists().where(Municipality.code == "0125"):
        await reference_municipality("0125")
    _, secret = await make_user(name, "coordinator", municipality_codes=["0125"])
    await login(client, name, secret)
    assert (await client.get("/", follow_redirects=False)).status_code == 200


async def test_idle_timeout_ends_the_session(app: Litestar, clock: Clock) -> None:
    idle = get_settings().session_idle_minutes * 60
    async with AsyncTestClient(app=app, base_url=BASE) as c:
        await _signed_in(app, c, "idle1")
        clock.offset = idle - 60  # active just before the limit: still signed in
        assert (await c.get("/", follow_redirects=False)).status_code == 200
        clock.offset += idle + 1  # then idle for longer than the limit
        r = await c.get("/", follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/login"


async def test_absolute_timeout_ends_even_an_active_session(app: Litestar, clock: Clock) -> None:
    settings = get_settings()
    step = settings.session_idle_minutes * 60 - 60
    async with AsyncTestClient(app=app, base_url=BASE) as c:
        await _signed_in(app, c, "absolut1")
        # Keep the session busy, never idle for long, until past the absolute limit.
        while clock.offset + step < settings.session_max_hours * 3600:
            clock.offset += step
            assert (await c.get("/", follow_redirects=False)).status_code == 200
        clock.offset += step
        r = await c.get("/", follow_redirects=False)
        assert r.status_code == 303
