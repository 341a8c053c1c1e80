"""`gvi worker` processes run the jobs: a real import in a worker process; a worker
SIGKILLed mid-job loses the job to another within 60 s; a job that kills its
worker is tried GVI_JOB_MAX_ATTEMPTS times and then failed with the reason on
its page; cancel; racing workers run a job once; retention is scheduled daily."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest

from gvi.core.failures import NotVisible
from gvi.jobs import registry, runner
from gvi.jobs.queue import get_queue
from gvi.jobs.worker import start_embedded_worker, stop_embedded_worker
from gvi.people.tables import Person, PersonIdentity
from gvi.records import jobs
from gvi.records.tables import ImportJob
from gvi.settings import get_settings
from tests.jobs.support import WorkerProcess, own_queue, wait_for
from tests.records.support import build_world, people_csv, signed_in, upload

REDIS_URL = os.environ.get("GVI_TEST_REDIS_URL", "")
needs_redis = pytest.mark.skipif(
    not REDIS_URL and os.environ.get("CI") != "true",
    reason="set GVI_TEST_REDIS_URL=redis://127.0.0.1:6379/1 to run",
)


async def _row(job_id: int) -> dict[str, Any]:
    row = await ImportJob.select().where(ImportJob.id == job_id).first()
    assert row is not None
    return row


async def _status(job_id: int, *statuses: str) -> dict[str, Any] | None:
    row = await _row(job_id)
    return row if row["status"] in statuses else None


def _pid(row: dict[str, Any]) -> int:
    return int(row["claimed_by"].split(":")[1])


async def _queued_import(env: dict[str, str]) -> tuple[Any, int]:
    """An import job sent to the queue the dedicated workers read."""
    world = await build_world()
    sofia = world.principal("sofia")
    job_id = await jobs.queue_import(sofia, upload(people_csv()), dry_run=False)
    queue = get_queue(replace(get_settings(), job_queue=env["GVI_JOB_QUEUE"]))
    await anyio.to_thread.run_sync(queue.send, jobs.KIND, job_id)
    return world, job_id


async def test_a_worker_process_runs_an_import(db: None, job_worker: None) -> None:
    world = await build_world()
    job_id = await jobs.queue_import(world.principal("sofia"), upload(people_csv()), dry_run=False)
    row = await wait_for(lambda: _status(job_id, "done", "failed"), within=30)
    assert row["status"] == "done", row["message"]
    assert _pid(row) != os.getpid()  # another process ran it
    assert row["attempts"] == 1
    assert row["payload"] is None
    assert await Person.count() == 2


@pytest.mark.parametrize(
    "storage",
    [
        "sqlite",
        # The shape at scale: workers (on other machines) sharing a Redis queue.
        pytest.param("redis", marks=needs_redis),
    ],
)
async def test_a_worker_killed_mid_job_loses_it_to_another_within_60_s(
    db: None, no_job_worker: None, tmp_path: Path, storage: str
) -> None:
    # Stale after 4 s: short for the test, long enough for a loaded machine.
    env = own_queue(tmp_path, GVI_TEST_JOB_HOOK="sleep:3", GVI_JOB_STALE_SECONDS="4")
    if storage == "redis":
        assert REDIS_URL, "CI must provide GVI_TEST_REDIS_URL"
        env["GVI_JOB_QUEUE"] = REDIS_URL
        queue = get_queue(replace(get_settings(), job_queue=REDIS_URL))
        await anyio.to_thread.run_sync(queue.huey.flush)
    workers = [WorkerProcess(env).start(), WorkerProcess(env).start()]
    try:
        _, job_id = await _queued_import(env)
        running = await wait_for(lambda: _status(job_id, "running"), within=30)
        killed = _pid(running)
        os.kill(killed, signal.SIGKILL)
        started = time.monotonic()
        row = await wait_for(lambda: _status(job_id, "done", "failed"), within=60)
        assert time.monotonic() - started < 60
    finally:
        for worker in workers:
            worker.stop()
    assert row["status"] == "done", row["message"]
    assert _pid(row) != killed
    assert row["attempts"] == 2
    assert await Person.count() == 2  # the killed run wrote nothing


async def test_a_worker_stopped_with_sigterm_gives_its_job_back_uncounted(
    db: None, no_job_worker: None, tmp_path: Path
) -> None:
    env = own_queue(tmp_path, GVI_JOB_STALE_SECONDS="2")
    stopping = WorkerProcess({**env, "GVI_TEST_JOB_HOOK": "sleep:30"}).start()
    try:
        _, job_id = await _queued_import(env)
        await wait_for(lambda: _status(job_id, "running"), within=30)
    finally:
        stopping.stop()  # SIGTERM, as `docker stop` sends
    row = await _row(job_id)
    assert (row["status"], row["attempts"], row["claimed_by"]) == ("queued", 0, "")
    taker = WorkerProcess(env).start()
    try:
        row = await wait_for(lambda: _status(job_id, "done", "failed"), within=30)
    finally:
        taker.stop()
    assert (row["status"], row["attempts"]) == ("done", 1)
    assert await Person.count() == 2


async def test_a_job_that_kills_its_worker_fails_after_the_attempts_with_the_reason_shown(
    db: None, no_job_worker: None, tmp_path: Path
) -> None:
    env = own_queue(
        tmp_path, GVI_TEST_JOB_HOOK="crash", GVI_JOB_STALE_SECONDS="1", GVI_JOB_MAX_ATTEMPTS="2"
    )
    worker = WorkerProcess(env).start()
    try:
        world, job_id = await _queued_import(env)
        row = await wait_for(lambda: _status(job_id, "failed", "done"), within=45)
    finally:
        worker.stop()
    reason = runner.GAVE_UP.format(n=2)
    assert (row["status"], row["attempts"], row["message"]) == ("failed", 2, reason)
    assert row["payload"] is None  # the upload goes with a failed job too
    assert await Person.count() == 0
    from gvi.app import create_app

    async with signed_in(create_app(), world, "sofia") as c:
        page = await c.get(f"/records/import/jobs/{job_id}")
        assert page.status_code == 200
        assert "Misslyckades" in page.text
        assert reason in page.text


async def test_cancel_stops_a_running_job_and_ends_a_queued_one(
    db: None, no_job_worker: None, tmp_path: Path
) -> None:
    env = own_queue(tmp_path, GVI_TEST_JOB_HOOK="sleep:30", GVI_JOB_STALE_SECONDS="2")
    worker = WorkerProcess(env).start()
    try:
        world, job_id = await _queued_import(env)
        sofia = world.principal("sofia")
        await wait_for(lambda: _status(job_id, "running"), within=30)
        with pytest.raises(NotVisible):  # someone else's job is missing
            await jobs.cancel_import(world.principal("sigge"), job_id)
        await jobs.cancel_import(sofia, job_id)
        # Avbryts until the worker sees it at its next step (a fraction of a second).
        assert (await jobs.get_job(sofia, job_id)).status_label in ("Avbryts", "Avbruten")
        row = await wait_for(lambda: _status(job_id, "cancelled"), within=15)
    finally:
        worker.stop()
    assert row["message"] == runner.CANCELLED_MESSAGE
    assert row["payload"] is None
    assert await PersonIdentity.count() == 0
    view = await jobs.get_job(sofia, job_id)
    assert view.done
    assert not view.cancellable
    # A job no worker took yet ends at once.
    waiting = await jobs.queue_import(sofia, upload(people_csv()), dry_run=True)
    await jobs.cancel_import(sofia, waiting)
    assert (await _row(waiting))["status"] == "cancelled"
    assert await runner.execute(jobs.KIND, waiting) is False  # a late message runs nothing


async def test_two_workers_racing_for_one_job_run_it_once(
    db: None, no_job_worker: None, tmp_path: Path
) -> None:
    env = own_queue(tmp_path, GVI_TEST_JOB_HOOK="sleep:1")
    workers = [WorkerProcess(env, processes=2).start() for _ in range(2)]
    try:
        _, job_id = await _queued_import(env)
        queue = get_queue(replace(get_settings(), job_queue=env["GVI_JOB_QUEUE"]))
        for _ in range(5):  # the same job sent again and again: four workers race
            await anyio.to_thread.run_sync(queue.send, jobs.KIND, job_id)
        row = await wait_for(lambda: _status(job_id, "done", "failed"), within=30)
    finally:
        for worker in workers:
            worker.stop()
    assert row["status"] == "done"
    assert row["attempts"] == 1


async def test_the_worker_schedules_retention_daily_and_the_task_runs_it(
    db: None, tmp_path: Path
) -> None:
    from tests.ops.test_retention import _world

    (entry,) = [p for p in registry.PERIODIC if p.name == "retention"]
    assert registry.load(entry.target).__name__ == "retention"
    queue = get_queue(replace(get_settings(), job_queue=str(tmp_path / "q.sqlite3")))
    task = queue.periodic["retention"].s()
    # Once a day, at 03:30: what the consumer's scheduler asks every minute.
    minutes = [datetime(2026, 12, 2, h, m) for h in range(24) for m in range(60)]
    assert [t for t in minutes if task.validate_datetime(t)] == [datetime(2026, 12, 2, 3, 30)]
    ids = await _world()
    # Run as the consumer runs it: through Huey, in a thread of its own.
    await anyio.to_thread.run_sync(queue.huey.execute, task)
    assert not await PersonIdentity.exists().where(PersonIdentity.person == ids["person_old"])
    assert await PersonIdentity.exists().where(PersonIdentity.person == ids["person_recent"])


async def test_gvi_serve_runs_a_worker_beside_itself(
    db: None, no_job_worker: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded default (`make run`): no worker service; `gvi serve` starts one
    with these two calls around uvicorn, and it goes when they end."""
    env = own_queue(tmp_path)
    monkeypatch.setenv("GVI_JOB_QUEUE", env["GVI_JOB_QUEUE"])  # the child's environment
    process = start_embedded_worker(get_settings())
    assert process is not None
    try:
        _, job_id = await _queued_import(env)
        row = await wait_for(lambda: _status(job_id, "done", "failed"), within=30)
    finally:
        stop_embedded_worker(process)
    assert row["status"] == "done", row["message"]
    assert process.poll() is not None
    assert start_embedded_worker(replace(get_settings(), embedded_worker=False)) is None
