"""Running one job from its row: claim, heartbeat, progress, cancel, outcome; and the
reaper that gives a dead worker's job to another.

A job table has the shared columns ``status``, ``progress``, ``message``,
``result``, ``requested_by``, ``claimed_by``, ``attempts``, ``cancel_requested``,
``started_at``, ``heartbeat_at``, ``finished_at`` (gvi/records/tables.py
ImportJob, gvi/networks/tables.py AnalysisJob). The queue only says "run kind K,
row N"; whatever the queue does (a message delivered twice, a lost one sent
again by the reaper), the claim is one conditional UPDATE on the row
(``… WHERE status = 'queued'``), so exactly one worker runs a job at a time.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import secrets
import signal
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from gvi.core.failures import NotVisible
from gvi.i18n import N_
from gvi.jobs.registry import KINDS, load
from gvi.settings import get_settings

log = logging.getLogger("gvi.jobs")

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
CANCELLING, CANCELLED = "cancelling", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
STATUS_LABELS = {
    QUEUED: N_("Väntar"),
    RUNNING: N_("Pågår"),
    DONE: N_("Klar"),
    FAILED: N_("Misslyckades"),
    CANCELLING: N_("Avbryts"),
    CANCELLED: N_("Avbruten"),
}
PROGRESS_TIMEOUT = 5.0  # seconds a progress step may take to store (PostgreSQL)
GAVE_UP = "Arbetsprocessen stannade {n} gånger under jobbet; det körs inte igen."
NO_LONGER_ALLOWED = "Beställaren har inte längre behörighet."
CANCELLED_MESSAGE = "Avbrutet på begäran; inget sparades."


class JobCancelled(Exception):
    """The owner asked to cancel (or the claim was lost): the job stops here."""


class JobFailed(Exception):
    """The job cannot succeed; ``reason`` (Swedish, no data) is shown to the owner."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class JobKind:
    """One kind of background job: its table, its work, and how it fails."""

    name: str
    table: Any  # a Piccolo table with the shared job columns
    run: Callable[[JobContext], Awaitable[dict[str, Any]]]
    failure_message: str  # with {error_id}
    finish_values: Callable[[], dict[Any, Any]] = dict  # also set when the job ends
    after: Callable[[int], None] | None = None  # once the outcome is stored (this process)


def kind(name: str) -> JobKind:
    found: JobKind = load(KINDS[name])
    return found


def utcnow() -> datetime:
    return datetime.now(tz=UTC)


_TOKEN: tuple[int, str] | None = None


def worker_token() -> str:
    """host:pid:random of this process (the pid lets an operator find the worker)."""
    global _TOKEN
    if _TOKEN is None or _TOKEN[0] != os.getpid():
        _TOKEN = (os.getpid(), f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}")
    return _TOKEN[1]


@dataclass
class JobContext:
    """Handed to a job's work: its row, progress reports and the cancel check."""

    kind: JobKind
    job_id: int
    token: str
    row: dict[str, Any]
    stop_requested: bool = False
    _last_check: float = field(default=0.0, repr=False)

    @property
    def requested_by(self) -> int:
        return int(self.row["requested_by"])

    def check(self) -> None:
        """Raise :class:`JobCancelled` if the owner asked to cancel (seen by the heartbeat)."""
        if self.stop_requested:
            raise JobCancelled()

    def _mine(self) -> Any:
        t = self.kind.table
        return (t.id == self.job_id) & (t.claimed_by == self.token)

    async def beat(self, values: dict[Any, Any] | None = None) -> None:
        """Write the heartbeat (and ``values``); learn whether cancel was asked."""
        t = self.kind.table
        rows = (
            await t.update({**(values or {}), t.heartbeat_at: utcnow()})
            .where(self._mine())
            .returning(t.cancel_requested)
        )
        self._last_check = time.monotonic()
        if not rows or rows[0]["cancel_requested"]:
            self.stop_requested = True

    async def progress(self, percent: int, message: str) -> None:
        """Store the step so the page shows it; stops the job if cancel was asked.

        Inside the job's own transaction: on PostgreSQL the step goes on a
        connection of its own (an empty context knows no transaction) so the page
        sees it now; on SQLite it is written in the transaction (the file is the
        job's until it commits), so the heartbeat is fresh the moment it commits."""
        self.check()
        t = self.kind.table
        values = {t.progress: max(0, min(99, int(percent))), t.message: message[:200]}
        engine = t._meta.db
        if engine.current_transaction.get() is None:
            await self.beat(values)
        elif engine.engine_type == "postgres":
            with suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.create_task(self.beat(values), context=contextvars.Context()),
                    PROGRESS_TIMEOUT,
                )
        else:
            mine = (
                await t.update({**values, t.heartbeat_at: utcnow()})
                .where(self._mine())
                .returning(t.id)
            )
            # The claim went to another worker (this one was taken for dead):
            # stop, and the job's transaction rolls back rather than commit twice.
            self.stop_requested = self.stop_requested or not mine
        self.check()


async def claim(job_kind: JobKind, job_id: int, token: str) -> bool:
    """Take a queued job: of any number of workers racing, exactly one gets True."""
    t = job_kind.table
    now = utcnow()
    claimed = (
        await t.update(
            {
                t.status: RUNNING,
                t.claimed_by: token,
                t.attempts: t.attempts + 1,
                t.started_at: now,
                t.heartbeat_at: now,
                t.progress: 0,
                t.message: "Startar",
            }
        )
        .where((t.id == job_id) & (t.status == QUEUED))
        .returning(t.id)
    )
    return bool(claimed)


async def _finish(ctx: JobContext, values: dict[Any, Any]) -> None:
    t = ctx.kind.table
    await t.update({**values, **ctx.kind.finish_values(), t.finished_at: utcnow()}).where(
        ctx._mine()
    )


async def _release(ctx: JobContext, stale_seconds: float) -> None:
    t = ctx.kind.table
    await t.update(
        {
            t.status: QUEUED,
            t.claimed_by: "",
            t.attempts: t.attempts - 1,
            t.progress: 0,
            t.message: "Köad igen",
            t.heartbeat_at: utcnow() - timedelta(seconds=stale_seconds * 10),
        }
    ).where(ctx._mine() & (t.status == RUNNING))


@asynccontextmanager
async def _heartbeat(ctx: JobContext, every: float) -> AsyncIterator[None]:
    """Beat while the job runs, outside any transaction the job opens."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(every)
            if time.monotonic() - ctx._last_check >= every:
                with suppress(Exception):  # a locked SQLite file: the next beat
                    await ctx.beat()

    task = asyncio.create_task(loop(), context=contextvars.Context())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def _test_hook(ctx: JobContext, hook: str) -> None:
    """GVI_TEST_JOB_HOOK (GVI_ENV=test only): a slow job, or one that kills its worker."""
    if hook == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
    if hook.startswith("sleep:"):
        until = time.monotonic() + float(hook.removeprefix("sleep:"))
        while time.monotonic() < until:
            await ctx.progress(1, "Testpaus")
            await asyncio.sleep(0.2)


async def execute(kind_name: str, job_id: int, token: str | None = None) -> bool:
    """Claim and run one job; False when it was not (or no longer) queued."""
    settings = get_settings()
    job_kind = kind(kind_name)
    token = token or worker_token()
    if not await claim(job_kind, job_id, token):
        return False
    t = job_kind.table
    row = await t.select().where(t.id == job_id).output(load_json=True).first()
    ctx = JobContext(job_kind, job_id, token, row or {})
    try:
        await _execute(ctx, settings.test_job_hook, max(0.5, settings.job_stale_seconds / 4))
    except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
        # The worker is stopping (SIGTERM: Huey interrupts the task, in whichever
        # await it is): the job goes back at once, not counted as an attempt,
        # and the next reaper round sends it to another worker.
        await _release(ctx, settings.job_stale_seconds)
        raise
    finally:
        if job_kind.after is not None:
            job_kind.after(job_id)
    return True


async def _execute(ctx: JobContext, hook: str, beat_every: float) -> None:
    job_kind, t = ctx.kind, ctx.kind.table
    async with _heartbeat(ctx, beat_every):
        try:
            if hook:
                await _test_hook(ctx, hook)
            result = await job_kind.run(ctx)
        except JobCancelled:
            await _finish(ctx, {t.status: CANCELLED, t.message: CANCELLED_MESSAGE})
            return
        except JobFailed as failed:
            await _finish(ctx, {t.status: FAILED, t.message: failed.reason[:200]})
            return
        except Exception as exc:
            error_id = secrets.token_hex(6)
            # Type and id only: messages can quote data.
            log.error(
                "%s job %s failed %s error_id=%s",
                job_kind.name,
                ctx.job_id,
                type(exc).__name__,
                error_id,
            )
            message = job_kind.failure_message.format(error_id=error_id)
            await _finish(ctx, {t.status: FAILED, t.message: message})
            return
    await _finish(ctx, {t.status: DONE, t.progress: 100, t.message: "", t.result: result})


# --- cancel and reap ----------------------------------------------------------------


async def request_cancel(kind_name: str, owner_id: int, job_id: int) -> None:
    """The owner's "Avbryt": a queued job ends now; a running one stops at its next
    step (its work rolls back). Someone else's job is a 404 like a missing one."""
    t = kind(kind_name).table
    own = (t.id == job_id) & (t.requested_by == owner_id)
    if not await t.exists().where(own):
        raise NotVisible()
    await t.update(
        {
            t.status: CANCELLED,
            t.cancel_requested: True,
            t.message: CANCELLED_MESSAGE,
            t.finished_at: utcnow(),
            **kind(kind_name).finish_values(),
        }
    ).where(own & (t.status == QUEUED))
    await t.update({t.status: CANCELLING, t.cancel_requested: True, t.message: "Avbryts"}).where(
        own & (t.status == RUNNING)
    )


async def reap(
    dispatch: Callable[[str, int], Awaitable[None]], *, max_attempts: int, stale_seconds: float
) -> list[tuple[str, int]]:
    """Give each job whose worker stopped beating to the queue again, or fail it
    once it used up its attempts; send queued jobs the queue may have lost again.
    Every change is conditional on the row still being stale, so reapers in
    several worker services can run at once. Returns what was sent again."""
    now = utcnow()
    stale = now - timedelta(seconds=stale_seconds)
    sent: list[tuple[str, int]] = []
    for name in KINDS:
        job_kind = kind(name)
        t = job_kind.table
        dead = await t.select(t.id, t.status, t.attempts).where(
            t.status.is_in([RUNNING, CANCELLING]) & (t.heartbeat_at < stale)
        )
        for row in dead:
            still = (t.id == row["id"]) & (t.status == row["status"]) & (t.heartbeat_at < stale)
            if row["status"] == CANCELLING or row["attempts"] >= max_attempts:
                gave_up = row["status"] != CANCELLING
                await t.update(
                    {
                        t.status: FAILED if gave_up else CANCELLED,
                        t.message: GAVE_UP.format(n=row["attempts"])
                        if gave_up
                        else CANCELLED_MESSAGE,
                        t.finished_at: now,
                        **job_kind.finish_values(),
                    }
                ).where(still)
                continue
            back = (
                await t.update(
                    {
                        t.status: QUEUED,
                        t.claimed_by: "",
                        t.heartbeat_at: now,
                        t.message: "Köad igen",
                    }
                )
                .where(still)
                .returning(t.id)
            )
            if back:
                sent.append((name, int(row["id"])))
        # A queued job not taken for long: its message may be lost (a queue
        # emptied, a send that failed). A second message is harmless.
        lost = now - timedelta(seconds=stale_seconds * 5)
        waiting = (
            await t.update({t.heartbeat_at: now})
            .where(
                (t.status == QUEUED)
                & ((t.heartbeat_at < lost) | (t.heartbeat_at.is_null() & (t.created_at < lost)))
            )
            .returning(t.id)
        )
        sent += [(name, int(r["id"])) for r in waiting]
    for name, job_id in sent:
        await dispatch(name, job_id)
    return sent
