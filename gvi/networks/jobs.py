"""Background jobs for person-level network analyses at national scale.

A request only queues an :class:`~gvi.networks.tables.AnalysisJob`; the worker
started in the app's lifespan (:func:`worker_lifespan`) claims queued jobs with
one conditional UPDATE (``… WHERE status = 'queued'``), so two app instances
never run one job twice, and runs the CPU work in a thread, writing progress
and a heartbeat to the row. A running job whose heartbeat is older than
:data:`STALE_AFTER` (its instance died) is claimed again.

Results are pseudonymous (person codes, group names, counts) and only the user
who asked sees them; reading a result (it names people by code) is audited.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
import socket
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import anyio
import anyio.to_thread
import networkx as nx
from litestar import Litestar
from litestar.exceptions import NotFoundException

from gvi.access.permissions import Permission, has_permission
from gvi.access.principal import Principal
from gvi.accounts.tables import Role, User, UserMunicipality
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.db import write_transaction
from gvi.groups.tables import Group, Membership
from gvi.i18n import N_, gettext
from gvi.networks import graph
from gvi.networks.graph import MemberTie
from gvi.networks.services import (
    NetworkFilter,
    group_scope,
    load_groups,
    person_scope,
    valid_on,
)
from gvi.networks.tables import AnalysisJob
from gvi.people.tables import Person

log = logging.getLogger("gvi.jobs")

Kind = AnalysisJob.Kind
Status = AnalysisJob.Status

KIND_LABELS = {
    Kind.person_centrality: N_("Centralitet för personer (via gemensamma grupper)"),
    Kind.person_communities: N_("Gemenskaper av personer och grupper"),
}
STATUS_LABELS = {
    Status.queued: N_("Väntar"),
    Status.running: N_("Pågår"),
    Status.done: N_("Klar"),
    Status.failed: N_("Misslyckades"),
}

POLL_SECONDS = 2.0
HEARTBEAT_SECONDS = 1.0
STALE_AFTER = timedelta(minutes=5)
CENTRALITY_SAMPLES = 256  # BFS sources for sampled betweenness; exact below this many nodes
TOP_PEOPLE = 100
TOP_COMMUNITIES = 20
CODES_PER_COMMUNITY = 50
GROUPS_PER_COMMUNITY = 10


def utcnow() -> datetime:
    return datetime.now(tz=UTC)


# --- the analyses (pure: networkx only) ----------------------------------------------


class JobCancelled(Exception):
    """The worker is stopping; the job goes back to the queue."""


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


def _people(pg: nx.Graph) -> list[Any]:
    return sorted(n for n in pg if n[0] == graph.PERSON)


def person_centrality(
    pg: nx.Graph, progress: Callable[[int, str], None], *, samples: int = CENTRALITY_SAMPLES
) -> dict[str, Any]:
    """Betweenness of people in the person–group graph: who links groups and people
    that are otherwise apart. Exact for small graphs; at national scale estimated
    from ``samples`` BFS sources (Brandes & Pich 2007), in chunks so progress shows."""
    nodes = sorted(pg.nodes)
    n = len(nodes)
    progress(5, "Beräknar vägar i nätet")
    sources = nodes if n <= samples else random.Random(1).sample(nodes, samples)  # noqa: S311 - reproducible sampling, not a secret
    raw: dict[Any, float] = dict.fromkeys(nodes, 0.0)
    chunk = 16
    for start in range(0, len(sources), chunk):
        part = sources[start : start + chunk]
        found = nx.betweenness_centrality_subset(pg, part, nodes, normalized=False)
        for node, value in found.items():
            raw[node] += value
        done = min(start + chunk, len(sources))
        progress(5 + 90 * done // len(sources), f"{done} av {len(sources)} startpunkter klara")
    scale = (n / len(sources)) / ((n - 1) * (n - 2) / 2) if n > 2 and sources else 0.0
    people = _people(pg)
    ranked = sorted(people, key=lambda p: (-raw[p], pg.nodes[p]["label"]))[:TOP_PEOPLE]
    return {
        "summary": {
            "people": len(people),
            "groups": n - len(people),
            "memberships": pg.number_of_edges(),
            "sources": len(sources),
            "exact": len(sources) == n,
        },
        "top": [
            {
                "code": pg.nodes[p]["label"],
                "score": round(raw[p] * scale, 5),
                "groups": pg.degree(p),
            }
            for p in ranked
        ],
    }


def person_communities(pg: nx.Graph, progress: Callable[[int, str], None]) -> dict[str, Any]:
    """Louvain communities of the person–group graph (memberships only: every weight
    is positive), the biggest by number of people first."""
    progress(10, "Söker gemenskaper")
    partition: list[set[Any]] = [{n} for n in pg]
    for level, found in enumerate(nx.community.louvain_partitions(pg, seed=1), start=1):
        partition = [set(c) for c in found]
        progress(min(90, 10 + 20 * level), f"Nivå {level}: {len(partition)} gemenskaper")
    people_total = len(_people(pg))
    described = []
    for community in partition:
        people = sorted(pg.nodes[n]["label"] for n in community if n[0] == graph.PERSON)
        groups = sorted(pg.nodes[n]["label"] for n in community if n[0] == graph.GROUP)
        if people:
            described.append((len(people), len(groups), people, groups))
    described.sort(key=lambda c: (-c[0], -c[1], c[2][0]))
    return {
        "summary": {
            "people": people_total,
            "groups": pg.number_of_nodes() - people_total,
            "communities": len(described),
            "largest": described[0][0] if described else 0,
        },
        "communities": [
            {
                "people": n_people,
                "groups": n_groups,
                "group_names": groups[:GROUPS_PER_COMMUNITY],
                "codes": people[:CODES_PER_COMMUNITY],
            }
            for n_people, n_groups, people, groups in described[:TOP_COMMUNITIES]
        ],
    }


ANALYSES: dict[str, Callable[[nx.Graph, Callable[[int, str], None]], dict[str, Any]]] = {
    Kind.person_centrality: person_centrality,
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
        status_label=gettext(STATUS_LABELS.get(Status(row["status"]), row["status"])),
        progress=row["progress"],
        message=row["message"],
        as_of=str(params.get("as_of", "")),
        created_at=row["created_at"],
        finished_at=row["finished_at"],
        result=result,
    )


def _require(principal: Principal) -> None:
    if not principal.can(Permission.network_read):
        raise NotFoundException()


async def create_job(principal: Principal, kind: str, flt: NetworkFilter) -> JobView:
    """Queue a job over the user's scope as it is now; the worker is nudged."""
    _require(principal)
    job_kind = Kind(kind)
    job = AnalysisJob(
        kind=job_kind,
        params={
            "as_of": flt.as_of.isoformat(),
            "municipality_ids": sorted(flt.municipality_ids),
        },
        requested_by=principal.user_id,
    )
    await job.save()
    wake_worker()
    return await get_job(principal, job.id)


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


async def get_job(principal: Principal, job_id: int, *, with_result: bool = False) -> JobView:
    """A job of this user's; someone else's is a 404 like a missing one. With
    ``with_result`` a finished job's result (person codes) comes along, and that
    read is audited in the same transaction."""
    _require(principal)
    where = (AnalysisJob.id == job_id) & (AnalysisJob.requested_by == principal.user_id)
    if not with_result:
        row = (
            await AnalysisJob.select(*_JOB_COLUMNS, AnalysisJob.result)
            .where(where)
            .output(load_json=True)
            .first()
        )
        if row is None:
            raise NotFoundException()
        # Counts only: polling for progress reads no person codes.
        summary = (row["result"] or {}).get("summary", {})
        return _view(row, {"summary": summary} if row["status"] == Status.done else None)
    async with write_transaction(AnalysisJob._meta.db):
        row = (
            await AnalysisJob.select(*_JOB_COLUMNS, AnalysisJob.result)
            .where(where)
            .output(load_json=True)
            .first()
        )
        if row is None:
            raise NotFoundException()
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


# --- the worker -------------------------------------------------------------------------


def _claimable(now: datetime) -> Any:
    return (AnalysisJob.status == Status.queued) | (
        (AnalysisJob.status == Status.running) & (AnalysisJob.heartbeat_at < now - STALE_AFTER)
    )


async def claim_next(token: str) -> int | None:
    """Take the oldest claimable job: one UPDATE whose WHERE repeats the condition,
    so of two workers racing for a row exactly one gets it back."""
    now = utcnow()
    candidates = (
        await AnalysisJob.select(AnalysisJob.id)
        .where(_claimable(now))
        .order_by(AnalysisJob.id)
        .limit(5)
    )
    for candidate in candidates:
        claimed = (
            await AnalysisJob.update(
                {
                    AnalysisJob.status: Status.running,
                    AnalysisJob.claimed_by: token,
                    AnalysisJob.started_at: now,
                    AnalysisJob.heartbeat_at: now,
                    AnalysisJob.progress: 0,
                    AnalysisJob.message: "Startar",
                }
            )
            .where((AnalysisJob.id == candidate["id"]) & _claimable(now))
            .returning(AnalysisJob.id)
        )
        if claimed:
            return int(candidate["id"])
    return None


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
    groups = await load_groups(group_scope(flt), flt.as_of)
    rows = await Membership.select(
        Membership.person,
        Membership.person.code,
        Membership.group,
        Membership.role,
        Membership.confidence,
        Membership.valid_from,
        Membership.valid_to,
    ).where(
        Membership.archived_at.is_null()
        & valid_on(Membership.valid_from, Membership.valid_to, flt.as_of)
        & Membership.person.is_in(Person.select(Person.id).where(person_scope(principal)))
        & Membership.group.is_in(Group.select(Group.id).where(group_scope(flt)))
    )
    ties = [
        MemberTie(
            person_id=r["person"],
            person_code=r["person.code"],
            group_id=r["group"],
            role=r["role"],
            confidence=r["confidence"],
            valid_from=r["valid_from"],
            valid_to=r["valid_to"],
        )
        for r in rows
    ]
    built: nx.Graph = await anyio.to_thread.run_sync(graph.person_graph, groups, ties, flt.as_of)
    return built


async def _write_progress(job_id: int, token: str, percent: int, message: str) -> None:
    await AnalysisJob.update(
        {
            AnalysisJob.progress: percent,
            AnalysisJob.message: message,
            AnalysisJob.heartbeat_at: utcnow(),
        }
    ).where((AnalysisJob.id == job_id) & (AnalysisJob.claimed_by == token))


async def _finish(job_id: int, token: str, values: dict[Any, Any]) -> None:
    await AnalysisJob.update({**values, AnalysisJob.finished_at: utcnow()}).where(
        (AnalysisJob.id == job_id) & (AnalysisJob.claimed_by == token)
    )


class Worker:
    """Claims and runs jobs one at a time until stopped."""

    def __init__(self, *, poll_seconds: float = POLL_SECONDS) -> None:
        self.poll_seconds = poll_seconds
        self.token = f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"
        self.stop = threading.Event()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run_forever(self) -> None:
        while not self.stop.is_set():
            try:
                ran = await self.run_once()
            except Exception as exc:  # the worker must outlive a bad job or a DB hiccup
                log.error("job worker error %s", type(exc).__name__)
                ran = False
            if not ran:
                self._wake.clear()
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def run_once(self) -> bool:
        """Claim and run one job; False when none was waiting."""
        job_id = await claim_next(self.token)
        if job_id is None:
            return False
        await self.execute(job_id)
        return True

    async def execute(self, job_id: int) -> None:
        row = (
            await AnalysisJob.select(AnalysisJob.kind, AnalysisJob.params, AnalysisJob.requested_by)
            .where(AnalysisJob.id == job_id)
            .output(load_json=True)
            .first()
        )
        if row is None:
            return
        params = row["params"] or {}
        try:
            principal = await _requester_scope(
                row["requested_by"], list(params.get("municipality_ids", []))
            )
            if principal is None:
                await _finish(
                    job_id,
                    self.token,
                    {
                        AnalysisJob.status: Status.failed,
                        AnalysisJob.message: "Beställaren har inte längre behörighet.",
                    },
                )
                return
            flt = NetworkFilter(
                as_of=date.fromisoformat(params["as_of"]),
                municipality_ids=principal.municipality_ids,
                kinds=frozenset(),
            )
            await _write_progress(job_id, self.token, 1, "Läser medlemskap")
            pg = await _person_graph(principal, flt)
            progress = Progress(self.stop, percent=1)
            analysis = ANALYSES[row["kind"]]
            result = await self._run_in_thread(job_id, analysis, pg, progress)
        except JobCancelled:
            with anyio.CancelScope(shield=True):
                await AnalysisJob.update(
                    {
                        AnalysisJob.status: Status.queued,
                        AnalysisJob.claimed_by: "",
                        AnalysisJob.progress: 0,
                        AnalysisJob.message: "Avbröts när tjänsten startades om; köad igen.",
                    }
                ).where((AnalysisJob.id == job_id) & (AnalysisJob.claimed_by == self.token))
            raise
        except Exception as exc:
            error_id = secrets.token_hex(6)
            # Type and id only: messages can quote data.
            log.error("job %s failed %s error_id=%s", job_id, type(exc).__name__, error_id)
            await _finish(
                job_id,
                self.token,
                {
                    AnalysisJob.status: Status.failed,
                    AnalysisJob.message: f"Analysen misslyckades (felkod {error_id}).",
                },
            )
            return
        await _finish(
            job_id,
            self.token,
            {
                AnalysisJob.status: Status.done,
                AnalysisJob.progress: 100,
                AnalysisJob.message: "",
                AnalysisJob.result: result,
            },
        )

    async def _run_in_thread(
        self,
        job_id: int,
        analysis: Callable[[nx.Graph, Callable[[int, str], None]], dict[str, Any]],
        pg: nx.Graph,
        progress: Progress,
    ) -> dict[str, Any]:
        done = anyio.Event()
        result: dict[str, Any] = {}

        async def report() -> None:
            last: tuple[int, str] | None = None
            while not done.is_set():
                with anyio.move_on_after(HEARTBEAT_SECONDS):
                    await done.wait()
                now = progress.read()
                if now != last or not done.is_set():
                    await _write_progress(job_id, self.token, *now)
                    last = now

        async with anyio.create_task_group() as tg:
            tg.start_soon(report)
            try:
                result = await anyio.to_thread.run_sync(analysis, pg, progress)
            finally:
                done.set()
        return result


_worker: Worker | None = None


def wake_worker() -> None:
    if _worker is not None:
        _worker.wake()


@asynccontextmanager
async def worker_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Run a worker beside the app; on shutdown, a job in progress is put back in
    the queue (the analysis stops at its next progress report)."""
    global _worker
    worker = Worker()
    _worker = worker
    task = asyncio.create_task(worker.run_forever(), name="gvi-network-jobs")
    try:
        yield
    finally:
        worker.stop.set()
        worker.wake()
        task.cancel()
        with suppress(asyncio.CancelledError, JobCancelled):
            await task
        if _worker is worker:
            _worker = None
