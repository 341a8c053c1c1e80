"""The SQLite database, its WAL and shared-memory files, and backups are the
owner's alone (0600), however permissive the umask; an older 0644 file is
tightened when it is opened."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from gvi.db import _GviSQLiteConnection, make_private
from tests.conftest import engines_only


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _mode_if_there(path: Path) -> int | None:
    return _mode(path) if path.exists() else None


def test_a_new_database_and_its_wal_are_0600(tmp_path: Path, permissive_umask: None) -> None:
    path = tmp_path / "new.sqlite3"
    conn = sqlite3.connect(path, factory=_GviSQLiteConnection)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
        conn.commit()
        for name in ("new.sqlite3", "new.sqlite3-wal", "new.sqlite3-shm"):
            assert (tmp_path / name).exists(), name
            assert _mode(tmp_path / name) == 0o600, name
    finally:
        conn.close()


def test_an_older_world_readable_database_is_tightened(
    tmp_path: Path, permissive_umask: None
) -> None:
    path = tmp_path / "old.sqlite3"
    for name in ("old.sqlite3", "old.sqlite3-wal"):
        (tmp_path / name).write_bytes(b"")
        os.chmod(tmp_path / name, 0o644)
    make_private(path)
    assert _mode(path) == 0o600
    assert _mode(tmp_path / "old.sqlite3-wal") == 0o600


@engines_only("sqlite")
async def test_the_test_database_and_a_backup_are_0600(
    db: None, tmp_path: Path, permissive_umask: None
) -> None:
    from gvi.ops.backup import backup, restore
    from gvi.security.crypto import get_keyring
    from gvi.settings import get_settings

    settings = get_settings()
    assert _mode(settings.sqlite_path) == 0o600
    for suffix in ("-wal", "-shm"):
        assert _mode_if_there(Path(str(settings.sqlite_path) + suffix)) in (None, 0o600)
    out = tmp_path / "b.gvibak"
    backup(settings, get_keyring(), out)
    assert _mode(out) == 0o600
    # A restore into another file is created 0600 too.
    from dataclasses import replace

    target = replace(settings, database_url=f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    restore(target, get_keyring(), out)
    assert _mode(tmp_path / "restored.sqlite3") == 0o600
