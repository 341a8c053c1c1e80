"""AnalysisJob: a long person-level network analysis, queued by a user and run by
the in-app worker (:mod:`gvi.networks.jobs`), never inside a request. SavedView:
an analyst's named picture of the group network (:mod:`gvi.networks.saved`).

A job's parameters freeze the requester's scope at the time of asking; its
result is pseudonymous (person codes, group names, counts) and is shown only to
the user who asked.
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from gvi.accounts.tables import User
from gvi.core.columns import Keyed


class AnalysisJob(Keyed, Table, tablename="analysis_job"):
    class Kind(StrEnum):
        person_centrality = "person_centrality"
        person_communities = "person_communities"

    class Status(StrEnum):
        queued = "queued"
        running = "running"
        done = "done"
        failed = "failed"
        cancelling = "cancelling"
        cancelled = "cancelled"

    kind = Varchar(length=32, choices=Kind)
    params = JSON(default="{}", help_text="as_of, municipality ids: the scope when asked.")
    status = Varchar(length=16, choices=Status, default=Status.queued, index=True)
    progress = Integer(default=0, help_text="0–100.")
    message = Varchar(length=200, default="", help_text="A short status line; never data.")
    result = JSON(default="{}", help_text="Pseudonymous: person codes and counts only.")
    requested_by = ForeignKey(User, on_delete=OnDelete.restrict)
    claimed_by = Varchar(length=64, default="", help_text="Which worker runs it (host:pid:token).")
    attempts = Integer(default=0, help_text="Runs started; capped by GVI_JOB_MAX_ATTEMPTS.")
    cancel_requested = Boolean(default=False, help_text="The owner pressed Avbryt.")
    created_at = Timestamptz(default=TimestamptzNow())
    started_at = Timestamptz(null=True, default=None)
    heartbeat_at = Timestamptz(
        null=True, default=None, help_text="A running job not seen for a while is taken over."
    )
    finished_at = Timestamptz(null=True, default=None)


class SavedView(Keyed, Table, tablename="saved_view"):
    """Filters, date, centre group, colouring and pinned positions of a group-network
    picture, with a name and a note. Group level only: no person data. Seen by its
    owner alone; opening it re-renders the picture within the opener's scope."""

    name = Varchar(length=100)
    note = Text(default="")
    params = JSON(
        default="{}",
        help_text="as_of, municipality ids, kinds, colour, center, radius, pins (group id → x, y).",
    )
    owner = ForeignKey(User, on_delete=OnDelete.restrict, index=True, null=False)
    created_at = Timestamptz(default=TimestamptzNow())
    archived_at = Timestamptz(null=True, default=None, help_text="Removed from the list.")
