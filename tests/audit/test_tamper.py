"""Someone with write access to the database (the append-only triggers dropped)
rewrites the trail; ``verify`` with the signed checkpoints names the seq.

The four rewrites that used to pass the plain SHA-256 chain, plus the ones the
keys and checkpoints are there for: a recomputed chain with the audit key but
without the signing key, a forged checkpoint, a stopped checkpoint writer and a
row without a key appended after keyed ones.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gvi.audit.checkpoints import read_checkpoints, write_checkpoint
from gvi.audit.events import AuditAction
from gvi.audit.keys import ChainKeys, get_chain_keys
from gvi.audit.services import (
    _VERIFY_COLUMNS,
    AuditEntry,
    ProblemKind,
    VerifyResult,
    _entry,
    chain_hash,
    record,
    verify,
    verify_command,
)
from gvi.audit.tables import AuditEvent
from tests.audit.support import bypassing_guard_all, fresh_id, principal, reinsert

# What an attacker without the audit key can do: recompute with a key of their own.
GUESSED = ChainKeys((("a1", b"\x00" * 32),))


async def _reads(n: int = 5) -> list[AuditEntry]:
    actor = principal()
    return [
        await record(
            AuditAction.person_identity_read,
            actor=actor,
            target_type="person",
            target_id=pid,
            person_id=pid,
        )
        for pid in [fresh_id() for _ in range(n)]
    ]


async def _rows(from_seq: int) -> list[dict[str, Any]]:
    return list(
        await AuditEvent.raw("SELECT * FROM audit_event WHERE seq >= {} ORDER BY seq", from_seq)
    )


async def _entries(from_seq: int) -> list[AuditEntry]:
    rows = (
        await AuditEvent.select(*_VERIFY_COLUMNS)
        .where(AuditEvent.seq >= from_seq)
        .order_by(AuditEvent.seq)
    )
    return [_entry(row) for row in rows]


def _rewrite(entries: list[AuditEntry], keys: ChainKeys, prev_hash: str) -> list[AuditEntry]:
    """Re-chain *entries* from *prev_hash* with *keys*, as an attacker would."""
    out = []
    for entry in entries:
        entry = replace(entry, prev_hash=prev_hash)
        entry = replace(entry, hash=chain_hash(entry, keys))
        out.append(entry)
        prev_hash = entry.hash
    return out


def _update(entry: AuditEntry, old_seq: int) -> tuple[str, tuple[Any, ...]]:
    return (
        "UPDATE audit_event SET seq = {}, actor_id = {}, actor_username = {}, "
        "prev_hash = {}, hash = {} WHERE seq = {}",
        (entry.seq, entry.actor_id, entry.actor_username, entry.prev_hash, entry.hash, old_seq),
    )


async def _restore(saved: list[dict[str, Any]]) -> None:
    """Put the trail back as it was from the first saved row (the database is shared)."""
    first = saved[0]["seq"]
    await bypassing_guard_all([("DELETE FROM audit_event WHERE seq >= {}", (first,))])
    for row in saved:
        await reinsert(row)
    assert (await verify(from_seq=first)).ok


def _kinds(result: VerifyResult) -> set[tuple[int, ProblemKind]]:
    return {(p.seq, p.kind) for p in result.problems}


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def checkpoints(tmp_path: Path) -> Path:
    return tmp_path / "audit-checkpoints.jsonl"


async def _verify(first: int, path: Path, **kwargs: Any) -> VerifyResult:
    return await verify(from_seq=first, checkpoints=read_checkpoints(path), **kwargs)


async def test_a_deleted_read_with_the_later_rows_recomputed_fails_the_hmac(
    db: None, checkpoints: Path
) -> None:
    events = await _reads()
    await write_checkpoint("test", path=checkpoints)
    later = await _reads(3)
    first = events[0].seq
    saved = await _rows(first)
    victim = later[0].seq  # a recent person:identity:read
    tail = await _entries(victim + 1)
    renumbered = [replace(e, seq=e.seq - 1) for e in tail]
    forged = _rewrite(renumbered, GUESSED, prev_hash=events[-1].hash)
    try:
        await bypassing_guard_all(
            [("DELETE FROM audit_event WHERE seq = {}", (victim,))]
            + [_update(f, old.seq) for f, old in zip(forged, tail, strict=True)]
        )
        result = await _verify(first, checkpoints)
        assert not result.ok
        assert result.first_broken_seq == victim
        assert (victim, ProblemKind.edited) in _kinds(result)
    finally:
        await _restore(saved)


async def test_an_old_actor_changed_and_recomputed_without_any_checkpoint_fails_the_hmac(
    db: None,
) -> None:
    events = await _reads()
    first = events[0].seq
    saved = await _rows(first)
    entries = await _entries(events[1].seq)
    entries[0] = replace(entries[0], actor_id=4242, actor_username="someone-else")
    forged = _rewrite(entries, GUESSED, prev_hash=events[0].hash)
    try:
        await bypassing_guard_all([_update(f, f.seq) for f in forged])
        # No checkpoint at all (a fresh install): the HMAC alone catches it.
        result = await verify(from_seq=first)
        assert result.first_broken_seq == events[1].seq
        assert (events[1].seq, ProblemKind.edited) in _kinds(result)
    finally:
        await _restore(saved)


async def test_a_row_newer_than_the_last_checkpoint_edited_fails_the_hmac(
    db: None, checkpoints: Path
) -> None:
    events = await _reads(2)
    await write_checkpoint("test", path=checkpoints)
    newer = await _reads(2)
    first = events[0].seq
    saved = await _rows(first)
    try:
        await bypassing_guard_all(
            [("UPDATE audit_event SET person_id = {} WHERE seq = {}", (1, newer[0].seq))]
        )
        result = await _verify(first, checkpoints)
        assert _kinds(result) == {(newer[0].seq, ProblemKind.edited)}
    finally:
        await _restore(saved)


async def test_a_deleted_tail_is_below_the_last_checkpoint(
    db: None, checkpoints: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    events = await _reads(4)
    await write_checkpoint("test", path=checkpoints)
    first = events[0].seq
    saved = await _rows(first)
    try:
        await bypassing_guard_all([("DELETE FROM audit_event WHERE seq >= {}", (events[2].seq,))])
        result = await _verify(first, checkpoints)
        assert _kinds(result) == {(events[2].seq, ProblemKind.truncated)}
        assert f"seq {events[2].seq}..{events[3].seq} deleted" in result.problems[0].message
        # The command says so too, and exits non-zero.
        assert await verify_command(tmp_path / "anchor", checkpoints) == 1
        assert "truncated at seq" in capsys.readouterr().err
    finally:
        await _restore(saved)
    # The verify command above recorded its run; the restored trail is whole.
    assert (await verify(from_seq=first)).ok


async def test_a_chain_recomputed_with_the_audit_key_differs_from_the_signed_checkpoint(
    db: None, checkpoints: Path
) -> None:
    events = await _reads(3)
    await write_checkpoint("test", path=checkpoints)
    first = events[0].seq
    saved = await _rows(first)
    entries = await _entries(events[1].seq)
    entries[0] = replace(entries[0], actor_id=4242, actor_username="someone-else")
    # The attacker holds the database and the audit key, not the signing key.
    forged = _rewrite(entries, get_chain_keys(), prev_hash=events[0].hash)
    try:
        await bypassing_guard_all([_update(f, f.seq) for f in forged])
        result = await _verify(first, checkpoints)
        assert _kinds(result) == {(events[2].seq, ProblemKind.checkpoint_mismatch)}
    finally:
        await _restore(saved)


async def test_a_forged_or_removed_checkpoint_is_reported(db: None, checkpoints: Path) -> None:
    events = await _reads(1)
    await write_checkpoint("test", path=checkpoints)
    await _reads(1)
    await write_checkpoint("test", path=checkpoints)
    await _reads(1)
    third = await write_checkpoint("test", path=checkpoints)
    assert third is not None
    lines = _lines(checkpoints)
    assert len(lines) == 3
    assert (await _verify(events[0].seq, checkpoints)).ok

    forged = json.loads(lines[2])
    forged["seq"] -= 1
    _write(checkpoints, [*lines[:2], json.dumps(forged)])
    result = await _verify(events[0].seq, checkpoints)
    assert (third.seq - 1, ProblemKind.checkpoint_signature) in _kinds(result)

    _write(checkpoints, [lines[0], lines[2]])
    result = await _verify(events[0].seq, checkpoints)
    assert _kinds(result) == {(third.seq, ProblemKind.checkpoint_missing)}


async def test_events_without_a_timely_checkpoint_are_a_gap(db: None, checkpoints: Path) -> None:
    events = await _reads(1)
    await write_checkpoint("test", path=checkpoints)
    later = await _reads(2)
    first = events[0].seq
    assert (await _verify(first, checkpoints)).ok
    # Twenty minutes on, still no checkpoint covers the two later rows.
    result = await _verify(first, checkpoints, now=datetime.now(tz=UTC) + timedelta(minutes=20))
    assert _kinds(result) == {(later[0].seq, ProblemKind.checkpoint_gap)}
    # A checkpoint written now covers them in time.
    await write_checkpoint("test", path=checkpoints)
    assert (await _verify(first, checkpoints)).ok


async def test_a_row_without_a_key_after_keyed_rows_is_forged(db: None) -> None:
    events = await _reads(1)
    head = events[0]
    forged = replace(head, seq=head.seq + 1, prev_hash=head.hash, key_id=None)
    forged = replace(forged, hash=chain_hash(forged))
    row = {
        "seq": forged.seq,
        "occurred_at": forged.occurred_at,
        "actor_id": forged.actor_id,
        "actor_username": forged.actor_username,
        "action": forged.action,
        "target_type": forged.target_type,
        "target_id": forged.target_id,
        "person_id": forged.person_id,
        "details": "{}",
        "ip": forged.ip,
        "user_agent": forged.user_agent,
        "key_id": None,
        "prev_hash": forged.prev_hash,
        "hash": forged.hash,
    }
    saved = await _rows(head.seq)
    try:
        await reinsert(row)
        result = await verify(from_seq=head.seq)
        assert _kinds(result) == {(forged.seq, ProblemKind.legacy_after_keyed)}
    finally:
        await _restore(saved)


async def test_checkpoints_written_at_once_keep_their_order(db: None, checkpoints: Path) -> None:
    import asyncio

    events = await _reads(1)
    written = await asyncio.gather(
        *(write_checkpoint("test", path=checkpoints, only_if_moved=False) for _ in range(5))
    )
    assert [cp.n for cp in written if cp] == [1, 2, 3, 4, 5]
    assert (await _verify(events[0].seq, checkpoints)).ok
    assert _mode(checkpoints) == 0o600


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


async def test_a_checkpoint_that_came_late_is_a_warning_not_a_failure(
    db: None, checkpoints: Path
) -> None:
    from gvi.audit.checkpoints import Checkpoint
    from gvi.audit.keys import get_signing_keys

    events = await _reads(1)
    first = await write_checkpoint("test", path=checkpoints)
    assert first is not None
    later = await _reads(1)
    # The app was down for an hour (a crash): the next checkpoint came late.
    key = get_signing_keys()[0]
    late = Checkpoint(
        n=first.n + 1,
        seq=later[0].seq,
        hash=later[0].hash,
        at=datetime.now(tz=UTC) + timedelta(hours=1),
        key_id=key.key_id,
        reason="startup",
    )
    late = replace(late, sig=key.sign(late.message()))
    result = await verify(
        from_seq=events[0].seq, checkpoints=[*read_checkpoints(checkpoints), late]
    )
    assert result.ok
    assert [(w.seq, w.kind) for w in result.warnings] == [
        (later[0].seq, ProblemKind.checkpoint_gap)
    ]
