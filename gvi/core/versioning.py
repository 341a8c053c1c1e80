"""Optimistic locking: every editable row carries ``version``; an edit names the
version it was based on and wins only if nobody changed the row since."""

from __future__ import annotations

from typing import Any


async def bump_version(
    table: Any, row_id: int, version: int, values: dict[Any, Any], *, live_only: bool = False
) -> bool:
    """``UPDATE table SET values…, version = version + 1 WHERE id = ? AND version = ?``
    (and not archived, with *live_only*). False when no row matched: the row moved
    on (a conflict for the caller to report) or is gone."""
    where = (table.id == row_id) & (table.version == version)
    if live_only:
        where &= table.archived_at.is_null()
    changed = (
        await table.update({**values, table.version: table.version + 1})
        .where(where)
        .returning(table.id)
    )
    return bool(changed)
