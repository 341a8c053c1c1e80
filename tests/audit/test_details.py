"""What may go into ``details``: ids, counts and tokens, never identities."""

from __future__ import annotations

import pytest

from gvi.audit.events import READ_ACTIONS, AuditAction
from gvi.audit.services import AuditDetailsError, record
from gvi.audit.tables import AuditEvent
from tests.audit.support import fresh_id, principal


@pytest.mark.parametrize(
    "details",
    [
        {"name": "Anna Andersson"},
        {"person_name": "x"},
        {"displayName": "x"},
        {"reason": "checking up on him"},
        {"by": "anna@example.se"},
        {"email_hash": "x"},
        {"query": "19900101-1234"},
        {"query": "9001011234"},
        {"nested": {"pnr": "x"}},
        {"ids": [199001011234]},
        {"note": "x"},
        {"long": "x" * 65},
        {"nan": float("nan")},
        {"obj": object()},
    ],
)
async def test_identity_and_free_text_are_refused(db: None, details: dict[str, object]) -> None:
    person = fresh_id()

    with pytest.raises(AuditDetailsError):
        await record(AuditAction.person_read, actor=principal(), person_id=person, details=details)

    assert not await AuditEvent.exists().where(AuditEvent.person_id == person)


async def test_ids_counts_and_tokens_are_kept(db: None) -> None:
    details = {
        "fields": ["pin_enc", "name_enc"],
        "count": 12,
        "case_id": 4,
        "ok": True,
        "reason": "throttled",
        "role": "outreach",
        "hash": "9" * 64,
    }

    entry = await record(AuditAction.export_create, actor=principal(), details=details)

    assert entry.details == details


async def test_events_without_a_user_take_ip_from_the_arguments(db: None) -> None:
    entry = await record(
        AuditAction.auth_login_failed, actor=None, ip="198.51.100.1", user_agent="x" * 400
    )

    assert entry.actor_id is None
    assert entry.actor_username == ""
    assert entry.ip == "198.51.100.1"
    assert entry.user_agent == "x" * 255


def test_tags_follow_the_naming_scheme() -> None:
    for action in AuditAction:
        parts = action.value.split(":")
        assert 2 <= len(parts) <= 3, action
        assert all(p and p == p.lower() for p in parts), action
        assert len(action.value) <= 64
    assert AuditAction.person_identity_read in READ_ACTIONS
    assert AuditAction.person_write not in READ_ACTIONS
