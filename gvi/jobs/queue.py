"""The Huey queue: SQLite file in the embedded default, Redis at scale.

Huey (https://huey.readthedocs.io) is small, maintained, and has both storages
we need: ``SqliteHuey`` (one file beside the database, no extra service) and
``RedisHuey`` (several worker services on several machines). It has no lease or
acknowledgement: a message taken by a worker that is then killed is gone. That
is why our job row holds the claim, the heartbeat and the attempts, and the
reaper (:func:`gvi.jobs.runner.reap`) sends a dead worker's job again.

A message names a job kind and a row id only: no data passes through the queue.
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import anyio.to_thread
from huey import Huey, RedisHuey, SqliteHuey, crontab

from gvi.jobs import registry
from gvi.settings import Settings, get_settings

log = logging.getLogger("gvi.jobs")

QUEUE_NAME = "gvi-jobs"


def queue_location(settings: Settings) -> str:
    """redis://… or the SQLite file's path."""
    url = settings.job_queue or settings.redis_url
    if url.startswith(("redis://", "rediss://", "unix://")):
        return url
    return str(
        Path(settings.job_queue) if settings.job_queue else settings.var_dir / "job-queue.sqlite3"
    )


def _run_job(kind: str, job_id: int) -> None:
    from gvi.audit.checkpoints import checkpoint_quietly
    from gvi.jobs.runner import execute

    async def run() -> None:
        await execute(kind, job_id)
        await checkpoint_quietly("worker")

    asyncio.run(run())


def _periodic(huey: Huey, task: registry.Periodic) -> Any:
    def run() -> None:
        from gvi.audit.checkpoints import checkpoint_quietly

        async def work() -> None:
            await registry.load(task.target)()
            await checkpoint_quietly("worker")

        # Several worker services each schedule it; one runs it at a time.
        with huey.lock_task(f"periodic-{task.name}"):
            asyncio.run(work())

    return huey.periodic_task(crontab(**task.schedule), name=task.name)(run)


class Queue:
    """A Huey instance with our tasks registered on it."""

    def __init__(self, location: str) -> None:
        self.location = location
        if location.startswith(("redis://", "rediss://", "unix://")):
            self.huey: Huey = RedisHuey(QUEUE_NAME, url=location, results=False)
        else:
            Path(location).parent.mkdir(parents=True, exist_ok=True)
            self.huey = SqliteHuey(QUEUE_NAME, filename=location, results=False)
        self.run_job = self.huey.task(name="run_job")(_run_job)
        self.periodic = {p.name: _periodic(self.huey, p) for p in registry.PERIODIC}

    def send(self, kind: str, job_id: int) -> None:
        self.run_job(kind, job_id)

    async def dispatch(self, kind: str, job_id: int) -> None:
        """Send a job to the workers. A send that fails is logged and left to the
        reaper (the row is queued; it is sent again once it waited too long)."""
        try:
            await anyio.to_thread.run_sync(self.send, kind, job_id)
        except Exception as exc:
            log.error("job %s %s not sent to the queue: %s", kind, job_id, type(exc).__name__)


@lru_cache(maxsize=4)
def _queue(location: str) -> Queue:
    return Queue(location)


def get_queue(settings: Settings | None = None) -> Queue:
    return _queue(queue_location(settings or get_settings()))


async def dispatch(kind: str, job_id: int) -> None:
    """Send a saved job row to the workers."""
    await get_queue().dispatch(kind, job_id)


async def enqueue(kind: str, owner_id: int, values: dict[str, Any]) -> int:
    """Save a job row of ``kind`` (``values``: its own columns) for ``owner_id``, and
    send it to the workers; returns the row's id."""
    from gvi.jobs.runner import kind as job_kind

    row = job_kind(kind).table(requested_by=owner_id, **values)
    await row.save()
    await dispatch(kind, int(row.id))
    return int(row.id)
