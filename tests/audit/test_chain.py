"""The chain: appending, verifying, and catching edits, deletions and truncation."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from gvi.audit import services
from gvi.audit.checkpoints import read_checkpoints, write_checkpoint
from gvi.audit.events import AuditAction
from gvi.audit.services import (
    GENESIS_HASH,
    Anchor,
    ProblemKind,
    chain_hash,
    read_anchor,
    record,
    verify,
    verify_command,
    write_anchor,
)
from gvi.audit.tables import AuditEvent
from gvi.db import write_transaction
from gvi.municipalities.tables import Municipality
from tests.audit.support import bypassing_guard, fresh_id, principal, raw_row, reinsert
from tests.conftest import engines_only


async def _three_events() -> list[services.AuditEntry]:
    actor = principal()
    return [
        await record(
            AuditAction.person_read,
            actor=actor,
            target_type="person",
            target_id=pid,
            person_id=pid,
            details={"fields": 3},
        )
        for pid in (fresh_id(), fresh_id(), fresh_id())
    ]


async def test_record_appends_a_linked_row(db: None) -> None:
    actor = principal()
    person = fresh_id()
    first = await record(AuditAction.person_read, actor=actor, person_id=person)
    second = await record(
        AuditAction.person_identity_read,
        actor=actor,
        target_type="person",
        target_id=person,
        person_id=person,
        details={"fields": ["name_enc", "pin_enc"]},
    )

    assert second.seq == first.seq + 1
    assert second.prev_hash == first.hash
    assert second.hash == chain_hash(second)
    stored = await AuditEvent.select().where(AuditEvent.seq == second.seq).first()
    assert stored is not None
    assert stored["actor_id"] == actor.user_id
    assert stored["actor_username"] == actor.username
    assert stored["action"] == "person:identity:read"
    assert stored["target_id"] == str(person)
    assert stored["ip"] == "192.0.2.7"
    assert stored["user_agent"] == "pytest"
    assert json.loads(stored["details"]) == {"fields": ["name_enc", "pin_enc"]}
    assert stored["hash"] == second.hash


async def test_the_whole_trail_verifies_and_starts_from_genesis(db: None) -> None:
    await _three_events()

    result = await verify()

    assert result.ok, result.problems
    assert result.checked >= 3
    assert result.first_broken_seq is None
    genesis = await AuditEvent.select(AuditEvent.prev_hash).where(AuditEvent.seq == 1).first()
    assert genesis == {"prev_hash": GENESIS_HASH}


async def test_verify_walks_in_batches(db: None) -> None:
    events = await _three_events()

    result = await verify(from_seq=events[0].seq, batch_size=2)

    assert result.ok
    assert result.checked >= 3
    assert result.head_seq >= events[-1].seq


@pytest.mark.parametrize(
    ("column", "value"),
    [("details", '{"fields":4}'), ("action", "person:list"), ("person_id", 1)],
)
async def test_an_edited_row_is_found_at_its_seq(db: None, column: str, value: object) -> None:
    events = await _three_events()
    victim = events[1].seq
    original = (await raw_row(victim))[column]

    await bypassing_guard(
        f'UPDATE audit_event SET "{column}" = {{}} WHERE seq = {{}}',  # noqa: S608
        value,
        victim,
    )
    try:
        result = await verify(from_seq=events[0].seq)
        assert not result.ok
        assert result.first_broken_seq == victim
        assert [(p.seq, p.kind) for p in result.problems] == [(victim, ProblemKind.edited)]
    finally:
        await bypassing_guard(
            f'UPDATE audit_event SET "{column}" = {{}} WHERE seq = {{}}',  # noqa: S608
            original,
            victim,
        )
    assert (await verify(from_seq=events[0].seq)).ok


async def test_a_rewritten_hash_breaks_the_next_link(db: None) -> None:
    events = await _three_events()
    victim = events[1].seq
    original = events[1].hash

    await bypassing_guard("UPDATE audit_event SET hash = {} WHERE seq = {}", "f" * 64, victim)
    try:
        result = await verify(from_seq=events[0].seq)
        kinds = {(p.seq, p.kind) for p in result.problems}
        assert kinds == {(victim, ProblemKind.edited), (victim + 1, ProblemKind.broken_link)}
    finally:
        await bypassing_guard("UPDATE audit_event SET hash = {} WHERE seq = {}", original, victim)
    assert (await verify(from_seq=events[0].seq)).ok


async def test_a_deleted_row_leaves_a_gap(db: None) -> None:
    events = await _three_events()
    victim = events[1].seq
    row = await raw_row(victim)

    await bypassing_guard("DELETE FROM audit_event WHERE seq = {}", victim)
    try:
        result = await verify(from_seq=events[0].seq)
        assert [(p.seq, p.kind) for p in result.problems] == [(victim, ProblemKind.gap)]
    finally:
        await reinsert(row)
    assert (await verify(from_seq=events[0].seq)).ok


async def test_a_deleted_tail_is_caught_only_by_the_anchor(db: None) -> None:
    events = await _three_events()
    tail = events[-1]
    row = await raw_row(tail.seq)
    anchor = Anchor(seq=tail.seq, hash=tail.hash)

    await bypassing_guard("DELETE FROM audit_event WHERE seq = {}", tail.seq)
    try:
        # The chain alone cannot tell a cut tail from a shorter honest trail.
        assert (await verify(from_seq=events[0].seq)).ok
        result = await verify(from_seq=events[0].seq, anchor=anchor)
        assert [(p.seq, p.kind) for p in result.problems] == [(tail.seq, ProblemKind.truncated)]
    finally:
        await reinsert(row)
    assert (await verify(from_seq=events[0].seq, anchor=anchor)).ok


async def test_a_recomputed_history_is_caught_by_the_anchor(db: None) -> None:
    events = await _three_events()
    anchor = Anchor(seq=events[1].seq, hash="a" * 64)

    result = await verify(from_seq=events[0].seq, anchor=anchor)

    assert [(p.seq, p.kind) for p in result.problems] == [
        (events[1].seq, ProblemKind.anchor_mismatch)
    ]


# A superuser meets the trigger; an owner that is not one meets the revoked grant first.
_REFUSED = "append-only|permission denied"


async def test_the_database_refuses_update_and_delete(db: None) -> None:
    events = await _three_events()
    seq = events[0].seq

    with pytest.raises(Exception, match=_REFUSED):
        await AuditEvent.update({AuditEvent.action: "person:list"}).where(AuditEvent.seq == seq)
    with pytest.raises(Exception, match=_REFUSED):
        await AuditEvent.delete().where(AuditEvent.seq == seq)
    with pytest.raises(Exception, match=_REFUSED):
        await AuditEvent.delete(force=True)

    assert (await raw_row(seq))["action"] == "person:read"
    assert (await verify(from_seq=seq)).ok


@engines_only("postgres")
async def test_postgres_refuses_truncate(db: None) -> None:
    await _three_events()

    with pytest.raises(Exception, match=_REFUSED):
        await AuditEvent.raw("TRUNCATE audit_event")

    assert await AuditEvent.count() >= 3


async def test_a_rolled_back_transaction_leaves_neither_row(db: None) -> None:
    person = fresh_id()
    # Not a kommunkod (SCB's are digits): the reference rows are already there.
    code = f"T{person % 1000:03d}"
    engine = AuditEvent._meta.db
    before = await record(AuditAction.person_read, actor=principal(), person_id=fresh_id())

    async def business_then_failure() -> None:
        async with write_transaction(engine):
            await Municipality.insert(Municipality(name=f"Test {person}", code=code))
            await record(AuditAction.person_write, actor=principal(), person_id=person)
            raise RuntimeError("after the audit row")

    with pytest.raises(RuntimeError, match="after the audit row"):
        await business_then_failure()

    assert not await Municipality.exists().where(Municipality.name == f"Test {person}")
    assert not await AuditEvent.exists().where(AuditEvent.person_id == person)
    # The seq the rolled-back row took is free again: the chain stays gap-free.
    after = await record(AuditAction.person_read, actor=principal(), person_id=fresh_id())
    assert after.seq == before.seq + 1
    assert (await verify(from_seq=before.seq)).ok


async def test_a_failed_audit_write_rolls_back_the_business_row(db: None) -> None:
    person = fresh_id()
    engine = AuditEvent._meta.db

    async def business_then_bad_audit() -> None:
        async with write_transaction(engine):
            await Municipality.insert(Municipality(name=f"Test {person}", code="T001"))
            await record(AuditAction.person_write, actor=principal(), target_type="x" * 33)

    with pytest.raises(ValueError, match="target_type"):
        await business_then_bad_audit()

    assert not await Municipality.exists().where(Municipality.name == f"Test {person}")


async def test_concurrent_writers_do_not_fork_the_chain(db: None) -> None:
    actor = principal()
    person = fresh_id()

    entries = await asyncio.gather(
        *(record(AuditAction.person_read, actor=actor, person_id=person) for _ in range(12))
    )

    seqs = sorted(e.seq for e in entries)
    assert seqs == list(range(seqs[0], seqs[0] + 12))
    assert (await verify(from_seq=seqs[0])).ok


async def test_anchor_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "audit.anchor"
    assert read_anchor(path) is None

    write_anchor(path, Anchor(seq=7, hash="b" * 64))

    assert read_anchor(path) == Anchor(seq=7, hash="b" * 64)
    assert path.stat().st_mode & 0o777 == 0o600
    path.write_text("not json")
    with pytest.raises(ValueError, match="unreadable"):
        read_anchor(path)


async def test_verify_command_reports_and_moves_the_anchor(
    db: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    anchor_path = tmp_path / "audit.anchor"
    checkpoints = tmp_path / "audit-checkpoints.jsonl"
    # The trail before this test is vouched for by a checkpoint (the shared test
    # database's older rows were checkpointed by no one).
    await write_checkpoint("test", path=checkpoints)
    await _three_events()

    assert await verify_command(anchor_path, checkpoints) == 0
    first = read_anchor(anchor_path)
    assert first is not None
    assert "intact" in capsys.readouterr().out
    # The command records that it ran; the next run anchors past that row.
    ran = await AuditEvent.select().where(AuditEvent.seq == first.seq + 1).first()
    assert ran is not None
    assert ran["action"] == "audit:verify"

    assert await verify_command(anchor_path, checkpoints) == 0
    second = read_anchor(anchor_path)
    assert second is not None
    assert second.seq > first.seq
    # Each successful run signs the head it verified and its own event after it.
    assert [cp.seq for cp in read_checkpoints(checkpoints)][-2:] == [first.seq + 1, second.seq + 1]


async def test_verify_command_fails_on_a_tampered_trail(
    db: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    anchor_path = tmp_path / "audit.anchor"
    checkpoints = tmp_path / "audit-checkpoints.jsonl"
    await write_checkpoint("test", path=checkpoints)
    events = await _three_events()
    write_anchor(anchor_path, Anchor(seq=events[1].seq, hash="c" * 64))

    assert await verify_command(anchor_path, checkpoints) == 1

    err = capsys.readouterr().err
    assert "TAMPERED" in err
    assert f"first at seq {events[1].seq}" in err
    # A failed check leaves the anchor alone for the investigation.
    assert read_anchor(anchor_path) == Anchor(seq=events[1].seq, hash="c" * 64)
    assert [cp.reason for cp in read_checkpoints(checkpoints)] == ["test"]
