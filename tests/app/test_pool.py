"""The PostgreSQL connection pool opens in the app's lifespan and serves requests."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
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


@engines_only("sqlite")
async def test_sqlite_pool_reuses_connections_in_the_app_and_closes_them(db: None) -> None:
    from gvi.db import SQLITE_POOL_MAX, PooledSQLiteEngine
    from gvi.municipalities.tables import Municipality

    engine = engine_finder()
    assert isinstance(engine, PooledSQLiteEngine)
    settings = dataclasses.replace(get_settings(), db_pool_max=10)
    async with AsyncTestClient(app=create_app(settings), base_url="https://testserver.local") as c:
        for _ in range(20):
            assert (await c.get("/readyz")).status_code == 200
        # The app's queries went through at most SQLITE_POOL_MAX open connections…
        opened = list(engine._opened)
        assert 1 <= len(opened) <= SQLITE_POOL_MAX
        # …and are reused, not replaced.
        for _ in range(5):
            assert (await c.get("/readyz")).status_code == 200
        assert engine._opened == opened
        # This test's own loop is not the app's: it opens connections as before, and
        # sees at once what the pooled connections committed (and the other way round).
        assert not engine.pooled
        await Municipality(name="Poolby", code="9977").save()
        assert await Municipality.exists().where(Municipality.code == "9977")
    assert engine._opened == []
    assert not engine.pooled


@engines_only("sqlite")
async def test_sqlite_pool_survives_failed_and_rolled_back_transactions(db: None) -> None:
    """A transaction that rolls back, and one whose BEGIN never succeeds (the file
    locked by another process past the busy timeout), give their connection back:
    the pool neither leaks nor hands out a connection still inside a transaction."""
    import sqlite3

    from gvi.db import SQLITE_POOL_MAX, write_transaction
    from gvi.municipalities.tables import Municipality

    engine = engine_finder()

    async def rolled_back() -> None:
        async with write_transaction(engine):
            await Municipality(name="Bortby", code="9966").save()
            raise RuntimeError("rolled back")

    async def empty() -> None:
        async with write_transaction(engine):
            pass

    timeout = engine.connection_kwargs["timeout"]
    engine.connection_kwargs["timeout"] = 0.05  # the pooled connections' busy timeout
    await engine.start_pool(SQLITE_POOL_MAX)
    try:
        for _ in range(SQLITE_POOL_MAX + 2):
            with pytest.raises(RuntimeError):
                await rolled_back()
        assert not await Municipality.exists().where(Municipality.code == "9966")
        assert 1 <= len(engine._opened) <= SQLITE_POOL_MAX
        assert all(not c.in_transaction for c in engine._opened)

        blocker = sqlite3.connect(engine.connection_kwargs["database"])
        blocker.execute("BEGIN IMMEDIATE")
        try:
            for _ in range(SQLITE_POOL_MAX + 2):
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    # A leaked pool would wait for a connection for ever.
                    await asyncio.wait_for(empty(), timeout=10)
        finally:
            blocker.rollback()
            blocker.close()

        # Every connection came back: the pool still serves writes and reads (a
        # leaked pool would leave this waiting for a connection for ever).
        async def write() -> None:
            async with write_transaction(engine):
                await Municipality(name="Efterby", code="9965").save()

        await asyncio.wait_for(write(), timeout=10)
        assert await Municipality.exists().where(Municipality.code == "9965")
        assert len(engine._opened) <= SQLITE_POOL_MAX
    finally:
        await engine.close_pool()
        engine.connection_kwargs["timeout"] = timeout
    assert engine._opened == []


@engines_only("postgres")
async def test_postgres_pool_gives_back_connections_without_a_reset_query_and_still_clean(
    db: None,
) -> None:
    """Released connections skip asyncpg's reset query (a round trip each time), yet
    a transaction that failed is rolled back before its connection is reused, and
    the next request on the same single connection works."""
    from gvi.db import write_transaction
    from gvi.municipalities.tables import Municipality

    engine = engine_finder()
    settings = dataclasses.replace(get_settings(), db_pool_min=1, db_pool_max=1)
    statements: list[str] = []
    async with AsyncTestClient(app=create_app(settings), base_url="https://testserver.local") as c:
        assert engine.pool is not None
        assert (await c.get("/readyz")).status_code == 200

        async def fail_in_transaction() -> None:
            async with write_transaction(engine):
                await Municipality(name="Rullby", code="9978").save()
                raise RuntimeError("boom")

        async def in_the_apps_loop() -> tuple[bool, bool]:
            with pytest.raises(RuntimeError):
                await fail_in_transaction()
            async with engine.pool.acquire() as conn:
                conn.add_query_logger(lambda q: statements.append(q.query))
                in_transaction = conn.is_in_transaction()
                exists = await conn.fetchval(
                    "SELECT count(*) FROM municipality WHERE code = '9978'"
                )
            return in_transaction, bool(exists)

        # The pool belongs to the app's event loop: run there (the test client's portal).
        in_transaction, exists = c.blocking_portal.call(in_the_apps_loop)  # type: ignore[union-attr]
        assert not in_transaction
        assert not exists
        assert (await c.get("/readyz")).status_code == 200
    assert not any("RESET ALL" in q or "UNLISTEN" in q for q in statements)


_SESSION_STATE = (
    # Session-level state a connection would carry to its next user.
    r"[\"']\s*SET\s+(?!LOCAL\b)",  # a statement that starts with SET (not UPDATE … SET)
    r"\bLISTEN\b",
    r"pg_advisory_lock\(",
    r"\bWITH\s+HOLD\b",
    r"set_config\([^)]*,\s*false\s*\)",
    r"\bPREPARE\s+\w+\s+AS\b",
)


def test_the_app_keeps_no_session_state_on_pooled_connections() -> None:
    """Why the reset query can be skipped (gvi.db._keep_session_state): no code in
    the app sets session settings, listens, takes session advisory locks, holds
    cursors or prepares named statements."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "gvi"
    found = []
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in _SESSION_STATE:
            for match in re.finditer(pattern, text):  # the app writes SQL in upper case
                found.append(f"{path.relative_to(root)}: {match.group(0)}")
    assert found == []
