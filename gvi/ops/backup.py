"""Encrypted backups and restores for both engines.

SQLite is copied with the online backup API (consistent while the app runs);
PostgreSQL with ``pg_dump -Fc``. Either way the bytes are sealed with the
active data key (AES-256-GCM) before they touch the disk, in chunks so a
large database never sits in memory whole. Without the data key a backup is
unreadable: keep the key (outside the database and the backups) safe.

File format: ``GVIBAK1\\n``, one JSON header line (engine, key id, created),
then chunks of ``len(4 bytes) || nonce(12) || ciphertext+tag``. Each chunk's
associated data binds the header, its index and whether it is the last, so
chunks cannot be reordered, dropped or appended.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gvi.security.crypto import Keyring
from gvi.settings import Settings

MAGIC = b"GVIBAK1\n"
CHUNK = 4 * 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


@dataclass(frozen=True)
class Header:
    engine: str
    key_id: str
    created: str

    def encode(self) -> bytes:
        return json.dumps(self.__dict__, sort_keys=True).encode() + b"\n"


def _aad(header: bytes, index: int, last: bool) -> bytes:
    return header + struct.pack(">Q?", index, last)


def _seal_stream(src: BinaryIO, dst: BinaryIO, keyring: Keyring, engine: str) -> None:
    key_id = keyring.active_id
    header = Header(engine=engine, key_id=key_id, created=datetime.now(tz=UTC).isoformat())
    head = header.encode()
    dst.write(MAGIC + head)
    aead = AESGCM(keyring._key(key_id))
    index = 0
    chunk = src.read(CHUNK)
    while True:
        following = src.read(CHUNK)
        last = not following
        nonce = os.urandom(12)
        sealed = aead.encrypt(nonce, chunk, _aad(head, index, last))
        dst.write(struct.pack(">I", len(sealed)) + nonce + sealed)
        if last:
            return
        chunk, index = following, index + 1


def read_header(path: Path) -> Header:
    with path.open("rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            raise BackupError(f"{path} is not a GVI backup")
        return Header(**json.loads(f.readline()))


def _open_stream(src: BinaryIO, keyring: Keyring) -> Iterator[bytes]:
    if src.read(len(MAGIC)) != MAGIC:
        raise BackupError("not a GVI backup file")
    head = src.readline()
    header = Header(**json.loads(head))
    try:
        aead = AESGCM(keyring._key(header.key_id))
    except Exception as exc:
        raise BackupError(
            f"the backup was made with data key {header.key_id!r}, which is not configured"
        ) from exc
    index = 0
    while True:
        size_raw = src.read(4)
        if len(size_raw) < 4:
            raise BackupError("the backup is truncated: its last chunk is missing")
        (size,) = struct.unpack(">I", size_raw)
        nonce = src.read(12)
        sealed = src.read(size)
        trailing = src.peek(1)[:1] if hasattr(src, "peek") else b""
        last = not trailing
        try:
            yield aead.decrypt(nonce, sealed, _aad(head, index, last))
        except Exception as exc:
            raise BackupError(
                "the backup is damaged or was altered (authentication failed)"
            ) from exc
        if last:
            return
        index += 1


def backup(settings: Settings, keyring: Keyring, out: Path) -> Header:
    """Write an encrypted backup of the configured database to ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_name(out.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="gvi-backup-") as tmp:
        if settings.is_postgres:
            engine = "postgres"
            dump = Path(tmp) / "db.dump"
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    f"--file={dump}",
                    settings.database_url,
                ]
            )
        else:
            engine = "sqlite"
            dump = Path(tmp) / "db.sqlite3"
            src = sqlite3.connect(settings.sqlite_path)
            dst = sqlite3.connect(dump)
            try:
                with dst:
                    src.backup(dst)
            finally:
                src.close()
                dst.close()
        fd = os.open(tmp_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with dump.open("rb") as plain, os.fdopen(fd, "wb") as sealed:
            _seal_stream(plain, sealed, keyring, engine)
            sealed.flush()
            os.fsync(sealed.fileno())
    os.replace(tmp_out, out)
    return read_header(out)


def restore(settings: Settings, keyring: Keyring, source: Path) -> Header:
    """Replace the configured database with the backup's content.

    SQLite: the app must be stopped; the decrypted copy must pass
    ``PRAGMA integrity_check`` before it replaces the file. PostgreSQL:
    ``pg_restore --clean`` into the configured database.
    """
    header = read_header(source)
    expected = "postgres" if settings.is_postgres else "sqlite"
    if header.engine != expected:
        raise BackupError(
            f"the backup is from {header.engine}, the configured database is {expected}"
        )
    with tempfile.TemporaryDirectory(prefix="gvi-restore-") as tmp:
        plain = Path(tmp) / "plain"
        with source.open("rb") as sealed, plain.open("wb") as out:
            for chunk in _open_stream(sealed, keyring):
                out.write(chunk)
        if header.engine == "sqlite":
            conn = sqlite3.connect(plain)
            try:
                ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                conn.close()
            if ok != "ok":
                raise BackupError(f"the restored database fails its integrity check: {ok}")
            target = settings.sqlite_path
            target.parent.mkdir(parents=True, exist_ok=True)
            staged = target.with_name(target.name + ".restoring")
            # Created 0600 before the copy: the database is private (gvi.db.make_private).
            fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as staged_file, plain.open("rb") as copied:
                shutil.copyfileobj(copied, staged_file)
                staged_file.flush()
                os.fsync(staged_file.fileno())
            for suffix in ("-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            os.replace(staged, target)
        else:
            _run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    f"--dbname={settings.database_url}",
                    str(plain),
                ]
            )
            # pg_restore leaves the planner without statistics until autovacuum runs.
            _run(["psql", f"--dbname={settings.database_url}", "--quiet", "-c", "ANALYZE"])
    return header


def _run(cmd: list[str]) -> None:
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(
            f"{cmd[0]} is not installed (PostgreSQL client tools are needed)"
        ) from exc
    if result.returncode != 0:
        # The tool's message names objects, not row content; the URL may hold a password.
        raise BackupError(f"{cmd[0]} failed: {result.stderr.strip().splitlines()[-1:]}")
