"""Real ``gvi worker`` processes for tests: the shared one that page tests rely on
(as ``make run`` starts one beside ``gvi serve``), and dedicated ones with test
settings (a queue of their own, a sleep or crash hook, a short stale time)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any


class WorkerProcess:
    def __init__(self, env: Mapping[str, str] | None = None, processes: int = 1) -> None:
        self.env = {**os.environ, **(env or {})}
        self.processes = processes
        self.proc: subprocess.Popen[Any] | None = None

    def start(self) -> WorkerProcess:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gvi.cli", "worker", "--processes", str(self.processes)],
                env=self.env,
                stdout=subprocess.DEVNULL,
                # GVI_TEST_WORKER_LOG=path keeps what the workers log (for debugging a test).
                stderr=open(os.environ["GVI_TEST_WORKER_LOG"], "ab")  # noqa: SIM115
                if os.environ.get("GVI_TEST_WORKER_LOG")
                else subprocess.DEVNULL,
                start_new_session=True,
            )
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            # As `docker stop`: SIGTERM to the consumer, which interrupts its workers.
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        # Orphaned worker processes of a killed consumer go with their group.
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        # A signal is not a death: wait (briefly) until none of the group still runs, so
        # a test that replaces or reads the raw database file meets no writer.
        _wait_until_gone(self.proc.pid)
        self.proc = None


def _wait_until_gone(pgid: int, within: float = 3.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        alive = False
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # state, ppid, pgrp; a zombie (Z) holds no file open.
            if int(fields[2]) == pgid and fields[0] != "Z":
                alive = True
                break
        if not alive:
            return
        time.sleep(0.02)


SHARED = WorkerProcess()


def own_queue(tmp: Path, **settings: str) -> dict[str, str]:
    """Environment for dedicated workers: their own queue file and test settings."""
    return {"GVI_JOB_QUEUE": str(tmp / "own-queue.sqlite3"), **settings}


async def wait_for(check: Any, within: float, every: float = 0.2) -> Any:
    """Poll ``await check()`` until it returns something truthy, or fail after ``within`` s."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = await check()
        if found:
            return found
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(every)
