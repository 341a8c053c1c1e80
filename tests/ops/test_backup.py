"""Restore drill: a backup restores to the same rows (compared by hashes), and a
damaged, truncated or foreign-key backup is refused without touching the database."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import json
import secrets
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from gvi.ops.backup import BackupError, backup, restore
from gvi.piccolo_app import TABLES
from gvi.security.crypto import get_keyring, parse_keyring
from gvi.settings import Settings, get_settings
from tests.conftest import engines_only
from tests.database import empty_database

TABLE_NAMES = [t._meta.tablename for t in TABLES]


def _digest(rows: list[dict[str, Any]]) -> str:
    h = hashlib.sha256()
    for row in rows:
        h.update(json.dumps(row, sort_keys=True, default=str).encode())
    return h.hexdigest()


def sqlite_hashes(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return {
            name: _digest([dict(r) for r in conn.execute(f'SELECT * FROM "{name}" ORDER BY id')])  # noqa: S608
            for name in TABLE_NAMES
        }
    finally:
        conn.close()


async def pg_hashes(url: str) -> dict[str, str]:
    conn = await asyncpg.connect(url)
    try:
        out = {}
        for name in TABLE_NAMES:
            rows = await conn.fetch(f'SELECT * FROM "{name}" ORDER BY id')  # noqa: S608
            out[name] = _digest([dict(r) for r in rows])
        return out
    finally:
        await conn.close()


async def _load_demo() -> None:
    from seeds.demo import load_demo

    await load_demo()


@engines_only("sqlite")
async def test_sqlite_restore_drill(db: None, no_job_worker: None, tmp_path: Path) -> None:
    # A restore replaces the file: the app and its workers are stopped first (README,
    # Operations). A worker still holding the old file would write its pages into the
    # restored one's WAL and leave the database unreadable for every later test.
    await _load_demo()
    settings = get_settings()
    before = await asyncio.to_thread(sqlite_hashes, settings.sqlite_path)
    assert before["person"] != _digest([])
    target = tmp_path / "drill.gvibak"
    header = await asyncio.to_thread(backup, settings, get_keyring(), target)
    assert header.engine == "sqlite"
    # Sealed: no demo name or SQLite header in the clear.
    raw = target.read_bytes()
    assert b"SQLite format 3" not in raw
    assert b"Demo" not in raw
    await empty_database()
    assert await asyncio.to_thread(sqlite_hashes, settings.sqlite_path) != before
    await asyncio.to_thread(restore, settings, get_keyring(), target)
    assert await asyncio.to_thread(sqlite_hashes, settings.sqlite_path) == before


@engines_only("sqlite")
async def test_damaged_truncated_or_foreign_key_backups_are_refused(
    db: None, tmp_path: Path
) -> None:
    await _load_demo()
    settings = get_settings()
    good = tmp_path / "good.gvibak"
    await asyncio.to_thread(backup, settings, get_keyring(), good)
    before = await asyncio.to_thread(sqlite_hashes, settings.sqlite_path)
    data = bytearray(good.read_bytes())

    flipped = tmp_path / "flipped.gvibak"
    data_flipped = bytearray(data)
    data_flipped[-20] ^= 0x01
    flipped.write_bytes(bytes(data_flipped))
    truncated = tmp_path / "truncated.gvibak"
    truncated.write_bytes(bytes(data[: len(data) // 2]))
    for bad in (flipped, truncated):
        with pytest.raises(BackupError):
            await asyncio.to_thread(restore, settings, get_keyring(), bad)
    other_key = parse_keyring("kX:" + base64.b64encode(secrets.token_bytes(32)).decode())
    with pytest.raises(BackupError, match="data key"):
        await asyncio.to_thread(restore, settings, other_key, good)
    # Nothing was touched by the refused restores.
    assert await asyncio.to_thread(sqlite_hashes, settings.sqlite_path) == before


@engines_only("postgres")
async def test_postgres_restore_drill(db: None, tmp_path: Path) -> None:
    await _load_demo()
    settings = get_settings()
    before = await pg_hashes(settings.database_url)
    target = tmp_path / "drill.gvibak"
    header = await asyncio.to_thread(backup, settings, get_keyring(), target)
    assert header.engine == "postgres"
    assert b"PGDMP" not in target.read_bytes()
    # Restore into a fresh database next to the test one and compare row hashes.
    scratch = f"gvi_restore_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(settings.database_url)
    await admin.execute(f'CREATE DATABASE "{scratch}"')
    await admin.close()
    url = urlunsplit(urlsplit(settings.database_url)._replace(path=f"/{scratch}"))
    try:
        restored: Settings = dataclasses.replace(settings, database_url=url)
        await asyncio.to_thread(restore, restored, get_keyring(), target)
        assert await pg_hashes(url) == before
    finally:
        admin = await asyncpg.connect(settings.database_url)
        await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        await admin.close()
