"""Test configuration: one real database per run, migrated once, emptied between tests.

The engine comes from ``GVI_TEST_ENGINE``: ``sqlite`` (default; a file in a
temporary directory) or ``postgres`` (a fresh database created next to
``GVI_TEST_POSTGRES_URL`` and dropped at the end). ``make test`` runs the
suite once per engine.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ENGINE = os.environ.get("GVI_TEST_ENGINE", "sqlite")
_TMP = Path(tempfile.mkdtemp(prefix="gvi-test-"))
_PG_ADMIN_URL = os.environ.get("GVI_TEST_POSTGRES_URL", "")
_PG_DBNAME = f"gvi_test_{os.getpid()}_{secrets.token_hex(3)}"

if ENGINE == "postgres":
    if not _PG_ADMIN_URL:
        raise pytest.UsageError("GVI_TEST_ENGINE=postgres needs GVI_TEST_POSTGRES_URL")
    parts = urlsplit(_PG_ADMIN_URL)
    DATABASE_URL = urlunsplit(parts._replace(path=f"/{_PG_DBNAME}"))
else:
    DATABASE_URL = f"sqlite:///{_TMP / 'gvi-test.sqlite3'}"

# Fixed before any gvi module is imported: settings are read once.
os.environ.update(
    {
        "GVI_ENV": "test",
        "GVI_DATABASE_URL": DATABASE_URL,
        "GVI_VAR_DIR": str(_TMP / "var"),
        "GVI_DATA_KEY": "k1:" + base64.b64encode(b"\x01" * 32).decode(),
        "GVI_AUDIT_KEY": "a1:" + base64.b64encode(b"\x02" * 32).decode(),
        "GVI_AUDIT_SIGNING_KEY": "s1:" + base64.b64encode(b"\x03" * 32).decode(),
        "GVI_SECRET_KEY": "test-secret-key-not-for-production-0123456789",
        "GVI_SECURE_COOKIES": "true",
        "GVI_ALLOWED_HOSTS": "testserver.local,127.0.0.1,localhost",
        "PICCOLO_CONF": "gvi.piccolo_conf",
        # The test client runs the app on its own event loop; a pool opened there
        # could not serve the test's own queries. tests/app/test_pool.py covers the pool.
        "GVI_DB_POOL_MAX": "0",
    }
)
os.environ.pop("GVI_REDIS_URL", None)


def _pg_admin(sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(_PG_ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def pytest_report_header(config: pytest.Config) -> str:
    where = _PG_DBNAME if ENGINE == "postgres" else DATABASE_URL
    return f"gvi test engine: {ENGINE} ({where})"


def pytest_sessionstart(session: pytest.Session) -> None:
    if ENGINE == "postgres":
        _pg_admin(f'CREATE DATABASE "{_PG_DBNAME}"')


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests.jobs.support import SHARED

    SHARED.stop()  # before its database goes
    if ENGINE == "postgres":
        _pg_admin(f'DROP DATABASE IF EXISTS "{_PG_DBNAME}" WITH (FORCE)')


def engines_only(*engines: str) -> pytest.MarkDecorator:
    """Mark a test that only means something on some engines."""
    return pytest.mark.skipif(ENGINE not in engines, reason=f"only on {', '.join(engines)}")


@pytest.fixture(autouse=True)
def _cheap_hashing() -> None:
    """Argon2 at production cost makes every login in a test take 0.5 s or more; the
    parameters are tested on their own in tests/accounts. Set before *every* test: a
    test that restores production cost (``configure_hasher(None)``) must not leave it
    for the rest of the run (that once made the suite three times slower)."""
    from gvi.accounts import passwords, totp

    passwords.configure_hasher(passwords.TEST_PARAMETERS)
    totp.configure_recovery_hasher(passwords.TEST_PARAMETERS)


@pytest.fixture(scope="session")
async def migrated() -> AsyncIterator[None]:
    from gvi.core.migrate import migrate

    await migrate()
    return


@pytest.fixture
async def db(migrated: None) -> AsyncIterator[None]:
    """A migrated database that is emptied after the test (the audit trail excepted:
    it is append-only by design, and tests read it by their own ids)."""
    yield
    from tests.database import empty_database

    await empty_database()


@pytest.fixture
def tmp_var() -> Iterator[Path]:
    return _TMP / "var"


@pytest.fixture
def job_worker(migrated: None) -> None:
    """The shared `gvi worker` process (tests/jobs/support.py), started once, as
    `make run` starts one beside `gvi serve`."""
    from tests.jobs.support import SHARED

    SHARED.start()


@pytest.fixture
def no_job_worker(migrated: None) -> None:
    """No shared worker while this test runs: it runs its jobs itself, or its own workers,
    or it replaces or reads the raw SQLite file. (Closing any descriptor of that file drops
    every POSIX lock this process holds on it, SQLite's own too; a worker writing then
    corrupts the database for every later test.)"""
    from tests.jobs.support import SHARED

    SHARED.stop()


@pytest.fixture
async def app(db: None, job_worker: None) -> AsyncIterator[object]:
    from gvi.app import create_app

    return create_app()


@pytest.fixture
async def client(app: object) -> AsyncIterator[object]:
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app, base_url="https://testserver.local") as c:  # type: ignore[arg-type]
        yield c


class MovableClock:
    """The app's clock (gvi.core.clock), moved by a test; released when the test ends."""

    def set(self, moment: object) -> None:
        from gvi.core import clock

        clock.set_now(moment)  # type: ignore[arg-type]


@pytest.fixture
def move_clock() -> Iterator[MovableClock]:
    from gvi.core import clock

    yield MovableClock()
    clock.set_now(None)
