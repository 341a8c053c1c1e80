"""Reading the audit trail from tests: the rows written after a point."""

from __future__ import annotations

from typing import Any

from gvi.audit.tables import AuditEvent


async def last_seq() -> int:
    row = await AuditEvent.select(AuditEvent.seq).order_by(AuditEvent.seq, ascending=False).first()
    return int(row["seq"]) if row else 0


async def events_since(seq: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (
        await AuditEvent.select(
            AuditEvent.action,
            AuditEvent.actor_id,
            AuditEvent.target_type,
            AuditEvent.target_id,
            AuditEvent.person_id,
            AuditEvent.details,
        )
        .where(AuditEvent.seq > seq)
        .order_by(AuditEvent.seq)
    )
    return rows
