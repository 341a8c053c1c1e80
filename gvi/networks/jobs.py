"""Background jobs for person-level network analyses at national scale.

A request only queues an :class:`~gvi.networks.tables.AnalysisJob`; a
``gvi worker`` process runs it through :mod:`gvi.jobs` (claim by one
conditional UPDATE, heartbeat, attempts, cancel), the CPU work in a thread,
writing progress to the row.

Results are pseudonymous (person codes, group names, counts) and only the user
who asked sees them; reading a result (it names people by code) is audited.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import anyio
import anyio.to_thread
import networkx as nx

from gvi.access.permissions import Permission, has_permission
from gvi.access.principal import Principal, require
from gvi.accounts.tables import Role, User, UserMunicipality
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core.failures import NotVisible
from gvi.db import write_transaction
from gvi.i18n import N_, gettext
from gvi.jobs import runner
from gvi.jobs.queue import enqueue
from gvi.networks import graph, loading
from gvi.networks.person_analyses import person_centrality, person_communities
from gvi.networks.services import NetworkFilter, group_scope, person_scope
from gvi.networks.tables import AnalysisJob
from gvi.settings import get_settings

KIND = "network_analysis"
Kind = AnalysisJob.Kind
Status = AnalysisJob.Status

KIND_LABELS = {
    Kind.person_centrality: N_("Centralitet för personer (via gemensamma grupper)"),
    Kind.person_communities: N_("Gemenskaper av personer och grupper"),
}
HEARTBEAT_SECONDS = 1.0


# --- the analyses (pure: networkx only) ----------------------------------------------


JobCancelled = runner.JobCancelled  # raised in the analysis' thread once cancel is asked


class Progress:
    """Handed to the analysis in its thread; the worker copies it to the row."""

    def __init__(self, stop: threading.Event | None = None, *, percent: int = 0) -> None:
        self.percent = percent
        self.message = ""
        self._stop = stop or threading.Event()
        self._lock = threading.Lock()

    def __call__(self, percent: int, message: str) -> None:
        if self._stop.is_set():
            raise JobCancelled()
        with self._lock:
            # Never backwards, and 100 only when the result is stored.
            self.percent = max(self.percent, min(99, int(percent)))
            self.message = message[:200]

    def read(self) -> tuple[int, str]:
        with self._lock:
            return self.percent, self.message


def _centrality(pg: nx.Graph, progress: Callable[[int, str], None]) -> dict[str, Any]:
    return person_centrality(pg, progress, processes=get_settings().analysis_processes)


ANALYSES: dict[str, Callable[[nx.Graph, Callable[[int, str], None]], dict[str, Any]]] = {
    Kind.person_centrality: _centrality,
    Kind.person_communities: person_communities,
}


# --- what the controllers call ----------------------------------------------------------


@dataclass(frozen=True)
class JobView:
    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    progress: int
    message: str
    as_of: str
    created_at: datetime
    finished_at: datetime | None
    result: dict[str, Any] | None  # only when asked for, and done

    @property
    def summary(self) -> dict[str, Any]:
        return dict((self.result or {}).get("summary", {}))


_JOB_COLUMNS = (
    AnalysisJob.id,
    AnalysisJob.kind,
    AnalysisJob.status,
    AnalysisJob.progress,
    AnalysisJob.message,
    AnalysisJob.params,
    AnalysisJob.created_at,
    AnalysisJob.finished_at,
)


def _view(row: dict[str, Any], result: dict[str, Any] | None = None) -> JobView:
    params = row["params"] or {}
    return JobView(
        id=row["id"],
        kind=row["kind"],
        kind_label=gettext(KIND_LABELS.get(Kind(row["kind"]), row["kind"])),
        status=row["status"],
        status_label=gettext(runner.STATUS_LABELS.get(row["status"], row["status"])),
        progress=row["progress"],
        message=row["message"],
        as_of=str(params.get("as_of", "")),
        created_at=row["created_at"],
        finished_at=row["finished_at"],
        result=result,
    )


def _require(principal: Principal) -> None:
    require(principal, Permission.network_read)


async def create_job(principal: Principal, kind: str, flt: NetworkFilter) -> JobView:
    """Queue a job over the user's scope as it is now; the worker is nudged."""
    _require(principal)
    params = {"as_of": flt.as_of.isoformat(), "municipality_ids": sorted(flt.municipality_ids)}
    job_id = await enqueue(KIND, principal.user_id, {"kind": Kind(kind), "params": params})
    return await get_job(principal, job_id)


async def cancel_job(principal: Principal, job_id: int) -> None:
    """The owner's "Avbryt"; someone else's job is a 404 like a missing one."""
    _require(principal)
    await runner.request_cancel(KIND, principal.user_id, job_id)


async def list_jobs(principal: Principal, limit: int = 20) -> list[JobView]:
    _require(principal)
    rows = (
        await AnalysisJob.select(*_JOB_COLUMNS)
        .where(AnalysisJob.requested_by == principal.user_id)
        .order_by(AnalysisJob.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )
    return [_view(r) for r in rows]


async def _own_job(principal: Principal, job_id: int) -> dict[str, Any]:
    """A job of this user's, with its result; someone else's is missing (404)."""
    row: dict[str, Any] | None = (
        await AnalysisJob.select(*_JOB_COLUMNS, AnalysisJob.result)
        .where((AnalysisJob.id == job_id) & (AnalysisJob.requested_by == principal.user_id))
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotVisible()
    return row


async def get_job(principal: Principal, job_id: int, *, with_result: bool = False) -> JobView:
    """A job of this user's; someone else's is a 404 like a missing one. With
    ``with_result`` a finished job's result (person codes) comes along, and that
    read is audited in the same transaction."""
    _require(principal)
    if not with_result:
        row = await _own_job(principal, job_id)
        # Counts only: polling for progress reads no person codes.
        summary = (row["result"] or {}).get("summary", {})
        return _view(row, {"summary": summary} if row["status"] == Status.done else None)
    async with write_transaction(AnalysisJob._meta.db):
        row = await _own_job(principal, job_id)
        if row["status"] != Status.done:
            return _view(row)
        result = row["result"] or {}
        await record(
            AuditAction.network_read,
            actor=principal,
            target_type="analysis_job",
            target_id=job_id,
            details={"view": "job_result", "kind": row["kind"], **_counts(result)},
        )
    return _view(row, result)


def _counts(result: dict[str, Any]) -> dict[str, int]:
    summary = result.get("summary", {})
    return {
        k: int(v) for k, v in summary.items() if k in ("people", "groups") and isinstance(v, int)
    }


# --- the work, run by a worker (gvi.jobs.runner.execute) ------------------------------


async def _requester_scope(user_id: int, asked: list[int]) -> Principal | None:
    """The requester as they are now: a disabled account or a lost permission stops
    the job, and municipalities they no longer have drop out."""
    user = (
        await User.select(User.id, User.username, User.role, User.is_active, User.archived_at)
        .where(User.id == user_id)
        .first()
    )
    if user is None or not user["is_active"] or user["archived_at"] is not None:
        return None
    if not has_permission(user["role"], Permission.network_read):
        return None
    current = {
        r["municipality"]
        for r in await UserMunicipality.select(UserMunicipality.municipality).where(
            UserMunicipality.user == user_id
        )
    }
    return Principal(
        user_id=user_id,
        username=user["username"],
        role=Role(user["role"]),
        municipality_ids=frozenset(current & set(asked)),
    )


async def _person_graph(principal: Principal, flt: NetworkFilter) -> nx.Graph:
    groups = await loading.load_groups(group_scope(flt), flt.as_of)
    ties = await loading.member_ties(person_scope(principal), group_scope(flt), flt.as_of)
    built: nx.Graph = await anyio.to_thread.run_sync(graph.person_graph, groups, ties, flt.as_of)
    return built


async def _run(ctx: runner.JobContext) -> dict[str, Any]:
    params = ctx.row.get("params") or {}
    principal = await _requester_scope(ctx.requested_by, list(params.get("municipality_ids", [])))
    if principal is None:
        raise runner.JobFailed(runner.NO_LONGER_ALLOWED)
    flt = NetworkFilter(
        as_of=date.fromisoformat(params["as_of"]),
        municipality_ids=principal.municipality_ids,
        kinds=frozenset(),
    )
    await ctx.progress(1, "Läser medlemskap")
    pg = await _person_graph(principal, flt)
    stop = threading.Event()
    progress = Progress(stop, percent=1)
    done = anyio.Event()

    async def report() -> None:
        # The thread cannot write to the database: its steps go to the row from here,
        # and a cancel seen here stops the thread at its next step.
        while not done.is_set():
            with anyio.move_on_after(HEARTBEAT_SECONDS):
                await done.wait()
            if not done.is_set():
                try:
                    await ctx.progress(*progress.read())
                except runner.JobCancelled:
                    stop.set()
                    return

    async with anyio.create_task_group() as tg:
        tg.start_soon(report)
        try:
            result: dict[str, Any] = await anyio.to_thread.run_sync(
                ANALYSES[ctx.row["kind"]], pg, progress
            )
        finally:
            done.set()
    return result


ANALYSIS_KIND = runner.JobKind(
    name=KIND,
    table=AnalysisJob,
    run=_run,
    failure_message="Analysen misslyckades (felkod {error_id}).",
)
