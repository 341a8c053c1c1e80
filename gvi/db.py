"""Database engines: the embedded SQLite default and PostgreSQL for production.

Piccolo opens a fresh SQLite connection (and thread) per query outside a
transaction, so the per-connection pragmas live in a ``sqlite3.Connection``
subclass that every connection is created with. While the app runs, those
queries use a small pool of open connections instead (:class:`PooledSQLiteEngine`):
a new connection costs ~2.5 ms (a thread, the file, the schema parsed again),
more than most of the queries themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import weakref
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from piccolo.columns import Column
from piccolo.columns.combination import WhereRaw
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from gvi.settings import Settings


def make_private(database: str | os.PathLike[str]) -> None:
    """The SQLite file, its -wal and its -shm readable by the owner only (0600).

    SQLite creates the database 0644 (less the umask) and gives the -wal and
    -shm files the database file's mode, so the file is created 0600 before
    SQLite opens it; files an older version left group- or world-readable are
    tightened. The identities in it are encrypted; the rest (groups, cases,
    the audit trail) is not."""
    path = os.fspath(database)
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for name in (path, path + "-wal", path + "-shm"):
        with contextlib.suppress(FileNotFoundError):
            if os.stat(name).st_mode & 0o077:
                os.chmod(name, 0o600)


class _GviSQLiteConnection(sqlite3.Connection):
    """Every connection: the files private (0600), foreign keys on, fsync on
    each commit (FULL)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        database = args[0] if args else kwargs.get("database", "")
        if isinstance(database, str | os.PathLike):
            make_private(database)
        super().__init__(*args, **kwargs)
        self.execute("PRAGMA foreign_keys = ON")
        self.execute("PRAGMA synchronous = FULL")


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine with a pool for the queries run outside a transaction.

    The pool belongs to the event loop that opened it (in the app's lifespan, see
    :func:`lifespan_pool`) and is closed there; any other loop (a CLI command, a
    test's own queries) and every transaction open connections as Piccolo does.
    Transactions borrow a pooled connection too and give it back when they close
    it, after their COMMIT or ROLLBACK. Each pooled query commits at once, exactly
    as a fresh connection would, so no connection ever holds a snapshot or a lock
    while it waits in the pool. A connection whose query failed, or that is
    somehow still in a transaction, is closed rather than reused.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pool: asyncio.LifoQueue[Any] | None = None
        self._pool_loop: asyncio.AbstractEventLoop | None = None
        self._pool_size = 0
        self._opened: list[Any] = []

    async def start_pool(self, size: int) -> None:
        self._pool = asyncio.LifoQueue()
        self._pool_loop = asyncio.get_running_loop()
        self._pool_size = size
        self._opened = []

    async def close_pool(self) -> None:
        opened, self._opened = self._opened, []
        self._pool, self._pool_loop = None, None
        for connection in opened:
            await connection.close()

    @property
    def pooled(self) -> bool:
        return self._pool is not None and self._pool_loop is asyncio.get_running_loop()

    async def _acquire(self) -> Any:
        assert self._pool is not None
        if self._pool.empty() and len(self._opened) < self._pool_size:
            connection = await super().get_connection()
            self._opened.append(connection)
            return connection
        return await self._pool.get()

    async def get_connection(self) -> Any:
        """A transaction's connection: a pooled one, lent until the transaction
        closes it (after its COMMIT or ROLLBACK)."""
        if not self.pooled:
            return await super().get_connection()
        return _Lease(self, await self._acquire())

    async def _release(self, connection: Any, *, healthy: bool) -> None:
        if healthy and self._pool is not None and connection in self._opened:
            self._pool.put_nowait(connection)
            return
        if connection in self._opened:
            self._opened.remove(connection)
        # The caller is already raising: a failure to close must not hide why.
        with contextlib.suppress(sqlite3.Error):
            await connection.close()

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        if not self.pooled or sqlite3.sqlite_version_info < (3, 35):
            # Before 3.35 Piccolo reads an insert's key back its own way.
            return await super()._run_in_new_connection(query, args, query_type, table)
        connection = await self._acquire()
        healthy = False
        try:
            async with connection.execute(query, args or []) as cursor:
                await connection.commit()
                rows = await cursor.fetchall()
            healthy = True
            return rows
        finally:
            await self._release(connection, healthy=healthy)


class _Lease:
    """A pooled connection lent to a transaction: ``close()`` gives it back, unless
    a transaction is somehow still open on it (then it is really closed)."""

    __slots__ = ("_connection", "_engine")

    def __init__(self, engine: PooledSQLiteEngine, connection: Any) -> None:
        object.__setattr__(self, "_engine", engine)
        object.__setattr__(self, "_connection", connection)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._connection, name, value)

    async def close(self) -> None:
        await self._engine._release(self._connection, healthy=not self._connection.in_transaction)


def build_engine(settings: Settings) -> Engine:  # type: ignore[type-arg]
    if settings.is_postgres:
        return PostgresEngine(
            config={"dsn": settings.database_url},
            # No extensions: the app's role need not be able to CREATE EXTENSION.
            extensions=(),
        )
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = PooledSQLiteEngine(
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
    two writers cannot both read stale data and then fail on upgrade; the
    writers of one process queue for it in turn (:class:`_SQLiteWrite`).
    """
    if isinstance(engine, SQLiteEngine):
        return _SQLiteWrite(engine)
    return engine.transaction()


def app_engine() -> Engine:  # type: ignore[type-arg]
    """The engine every table of the app uses (they share the one of
    ``piccolo_conf``): what a service opens its :func:`write_transaction` on."""
    from piccolo.engine.finder import engine_finder

    engine: Engine | None = engine_finder()  # type: ignore[type-arg]
    if engine is None:
        raise RuntimeError("no database engine: is PICCOLO_CONF=gvi.piccolo_conf set?")
    return engine


def writing() -> Any:
    """:func:`write_transaction` on :func:`app_engine`: ``async with writing(): …``."""
    return write_transaction(app_engine())


# Readers of one process rarely need more: SQLite reads run in parallel threads,
# but the work is bound by the process's own event loop long before that.
SQLITE_POOL_MAX = 4

_WRITE_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


class _SQLiteWrite:
    """``BEGIN IMMEDIATE``, after waiting in line behind this process's other writers.

    SQLite has one writer at a time, and a writer that finds the file locked
    sleeps and retries until the busy timeout. Under load (the bench's 50
    simultaneous users) that polling is unfair: an unlucky writer kept losing
    the race past the timeout and the request failed with "database is
    locked". Queued on an asyncio lock (first come, first served) the writers
    of the process never contend for the file; other processes (a CLI command,
    a backup) still meet the busy timeout as before. A transaction opened
    inside another one joins it and does not queue (it would wait for itself).
    """

    def __init__(self, engine: SQLiteEngine) -> None:
        self._engine = engine
        self._lock: asyncio.Lock | None = None
        self._transaction: Any = None

    async def __aenter__(self) -> Any:
        if self._engine.current_transaction.get() is None:
            loop = asyncio.get_running_loop()
            lock = _WRITE_LOCKS.get(loop)
            if lock is None:
                lock = _WRITE_LOCKS[loop] = asyncio.Lock()
            await lock.acquire()
            self._lock = lock
        try:
            self._transaction = self._engine.transaction(transaction_type=TransactionType.immediate)
            return await self._transaction.__aenter__()
        except BaseException:
            # BEGIN failed (the file stayed locked past the busy timeout): the
            # connection Piccolo opened for it would otherwise never be closed or,
            # pooled, never given back.
            connection = getattr(self._transaction, "connection", None)
            if connection is not None and self._engine.current_transaction.get() is None:
                await connection.close()
            self._release()
            raise

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self._transaction.__aexit__(*exc_info)
        finally:
            self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


async def _keep_session_state(connection: Any) -> None:
    """Given back to the pool without asyncpg's reset query (``RESET ALL``,
    ``UNLISTEN *``, ``CLOSE ALL``, ``pg_advisory_unlock_all()``): a round trip on
    every release, two per page. asyncpg still rolls back a transaction left open.
    The app keeps no session state to reset: its settings are ``SET LOCAL``, its
    locks ``pg_advisory_xact_lock``, and it neither listens nor holds cursors
    (``tests/app/test_pool.py`` checks the code for anything else)."""


@asynccontextmanager
async def lifespan_pool(engine: Engine, settings: Settings) -> AsyncIterator[None]:  # type: ignore[type-arg]
    """Open the connection pool for the app's lifetime (PostgreSQL: asyncpg's pool;
    SQLite: :class:`PooledSQLiteEngine`'s); ``GVI_DB_POOL_MAX=0`` means one
    connection per query, as the in-process tests use."""
    if isinstance(engine, PooledSQLiteEngine) and settings.db_pool_max > 0:
        await engine.start_pool(min(settings.db_pool_max, SQLITE_POOL_MAX))
        try:
            yield
        finally:
            await engine.close_pool()
    elif isinstance(engine, PostgresEngine) and settings.db_pool_max > 0:
        await engine.start_connection_pool(
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
            reset=_keep_session_state,
        )
        try:
            yield
        finally:
            await engine.close_connection_pool()
    else:
        yield


async def pg_fetch(engine: PostgresEngine, sql: str, *args: Any) -> list[Any]:
    """One statement with ``$n`` parameters straight on asyncpg, for the busiest
    reads: in the caller's transaction when one is open, else on a pooled
    connection (or a new one when no pool runs, as Piccolo does). The rows are
    asyncpg records (``row["column"]``). A statement outside a transaction is a
    transaction of its own: a read that writes its audit event in the same
    statement commits both or neither."""
    current = engine.current_transaction.get()
    if current is not None:
        return list(await current.connection.fetch(sql, *args))
    if engine.pool is not None:
        async with engine.pool.acquire() as connection:
            return list(await connection.fetch(sql, *args))
    connection = await engine.get_new_connection()
    try:
        return list(await connection.fetch(sql, *args))
    finally:
        await connection.close()


def ids_clause(engine_type: str, column: str) -> str:
    """``column`` is one of a set of ids given as one parameter (``{}``, see
    :func:`ids_param`): ``= ANY($1)`` with an array on PostgreSQL,
    ``IN (SELECT value FROM json_each(?))`` on SQLite. *column* is SQL from the
    code, never input."""
    if engine_type == "postgres":
        return f"{column} = ANY({{}})"
    return f"{column} IN (SELECT value FROM json_each({{}}))"  # noqa: S608


def ids_param(engine_type: str, ids: Iterable[int]) -> Any:
    """The parameter :func:`ids_clause` takes; an empty set matches nothing."""
    values = sorted({int(i) for i in ids})
    return values if engine_type == "postgres" else json.dumps(values)


def one_of(column: Column, ids: Iterable[int]) -> WhereRaw:
    """``column IN ids`` with the ids as one parameter, for scoping by a user's
    municipalities or units (up to all 290). Piccolo's ``is_in`` binds one
    parameter per id, and building that query cost more than running it for a
    user of every municipality."""
    engine_type = column._meta.engine_type
    name = column._meta.get_full_name(with_alias=False)
    return WhereRaw(ids_clause(engine_type, name), ids_param(engine_type, ids))
