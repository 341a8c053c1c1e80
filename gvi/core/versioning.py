"""Optimistic locking: every editable row carries ``version``; an edit names the
version it was based on and wins only if nobody changed the row since."""

from __future__ import annotations

from typing import Any

from gvi.core.failures import VersionConflict


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


async def versioned_update(
    table: Any,
    row_id: int,
    version: int,
    values: dict[Any, Any],
    *,
    live_only: bool = False,
    conflict: str | None = None,
) -> None:
    """:func:`bump_version`, raising :class:`~gvi.core.failures.VersionConflict`
    (with *conflict* as its message, if given) when the row moved on or is gone."""
    if not await bump_version(table, row_id, version, values, live_only=live_only):
        raise VersionConflict(conflict)
