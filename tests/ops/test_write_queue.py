"""Writers of one process take turns for SQLite's single write lock instead of
racing for it: more simultaneous write transactions than the busy timeout can
absorb all commit, none fails with "database is locked" (the bench's 50-user
load test did, before). On PostgreSQL the same writes simply run side by side."""

from __future__ import annotations

import asyncio

from gvi.db import write_transaction
from gvi.municipalities.tables import Municipality
from gvi.settings import get_settings

WRITERS = 30


async def test_simultaneous_writers_all_commit(db: None) -> None:
    engine = Municipality._meta.db
    # Each writer holds the lock this long: together well past the busy timeout.
    hold = 1.2 * get_settings().sqlite_busy_timeout_ms / 1000 / WRITERS

    async def writer(n: int) -> None:
        async with write_transaction(engine):
            await Municipality(name=f"Kö {n:02d}", code=f"8{n:03d}").save()
            await asyncio.sleep(hold)

    await asyncio.gather(*(writer(n) for n in range(WRITERS)))

    names = {r["name"] for r in await Municipality.select(Municipality.name)}
    assert {f"Kö {n:02d}" for n in range(WRITERS)} <= names


async def test_a_nested_write_joins_the_outer_one(db: None) -> None:
    engine = Municipality._meta.db
    async with write_transaction(engine):
        await Municipality(name="Yttre", code="8901").save()
        async with asyncio.timeout(5), write_transaction(engine):
            await Municipality(name="Inre", code="8902").save()
    names = {r["name"] for r in await Municipality.select(Municipality.name)}
    assert {"Yttre", "Inre"} <= names
