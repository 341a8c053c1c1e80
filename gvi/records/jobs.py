"""Large record imports as background jobs, the way :mod:`gvi.networks.jobs` runs
network analyses.

A request stores the upload in an :class:`~gvi.records.tables.ImportJob`,
encrypted with the data key (the files hold identities: they never rest in
plain text, not even in the queue), and the worker started in the app's
lifespan claims it with one conditional UPDATE, so two app instances never run
one job twice. The worker runs the import as the requester is *now* (a
disabled account or lost permission stops it), writes progress to the row
while it reads and checks, and on finishing deletes the upload and keeps only
the result: counts and problems (file, line, column, fixed message).

While the final transaction writes, SQLite lets nobody else write the file, so
the row's progress stands still there; the page shows "Sparar" until done.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.exceptions import NotFoundException

from gvi.access.principal import Principal
from gvi.accounts.tables import Role, User, UserMunicipality, UserUnit
from gvi.i18n import N_, gettext
from gvi.records import services
from gvi.records.tables import ImportJob
from gvi.security.crypto import aad, get_keyring

log = logging.getLogger("gvi.jobs")
Status = ImportJob.Status

STATUS_LABELS = {
    Status.queued: N_("Väntar"),
    Status.running: N_("Pågår"),
    Status.done: N_("Klar"),
    Status.failed: N_("Misslyckades"),
}
POLL_SECONDS = 2.0
STALE_AFTER = timedelta(minutes=10)


def utcnow() -> datetime:
    return datetime.now(tz=UTC)


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "status_label": self.status_label,
            "dry_run": self.dry_run,
            "progress": self.progress,
            "message": self.message,
            "done": self.status in (Status.done, Status.failed),
            "result": self.result.as_dict() if self.result else None,
        }


async def queue_import(
    principal: Principal, files: Mapping[str, tuple[str, bytes] | None], *, dry_run: bool
) -> int:
    services._require(principal)
    job = ImportJob(dry_run=dry_run, requested_by=principal.user_id, message="Väntar på tur")
    await job.save()
    await ImportJob.update({ImportJob.payload: _seal(job.id, files)}).where(ImportJob.id == job.id)
    wake_worker()
    return int(job.id)


async def get_job(principal: Principal, job_id: int) -> JobView:
    """A job of this user's; someone else's is a 404 like a missing one."""
    services._require(principal)
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
        raise NotFoundException()
    result = (
        services.ImportResult.from_dict(row["result"])
        if row["status"] == Status.done and row["result"]
        else None
    )
    return JobView(
        id=row["id"],
        status=row["status"],
        status_label=gettext(STATUS_LABELS[Status(row["status"])]),
        dry_run=bool(row["dry_run"]),
        progress=row["progress"],
        message=row["message"],
        result=result,
    )


# --- the worker -------------------------------------------------------------------------


def _claimable(now: datetime) -> Any:
    return (ImportJob.status == Status.queued) | (
        (ImportJob.status == Status.running) & (ImportJob.heartbeat_at < now - STALE_AFTER)
    )


async def claim_next(token: str) -> int | None:
    now = utcnow()
    for candidate in (
        await ImportJob.select(ImportJob.id).where(_claimable(now)).order_by(ImportJob.id).limit(5)
    ):
        claimed = (
            await ImportJob.update(
                {
                    ImportJob.status: Status.running,
                    ImportJob.claimed_by: token,
                    ImportJob.started_at: now,
                    ImportJob.heartbeat_at: now,
                    ImportJob.progress: 0,
                    ImportJob.message: "Startar",
                }
            )
            .where((ImportJob.id == candidate["id"]) & _claimable(now))
            .returning(ImportJob.id)
        )
        if claimed:
            return int(candidate["id"])
    return None


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


async def _finish(job_id: int, token: str, values: dict[Any, Any]) -> None:
    # The upload goes as the job ends, whatever the outcome.
    await ImportJob.update(
        {**values, ImportJob.payload: None, ImportJob.finished_at: utcnow()}
    ).where((ImportJob.id == job_id) & (ImportJob.claimed_by == token))


async def run_job(job_id: int, token: str) -> None:
    row = (
        await ImportJob.select(ImportJob.dry_run, ImportJob.payload, ImportJob.requested_by)
        .where(ImportJob.id == job_id)
        .first()
    )
    if row is None:
        return
    try:
        principal = await _requester(row["requested_by"])
        if principal is None or row["payload"] is None:
            await _finish(
                job_id,
                token,
                {
                    ImportJob.status: Status.failed,
                    ImportJob.message: "Beställaren har inte längre behörighet.",
                },
            )
            return
        files = _open(job_id, bytes(row["payload"]))

        async def progress(percent: int, message: str) -> None:
            await ImportJob.update(
                {
                    ImportJob.progress: percent,
                    ImportJob.message: message[:200],
                    ImportJob.heartbeat_at: utcnow(),
                }
            ).where((ImportJob.id == job_id) & (ImportJob.claimed_by == token))

        result = await services.import_records(
            principal, files, dry_run=bool(row["dry_run"]), progress=progress
        )
    except Exception as exc:
        error_id = secrets.token_hex(6)
        # Type and id only: messages can quote data.
        log.error("import job %s failed %s error_id=%s", job_id, type(exc).__name__, error_id)
        await _finish(
            job_id,
            token,
            {
                ImportJob.status: Status.failed,
                ImportJob.message: f"Importen misslyckades (felkod {error_id}).",
            },
        )
        return
    await _finish(
        job_id,
        token,
        {
            ImportJob.status: Status.done,
            ImportJob.progress: 100,
            ImportJob.message: "",
            ImportJob.result: result.as_dict(),
        },
    )


class Worker:
    def __init__(self, *, poll_seconds: float = POLL_SECONDS) -> None:
        self.poll_seconds = poll_seconds
        self.token = f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"
        self.stopping = False
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> bool:
        job_id = await claim_next(self.token)
        if job_id is None:
            return False
        await run_job(job_id, self.token)
        return True

    async def run_forever(self) -> None:
        while not self.stopping:
            try:
                ran = await self.run_once()
            except Exception as exc:  # the worker must outlive a bad job or a DB hiccup
                log.error("import worker error %s", type(exc).__name__)
                ran = False
            if not ran:
                self._wake.clear()
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)


_worker: Worker | None = None


def wake_worker() -> None:
    if _worker is not None:
        _worker.wake()


@asynccontextmanager
async def worker_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Run an import worker beside the app. A job cut off by a shutdown is taken
    over by a worker once its heartbeat is stale (nothing was written: the write
    is one transaction)."""
    global _worker
    worker = Worker()
    _worker = worker
    task = asyncio.create_task(worker.run_forever(), name="gvi-import-jobs")
    try:
        yield
    finally:
        worker.stopping = True
        worker.wake()
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        if _worker is worker:
            _worker = None
