"""The PostgreSQL connection pool opens in the app's lifespan and serves requests."""

from __future__ import annotations

import dataclasses

from litestar.testing import AsyncTestClient
from piccolo.engine import engine_finder

from gvi.app import create_app
from gvi.settings import get_settings
from tests.conftest import engines_only


@engines_only("postgres")
async def test_pool_opens_and_closes_with_the_app(db: None) -> None:
    engine = engine_finder()
    settings = dataclasses.replace(get_settings(), db_pool_min=1, db_pool_max=3)
    async with AsyncTestClient(app=create_app(settings), base_url="https://testserver.local") as c:
        assert engine.pool is not None
        assert engine.pool.get_max_size() == 3
        r = await c.get("/readyz")
        assert r.status_code == 200
    assert engine.pool is None
