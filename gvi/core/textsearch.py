"""A search box's text as a query condition, the same on both engines."""

from __future__ import annotations

from typing import Any


def contains(column: Any, term: str) -> Any:
    """``column`` contains ``term``, case-insensitively where the engine can (ILIKE on
    PostgreSQL; SQLite's LIKE already ignores ASCII case). The wildcards ``%`` and
    ``_`` typed into the box are dropped, so a term never widens into a pattern."""
    pattern = "%" + term.replace("%", "").replace("_", "") + "%"
    if column._meta.table._meta.db.engine_type == "postgres":
        return column.ilike(pattern)
    return column.like(pattern)
