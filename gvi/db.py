"""Database engines: the embedded SQLite default and PostgreSQL for production.

Piccolo opens a fresh SQLite connection per query outside a transaction, so the
per-connection pragmas live in a ``sqlite3.Connection`` subclass that every
connection is created with.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from gvi.settings import Settings


class _GviSQLiteConnection(sqlite3.Connection):
    """Every connection: foreign keys on, fsync on each commit (FULL)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.execute("PRAGMA foreign_keys = ON")
        self.execute("PRAGMA synchronous = FULL")


def build_engine(settings: Settings) -> Engine:  # type: ignore[type-arg]
    if settings.is_postgres:
        return PostgresEngine(
            config={"dsn": settings.database_url},
            # No extensions: the app's role need not be able to CREATE EXTENSION.
            extensions=(),
        )
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = SQLiteEngine(
        path=str(path),
        timeout=settings.sqlite_busy_timeout_ms / 1000,
        factory=_GviSQLiteConnection,
    )
    # WAL is a property of the file and persists; set it before anything else opens it.
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
    return engine


def write_transaction(engine: Engine) -> Any:  # type: ignore[type-arg]
    """A transaction for read-then-write work.

    On SQLite it is ``BEGIN IMMEDIATE`` so the write lock is taken up front and
    two writers cannot both read stale data and then fail on upgrade.
    """
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


@asynccontextmanager
async def lifespan_pool(engine: Engine, settings: Settings) -> AsyncIterator[None]:  # type: ignore[type-arg]
    """Open the PostgreSQL pool for the app's lifetime; a no-op on SQLite or with
    ``GVI_DB_POOL_MAX=0`` (one connection per query, as the tests use)."""
    if isinstance(engine, PostgresEngine) and settings.db_pool_max > 0:
        await engine.start_connection_pool(
            min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )
        try:
            yield
        finally:
            await engine.close_connection_pool()
    else:
        yield
