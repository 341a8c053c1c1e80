"""The views admins read: who looked at a person, what a user read, unusual reading."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gvi.audit.events import AuditAction
from gvi.audit.services import record, unusual_reading, what_user_read, who_accessed_person
from tests.audit.support import fresh_id, principal


async def test_who_accessed_person_lists_every_event_naming_them(db: None) -> None:
    person, other = fresh_id(), fresh_id()
    reader, writer = principal(), principal()
    await record(AuditAction.person_read, actor=reader, person_id=person)
    await record(AuditAction.person_read, actor=reader, person_id=other)
    await record(AuditAction.person_write, actor=writer, person_id=person)

    entries = await who_accessed_person(person)

    assert [(e.actor_id, e.action) for e in entries] == [
        (writer.user_id, "person:write"),
        (reader.user_id, "person:read"),
    ]
    assert len(await who_accessed_person(person, limit=1)) == 1


async def test_what_user_read_lists_reads_only(db: None) -> None:
    user = principal()
    first, second = fresh_id(), fresh_id()
    await record(AuditAction.person_read, actor=user, person_id=first)
    await record(AuditAction.person_write, actor=user, person_id=first)
    await record(AuditAction.person_identity_read, actor=user, person_id=second)
    await record(AuditAction.person_read, actor=principal(), person_id=second)

    entries = await what_user_read(user.user_id)

    assert [(e.action, e.person_id) for e in entries] == [
        ("person:identity:read", second),
        ("person:read", first),
    ]


async def test_what_user_read_since(db: None) -> None:
    user = principal()
    await record(AuditAction.person_read, actor=user, person_id=fresh_id())

    assert len(await what_user_read(user.user_id, since=datetime.now(UTC) - timedelta(minutes=5)))
    assert not await what_user_read(user.user_id, since=datetime.now(UTC) + timedelta(minutes=5))


async def test_unusual_reading_flags_over_threshold_and_not_under(db: None) -> None:
    heavy, light = principal(), principal()
    threshold = 5
    for _ in range(threshold + 1):
        person = fresh_id()
        await record(AuditAction.person_read, actor=heavy, person_id=person)
        # Re-reading the same person does not count twice.
        await record(AuditAction.person_identity_read, actor=heavy, person_id=person)
    # Exactly at the threshold is not over it.
    repeat = fresh_id()
    for _ in range(threshold - 1):
        await record(AuditAction.person_read, actor=light, person_id=fresh_id())
    for _ in range(threshold):
        await record(AuditAction.person_read, actor=light, person_id=repeat)
    # Writes are not reading.
    for _ in range(threshold):
        await record(AuditAction.person_write, actor=light, person_id=fresh_id())

    since = datetime.now(UTC) - timedelta(hours=2)
    flagged = {r.actor_id: r for r in await unusual_reading(threshold, since=since)}

    # The hour can turn during the test; then the reads split across two buckets.
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    if datetime.now(UTC) - hour > timedelta(seconds=30):
        assert heavy.user_id in flagged
        assert flagged[heavy.user_id].persons == threshold + 1
        assert flagged[heavy.user_id].actor_username == heavy.username
        assert flagged[heavy.user_id].hour == hour
    assert light.user_id not in flagged


async def test_unusual_reading_respects_since(db: None) -> None:
    user = principal()
    for _ in range(3):
        await record(AuditAction.person_read, actor=user, person_id=fresh_id())

    later = datetime.now(UTC) + timedelta(minutes=5)
    assert user.user_id not in {r.actor_id for r in await unusual_reading(2, since=later)}
