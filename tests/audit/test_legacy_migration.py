"""An existing database (a used demo) migrates to the keyed chain: its plain
SHA-256 rows stay as they are, are accepted only up to a signed checkpoint (the
first `gvi migrate` writes it), and keyed rows chain on from the last of them.
A fresh SQLite file of its own, driven through the real `gvi` commands."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gvi.audit.services import GENESIS_HASH, AuditEntry, chain_hash
from tests.conftest import engines_only

ROOT = Path(__file__).resolve().parents[2]
BEFORE = "2026-11-22T18:00:00:000000"  # the last migration before the keyed chain


def _gvi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gvi.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _legacy_rows(path: Path, n: int) -> None:
    """What the SHA-256 chain wrote: key_id NULL (the column comes with the migration)."""
    conn = sqlite3.connect(path)
    try:
        prev = GENESIS_HASH
        start = datetime.now(tz=UTC) - timedelta(days=3)
        for seq in range(1, n + 1):
            entry = AuditEntry(
                seq=seq,
                occurred_at=start + timedelta(minutes=seq),
                actor_id=7,
                actor_username="demo",
                action="person:read",
                target_type="person",
                target_id=str(seq),
                person_id=seq,
                details={},
                ip="127.0.0.1",
                user_agent="old",
                prev_hash=prev,
                hash="",
            )
            entry = replace(entry, hash=chain_hash(entry))
            conn.execute(
                "INSERT INTO audit_event (seq, occurred_at, actor_id, actor_username, action, "
                "target_type, target_id, person_id, details, ip, user_agent, prev_hash, hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    seq,
                    entry.occurred_at.isoformat(sep=" "),
                    entry.actor_id,
                    entry.actor_username,
                    entry.action,
                    entry.target_type,
                    entry.target_id,
                    entry.person_id,
                    "{}",
                    entry.ip,
                    entry.user_agent,
                    entry.prev_hash,
                    entry.hash,
                ),
            )
            prev = entry.hash
        conn.commit()
    finally:
        conn.close()


@engines_only("sqlite")
def test_an_old_sha256_trail_migrates_and_is_anchored_by_a_signed_checkpoint(
    tmp_path: Path,
) -> None:
    db = tmp_path / "old.sqlite3"
    checkpoints = tmp_path / "checkpoints.jsonl"
    env = {
        **os.environ,
        "GVI_DATABASE_URL": f"sqlite:///{db}",
        "GVI_VAR_DIR": str(tmp_path / "var"),
        "GVI_AUDIT_CHECKPOINT_FILE": str(checkpoints),
    }
    old = subprocess.run(
        [
            sys.executable,
            "-m",
            "piccolo.main",
            "migrations",
            "forwards",
            "gvi",
            "--migration_id",
            BEFORE,
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert old.returncode == 0, old.stdout + old.stderr
    _legacy_rows(db, 5)

    # Upgrading: the migration adds key_id; loading the municipality list (this
    # old database had none) is the first keyed event, chained on from the last
    # legacy row, and the command signs the head it then finds.
    migrated = _gvi(env, "migrate")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    lines = checkpoints.read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [6]

    verified = _gvi(env, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT seq, key_id FROM audit_event ORDER BY seq").fetchall()
    finally:
        conn.close()
    assert rows[:5] == [(i, None) for i in range(1, 6)]
    assert rows[5] == (6, "a1")

    # Without the checkpoint the legacy rows are unanchored, named by seq.
    env_without = {**env, "GVI_AUDIT_CHECKPOINT_FILE": str(tmp_path / "none.jsonl")}
    unanchored = _gvi(env_without, "audit", "verify")
    assert unanchored.returncode == 1
    assert "legacy_unanchored at seq 1" in unanchored.stderr
