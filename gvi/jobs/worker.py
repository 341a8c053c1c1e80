"""``gvi worker``: Huey consumer processes, plus the reaper; and the embedded worker
``gvi serve`` starts beside itself.

Each job runs in a worker *process* (``--processes N``), so a job that takes a
process down takes only that one; Huey's consumer starts a new one. The
consumer's main process runs the scheduler (periodic tasks) and a reaper thread
that, every few seconds, gives the jobs of dead workers to the queue again
(:func:`gvi.jobs.runner.reap`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
from typing import Any

from huey.consumer import Consumer

from gvi.jobs import registry
from gvi.jobs.queue import Queue, get_queue
from gvi.settings import Settings, get_settings

log = logging.getLogger("gvi.jobs")


class _Reaper(threading.Thread):
    def __init__(self, queue: Queue, settings: Settings, parent_pid: int | None) -> None:
        super().__init__(name="gvi-job-reaper", daemon=True)
        self.queue = queue
        self.settings = settings
        self.parent_pid = parent_pid
        self.stopping = threading.Event()

    def run(self) -> None:
        from gvi.jobs.runner import reap

        every = max(0.5, self.settings.job_stale_seconds / 4)
        while not self.stopping.wait(every):
            if self.parent_pid is not None and os.getppid() != self.parent_pid:
                # The embedded worker of a `gvi serve` that died without stopping it.
                log.info("worker: gvi serve is gone; stopping")
                os.kill(os.getpid(), signal.SIGINT)
                return
            try:
                asyncio.run(
                    reap(
                        self.queue.dispatch,
                        max_attempts=self.settings.job_max_attempts,
                        stale_seconds=self.settings.job_stale_seconds,
                    )
                )
            except Exception as exc:  # the reaper must outlive a database hiccup
                log.error("job reaper error %s", type(exc).__name__)


class GviConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer, with the reaper started once the workers are forked."""

    def __init__(
        self, queue: Queue, settings: Settings, processes: int, parent_pid: int | None = None
    ) -> None:
        super().__init__(
            queue.huey,
            workers=processes,
            worker_type="process",
            # Poll the queue at least every second when idle (SQLite storage polls).
            initial_delay=0.1,
            backoff=1.15,
            max_delay=1.0,
            health_check_interval=2,
        )
        self.reaper = _Reaper(queue, settings, parent_pid)

    def start(self) -> None:
        super().start()
        self.reaper.start()

    def stop(self, graceful: bool = False) -> None:
        self.reaper.stopping.set()
        super().stop(graceful=graceful)


def run_worker(processes: int, *, parent_pid: int | None = None) -> None:
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    queue = get_queue(settings)
    # Imported once here, before the worker processes fork: a process that
    # replaces a dead one starts its job at once.
    for target in registry.KINDS.values():
        registry.load(target)
    log.info("worker: %d process(es) on %s", processes, _described(queue.location))
    GviConsumer(queue, settings, processes, parent_pid).run()


def _described(location: str) -> str:
    # A Redis URL can carry a password: name the scheme only.
    return location.split(":", 1)[0] + " queue" if "://" in location else location


def start_embedded_worker(settings: Settings) -> subprocess.Popen[Any] | None:
    """``gvi serve``'s own worker (one process) unless GVI_EMBEDDED_WORKER=false."""
    if not settings.embedded_worker:
        return None
    # It stops with `gvi serve`, and on its own if `gvi serve` dies (--exit-with).
    command = [sys.executable, "-m", "gvi.cli", "worker", "--exit-with", str(os.getpid())]
    return subprocess.Popen(command, env=os.environ.copy())  # noqa: S603 - our own module


def stop_embedded_worker(process: subprocess.Popen[Any] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)  # Huey: graceful, the running job finishes
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
