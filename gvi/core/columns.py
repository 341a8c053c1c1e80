"""Column mixins shared by the domain tables.

Every editable row carries ``version`` for optimistic locking; history is kept
by archiving (``archived_at``), never by deleting.
"""

from __future__ import annotations

from datetime import UTC, datetime

from piccolo.columns import Integer, Serial, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow


def utcnow() -> datetime:
    return datetime.now(tz=UTC)


class Keyed:
    """The primary key, declared so type checkers know ``row.id`` is an int."""

    id = Serial(primary_key=True)


class Tracked(Keyed):
    """Created/updated stamps and the optimistic-lock version."""

    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), auto_update=utcnow)
    version = Integer(
        default=1,
        help_text="Optimistic lock: an update must name the version it read.",
    )


class Archivable(Tracked):
    """Editable rows that are archived, not deleted."""

    archived_at = Timestamptz(null=True, default=None)
