"""Zero plaintext identities at rest: not in the SQLite file, its WAL or a backup,
not in any text or bytea column on PostgreSQL, before or after a key rotation.

Each scan is first shown to find a planted value (a scratch table), so a scan
that cannot see anything fails instead of passing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gvi.access.principal import Principal
from gvi.people.services import Identity, create_person, find_by_pin, read_identity
from gvi.people.tables import PersonIdentity
from gvi.security import rotation
from gvi.settings import get_settings
from tests.conftest import engines_only
from tests.security.conftest import Keys

IDENTITIES = [
    Identity(
        "Zyxwvu Plaintextsson", "19851224-9876", "Klartextgatan 17, 123 45 Läckby", "070-9988776"
    ),
    Identity("Qöqöq Ciphersdóttir", "19920229-1357", "Hemlighetsvägen 3B", "0739-24 68 02"),
    Identity("Xavérius Läckberg", "20030815-2468", "Krypteringsgränd 99, lgh 1204", None),
]
CANARY = "Kanarie Kontrollsson 19700101-0001 Kanarievägen 1"

ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be")


def _needles(values: Iterable[str]) -> list[str]:
    out: set[str] = set()
    for value in values:
        out.add(value)
        digits = "".join(ch for ch in value if ch.isdigit())
        # The personnummer also as the 12 bare digits the blind index normalises to.
        if len(digits) == 12 and value.count("-") <= 1 and len(value) <= 13:
            out.add(digits)
    return sorted(out)


def _plaintexts() -> list[str]:
    return _needles(v for i in IDENTITIES for v in (i.name, i.pin, i.address, i.phone) if v)


def _found_in_bytes(data: bytes, needles: list[str]) -> list[tuple[str, str]]:
    return [
        (needle, encoding)
        for needle in needles
        for encoding in ENCODINGS
        if needle.encode(encoding) in data
    ]


async def _create(police: Principal, municipality: int) -> list[int]:
    ids = []
    for identity in IDENTITIES:
        person = await create_person(police, municipality_id=municipality, identity=identity)
        ids.append(int(person.id))
    # The people are really there and readable: the scan is not vacuous.
    for person_id, identity in zip(ids, IDENTITIES, strict=True):
        assert await read_identity(police, person_id) == identity
        assert identity.pin is not None
        found = await find_by_pin(police, identity.pin)
        assert found is not None
        assert found.id == person_id
    assert await PersonIdentity.count() >= len(IDENTITIES)
    return ids


# --- SQLite: the file, its WAL and an online backup ------------------------------------


def _sqlite_images(db_path: Path, tmp_path: Path) -> Iterator[tuple[str, bytes]]:
    """The raw bytes of the database file, its -wal (and -shm), and a fresh backup."""
    yield "db", db_path.read_bytes()
    for suffix in ("-wal", "-shm"):
        side = db_path.with_name(db_path.name + suffix)
        if side.exists():
            yield suffix.lstrip("-"), side.read_bytes()
    backup_path = tmp_path / f"backup-{len(list(tmp_path.glob('backup-*')))}.sqlite3"
    src = sqlite3.connect(db_path)
    dst = sqlite3.connect(backup_path)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    yield "backup", backup_path.read_bytes()


def _scan_sqlite(db_path: Path, tmp_path: Path, needles: list[str]) -> list[tuple[str, str, str]]:
    return [
        (where, needle, encoding)
        for where, data in _sqlite_images(db_path, tmp_path)
        for needle, encoding in _found_in_bytes(data, needles)
    ]


@engines_only("sqlite")
async def test_no_plaintext_identity_in_sqlite_file_wal_or_backup(
    keys: Keys, police: Principal, municipality: int, tmp_path: Path, no_job_worker: None
) -> None:
    db_path = get_settings().sqlite_path
    assert db_path.exists()
    # Held open so the WAL is not checkpointed away when Piccolo's connections close:
    # the scan must see the WAL as it is while the app runs.
    holder = sqlite3.connect(db_path)
    try:
        holder.execute("SELECT count(*) FROM person_identity").fetchone()
        await _create(police, municipality)
        wal = db_path.with_name(db_path.name + "-wal")
        assert wal.exists()
        assert wal.stat().st_size > 0

        needles = _plaintexts()
        assert "198512249876" in needles
        assert _scan_sqlite(db_path, tmp_path, needles) == []

        # A rotation decrypts everything in memory; none of it may reach the disk.
        source = rotation.KeySource(key_file=keys.path)
        await rotation.rotate(source, new_key_id="kB", batch_size=2)
        await rotation.retire(source, "kA", batch_size=2)
        assert _scan_sqlite(db_path, tmp_path, needles) == []

        # The same scan finds a plaintext that is there (in UTF-8 and UTF-16).
        engine = PersonIdentity._meta.db
        await engine._run_in_new_connection(
            "CREATE TABLE scratch_plaintext_canary (t TEXT, b BLOB)"
        )
        try:
            await engine._run_in_new_connection(
                "INSERT INTO scratch_plaintext_canary (t, b) VALUES (?, ?)",
                [CANARY, ("utf16 " + CANARY[::-1]).encode("utf-16-le")],
            )
            hits = _scan_sqlite(db_path, tmp_path, _needles([CANARY, CANARY[::-1]]))
            assert {(n, e) for _, n, e in hits} >= {
                (CANARY, "utf-8"),
                (CANARY[::-1], "utf-16-le"),
            }
            assert "backup" in {where for where, _, _ in hits}
        finally:
            await engine._run_in_new_connection("DROP TABLE scratch_plaintext_canary")
    finally:
        holder.close()


# --- PostgreSQL: every text and bytea column of every table ----------------------------

_PG_TYPES = ("text", "character varying", "character", "bytea", "json", "jsonb")


async def _scan_postgres(needles: list[str]) -> list[tuple[str, str, str]]:
    engine = PersonIdentity._meta.db
    columns = await engine._run_in_new_connection(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND data_type = ANY($1::text[]) "
        "ORDER BY table_name, column_name",
        [list(_PG_TYPES)],
    )
    assert any(c["table_name"] == "person_identity" for c in columns)
    hits: list[tuple[str, str, str]] = []
    for column in columns:
        table = column["table_name"].replace('"', '""')
        name = column["column_name"].replace('"', '""')
        rows = await engine._run_in_new_connection(
            f'SELECT "{name}" AS v FROM "{table}" WHERE "{name}" IS NOT NULL'  # noqa: S608
        )
        where = f"{column['table_name']}.{column['column_name']}"
        for row in rows:
            value: Any = row["v"]
            if isinstance(value, bytes | bytearray | memoryview):
                hits += [(where, n, e) for n, e in _found_in_bytes(bytes(value), needles)]
            else:
                text = str(value)
                hits += [(where, n, "text") for n in needles if n in text]
    return hits


@engines_only("postgres")
async def test_no_plaintext_identity_in_any_postgres_column(
    keys: Keys, police: Principal, municipality: int
) -> None:
    await _create(police, municipality)
    needles = _plaintexts()
    assert await _scan_postgres(needles) == []

    source = rotation.KeySource(key_file=keys.path)
    await rotation.rotate(source, new_key_id="kB", batch_size=2)
    await rotation.retire(source, "kA", batch_size=2)
    assert await _scan_postgres(needles) == []

    engine = PersonIdentity._meta.db
    await engine._run_in_new_connection("CREATE TABLE scratch_plaintext_canary (t text, b bytea)")
    try:
        await engine._run_in_new_connection(
            "INSERT INTO scratch_plaintext_canary (t, b) VALUES ($1, $2)",
            [CANARY, ("utf16 " + CANARY[::-1]).encode("utf-16-le")],
        )
        hits = await _scan_postgres(_needles([CANARY, CANARY[::-1]]))
        assert ("scratch_plaintext_canary.t", CANARY, "text") in hits
        assert ("scratch_plaintext_canary.b", CANARY[::-1], "utf-16-le") in hits
    finally:
        await engine._run_in_new_connection("DROP TABLE scratch_plaintext_canary")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("19851224-9876", {"19851224-9876", "198512249876"}),
        ("070-9988776", {"070-9988776"}),
    ],
)
def test_needles_include_the_bare_personnummer(value: str, expected: set[str]) -> None:
    assert set(_needles([value])) == expected
