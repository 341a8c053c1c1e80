"""ImportJob: a large record import, queued by a user and run by the in-app worker
(:mod:`gvi.records.jobs`), never inside a request.

The uploaded files wait in ``payload`` encrypted with the data key (they hold
identities) and are deleted when the job ends; ``result`` holds counts and
problems (file, line, column and a fixed message: never a cell).
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import JSON, Boolean, Bytea, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from gvi.accounts.tables import User
from gvi.core.columns import Keyed


class ImportJob(Keyed, Table, tablename="import_job"):
    class Status(StrEnum):
        queued = "queued"
        running = "running"
        done = "done"
        failed = "failed"
        cancelling = "cancelling"
        cancelled = "cancelled"

    status = Varchar(length=16, choices=Status, default=Status.queued, index=True)
    dry_run = Boolean(default=True)
    progress = Integer(default=0, help_text="0–100.")
    message = Varchar(length=200, default="", help_text="A short status line; never data.")
    payload = Bytea(
        null=True, default=None, help_text="The upload, AES-GCM under the data key; None when done."
    )
    result = JSON(default="{}", help_text="Counts and problems: no cell is ever quoted.")
    requested_by = ForeignKey(User, on_delete=OnDelete.restrict)
    claimed_by = Varchar(length=64, default="", help_text="Which worker runs it (host:pid:token).")
    attempts = Integer(default=0, help_text="Runs started; capped by GVI_JOB_MAX_ATTEMPTS.")
    cancel_requested = Boolean(default=False, help_text="The owner pressed Avbryt.")
    created_at = Timestamptz(default=TimestamptzNow())
    started_at = Timestamptz(null=True, default=None)
    heartbeat_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
