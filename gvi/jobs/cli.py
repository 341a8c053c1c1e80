"""The ``gvi worker`` command."""

from __future__ import annotations

import click


@click.command("worker")
@click.option(
    "--processes",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes, each running one job at a time.",
)
@click.option("--exit-with", "parent_pid", type=int, default=None, hidden=True)
def worker_command(processes: int, parent_pid: int | None) -> None:
    """Run background jobs (imports, network analyses) and the periodic tasks (retention).

    The queue is the SQLite file <var>/job-queue.sqlite3, or Redis when
    GVI_REDIS_URL (or GVI_JOB_QUEUE) is set; start as many workers as you like,
    on any machine that reaches the database and the queue.
    """
    from gvi.jobs.worker import run_worker

    run_worker(processes, parent_pid=parent_pid)
