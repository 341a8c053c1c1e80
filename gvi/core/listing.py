"""One list page: its rows, its total and the audit event of the reading, together.

Every list of person-related records reads the same way: the page of rows, the
count of all that match, then one audit event saying how many were shown from
where. :func:`audited_page` does the three in that order; the caller holds the
transaction, so the event is written with the reading or not at all.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from gvi.access.principal import Principal
from gvi.audit.events import AuditAction


async def audited_page(
    rows_query: Awaitable[list[dict[str, Any]]],
    count_query: Awaitable[int],
    *,
    action: AuditAction,
    actor: Principal,
    target_type: str,
    offset: int,
    details: dict[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """The rows, the total, and the audit event ``{"count", "offset", **details}``."""
    from gvi.audit.services import record

    rows = await rows_query
    total = await count_query
    await record(
        action,
        actor=actor,
        target_type=target_type,
        details={"count": len(rows), "offset": offset, **(details or {})},
    )
    return rows, total


def contains(column: Any, term: str) -> Any:
    """A case-insensitive substring match on *column* for a list's search box: ILIKE on
    PostgreSQL, LIKE on SQLite (which already ignores ASCII case). ``%`` and ``_`` in
    the term are dropped, so a term never becomes a pattern."""
    escaped = term.replace("%", "").replace("_", "")
    if column._meta.table._meta.db.engine_type == "postgres":
        return column.ilike(f"%{escaped}%")
    return column.like(f"%{escaped}%")
