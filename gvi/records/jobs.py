"""Large record imports as background jobs, the way :mod:`gvi.networks.jobs` runs
network analyses.

A request stores the upload in an :class:`~gvi.records.tables.ImportJob`,
encrypted with the data key (the files hold identities: they never rest in
plain text, and the queue carries only the row's id), and a ``gvi worker``
process runs it through :mod:`gvi.jobs` (claim by one conditional UPDATE,
heartbeat, attempts, cancel). The worker runs the import as the requester is *now* (a
disabled account or lost permission stops it), writes progress to the row
while it reads and checks, and on finishing deletes the upload and keeps only
the result: counts and problems (file, line, column, fixed message).

While the final transaction writes, the bar still moves, batch by batch: on
PostgreSQL each step is written to the job row on a connection of its own (the
import's transaction would hide it until the end); on SQLite, where the
transaction keeps every other writer out of the file, the step is written
inside it (the heartbeat is fresh the moment it commits, so no reaper takes
the job then) and kept in the running process's memory (:data:`_LIVE`) for
:func:`get_job`. The web process is not the worker's, so its pages show the
last step written before the final transaction, "Sparar", until the commit.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gvi.access.principal import Principal
from gvi.accounts.tables import Role, User, UserMunicipality, UserUnit
from gvi.core.failures import NotVisible
from gvi.i18n import gettext
from gvi.jobs import runner
from gvi.jobs.queue import dispatch
from gvi.records import services
from gvi.records.tables import ImportJob
from gvi.security.crypto import aad, get_keyring

KIND = "records_import"
Status = ImportJob.Status
# job id → (percent, message) of the jobs this process runs, as they run.
_LIVE: dict[int, tuple[int, str]] = {}


def _seal(job_id: int, files: Mapping[str, tuple[str, bytes] | None]) -> bytes:
    plain = json.dumps(
        {
            kind: [sent[0], base64.b64encode(sent[1]).decode()]
            for kind, sent in files.items()
            if sent is not None
        }
    )
    return get_keyring().encrypt(plain, aad("import_job", "payload", job_id))


def _open(job_id: int, blob: bytes) -> dict[str, tuple[str, bytes] | None]:
    plain = json.loads(get_keyring().decrypt(blob, aad("import_job", "payload", job_id)))
    return {kind: (name, base64.b64decode(data)) for kind, (name, data) in plain.items()}


@dataclass(frozen=True)
class JobView:
    id: int
    status: str
    status_label: str
    dry_run: bool
    progress: int
    message: str
    result: services.ImportResult | None

    @property
    def done(self) -> bool:
        return self.status in runner.FINISHED

    @property
    def cancellable(self) -> bool:
        return self.status in (Status.queued, Status.running)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "status_label": self.status_label,
            "dry_run": self.dry_run,
            "progress": self.progress,
            "message": self.message,
            "done": self.done,
            "result": self.result.as_dict() if self.result else None,
        }


async def queue_import(
    principal: Principal, files: Mapping[str, tuple[str, bytes] | None], *, dry_run: bool
) -> int:
    services._require(principal)
    job = ImportJob(dry_run=dry_run, requested_by=principal.user_id, message="Väntar på tur")
    await job.save()
    await ImportJob.update({ImportJob.payload: _seal(job.id, files)}).where(ImportJob.id == job.id)
    await dispatch(KIND, int(job.id))
    return int(job.id)


async def cancel_import(principal: Principal, job_id: int) -> None:
    """The owner's "Avbryt"; someone else's job is a 404 like a missing one."""
    services._require(principal)
    await runner.request_cancel(KIND, principal.user_id, job_id)


async def get_job(principal: Principal, job_id: int) -> JobView:
    """A job of this user's; someone else's is a 404 like a missing one."""
    services._require(principal)
    # The live step is read before the row: a job that ends in between has
    # already stored its outcome, and one still running never shows a step
    # older than one this page has seen (the bar never steps back).
    live = _LIVE.get(job_id)
    row = (
        await ImportJob.select(
            ImportJob.id,
            ImportJob.status,
            ImportJob.dry_run,
            ImportJob.progress,
            ImportJob.message,
            ImportJob.result,
        )
        .where((ImportJob.id == job_id) & (ImportJob.requested_by == principal.user_id))
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotVisible()
    result = (
        services.ImportResult.from_dict(row["result"])
        if row["status"] == Status.done and row["result"]
        else None
    )
    progress, message = row["progress"], row["message"]
    if row["status"] == Status.running and live is not None and live[0] >= progress:
        progress, message = live
    return JobView(
        id=row["id"],
        status=row["status"],
        status_label=gettext(runner.STATUS_LABELS[row["status"]]),
        dry_run=bool(row["dry_run"]),
        progress=progress,
        message=message,
        result=result,
    )


# --- the work, run by a worker (gvi.jobs.runner.execute) ------------------------------


async def _requester(user_id: int) -> Principal | None:
    """The requester as they are now."""
    user = (
        await User.select(
            User.id, User.username, User.role, User.unit, User.is_active, User.archived_at
        )
        .where(User.id == user_id)
        .first()
    )
    if user is None or not user["is_active"] or user["archived_at"] is not None:
        return None
    municipalities = await UserMunicipality.select(UserMunicipality.municipality).where(
        UserMunicipality.user == user_id
    )
    units = {
        r["unit"] for r in await UserUnit.select(UserUnit.unit).where(UserUnit.user == user_id)
    }
    if user["unit"]:
        units.add(user["unit"])
    principal = Principal(
        user_id=user_id,
        username=user["username"],
        role=Role(user["role"]),
        unit_id=user["unit"],
        municipality_ids=frozenset(r["municipality"] for r in municipalities),
        unit_ids=frozenset(units),
    )
    return principal if services.can_import(principal) else None


async def _run(ctx: runner.JobContext) -> dict[str, Any]:
    principal = await _requester(ctx.requested_by)
    if principal is None or ctx.row.get("payload") is None:
        raise runner.JobFailed(runner.NO_LONGER_ALLOWED)
    files = _open(ctx.job_id, bytes(ctx.row["payload"]))

    async def progress(percent: int, message: str) -> None:
        _LIVE[ctx.job_id] = (percent, message[:200])
        await ctx.progress(percent, message)

    result = await services.import_records(
        principal, files, dry_run=bool(ctx.row["dry_run"]), progress=progress
    )
    return result.as_dict()


def _forget(job_id: int) -> None:
    _LIVE.pop(job_id, None)


IMPORT_KIND = runner.JobKind(
    name=KIND,
    table=ImportJob,
    run=_run,
    failure_message="Importen misslyckades (felkod {error_id}).",
    # The upload goes as the job ends, whatever the outcome.
    finish_values=lambda: {ImportJob.payload: None},
    # Forgotten only once the row holds the outcome: the bar never steps back.
    after=_forget,
)
