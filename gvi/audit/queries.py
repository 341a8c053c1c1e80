"""The views of the trail admins use: who worked with a person, what a user read,
and who read unusually many persons in one hour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gvi.audit.chain import ENTRY_COLUMNS, AuditEntry, entry_from_row
from gvi.audit.events import READ_ACTIONS
from gvi.audit.tables import AuditEvent


async def who_accessed_person(person_id: int, *, limit: int = 200) -> list[AuditEntry]:
    """Every event naming the person, reads and writes, newest first."""
    rows = (
        await AuditEvent.select(*ENTRY_COLUMNS)
        .where(AuditEvent.person_id == person_id)
        .order_by(AuditEvent.seq, ascending=False)
        .limit(limit)
    )
    return [entry_from_row(row) for row in rows]


async def what_user_read(
    user_id: int, *, since: datetime | None = None, limit: int = 200
) -> list[AuditEntry]:
    """The user's reads of person-level data (``READ_ACTIONS``), newest first."""
    query = AuditEvent.select(*ENTRY_COLUMNS).where(
        (AuditEvent.actor_id == user_id) & AuditEvent.action.is_in(sorted(READ_ACTIONS))
    )
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since.astimezone(UTC))
    rows = await query.order_by(AuditEvent.seq, ascending=False).limit(limit)
    return [entry_from_row(row) for row in rows]


@dataclass(frozen=True)
class UnusualReading:
    actor_id: int
    actor_username: str
    hour: datetime  # start of the clock hour, UTC
    persons: int  # distinct persons read in that hour


async def unusual_reading(
    threshold: int = 50, *, since: datetime | None = None
) -> list[UnusualReading]:
    """Users who read more than ``threshold`` distinct persons within one clock
    hour (UTC), most persons first. Counted in the database, per actor and hour."""
    engine = AuditEvent._meta.db
    if engine.engine_type == "postgres":
        hour = "date_trunc('hour', occurred_at AT TIME ZONE 'UTC')"
    else:
        # Piccolo stores timestamptz as "YYYY-MM-DD HH:MM:SS.ffffff+00:00"; SQLite reads that.
        hour = "strftime('%Y-%m-%d %H:00:00', occurred_at)"
    actions = sorted(READ_ACTIONS)
    args: list[Any] = list(actions)
    since_clause = ""
    if since is not None:
        since_clause = "AND occurred_at >= {}"
        args.append(since.astimezone(UTC))
    args.append(threshold)
    # Only fixed text is formatted in; every value is a bound parameter.
    sql = (
        "SELECT actor_id, MAX(actor_username) AS actor_username, "  # noqa: S608
        f"{hour} AS hour, COUNT(DISTINCT person_id) AS persons "
        "FROM audit_event "
        f"WHERE action IN ({', '.join('{}' for _ in actions)}) "
        "AND person_id IS NOT NULL AND actor_id IS NOT NULL "
        f"{since_clause} "
        f"GROUP BY actor_id, {hour} "
        "HAVING COUNT(DISTINCT person_id) > {} "
        "ORDER BY persons DESC, hour, actor_id"
    )
    rows = await AuditEvent.raw(sql, *args)
    result = []
    for row in rows:
        bucket = row["hour"]
        if isinstance(bucket, str):
            bucket = datetime.fromisoformat(bucket)
        result.append(
            UnusualReading(
                actor_id=row["actor_id"],
                actor_username=row["actor_username"],
                hour=bucket.replace(tzinfo=UTC),
                persons=row["persons"],
            )
        )
    return result
