"""Background work on a maintained queue (Huey), run by ``gvi worker`` processes.

The queue library carries *which* job to run (a kind and a row id, never data);
our own job rows stay the user-facing record: owner, status, progress, message,
result, attempts, cancel requested, heartbeat. See :mod:`gvi.jobs.registry`
(kinds and periodic tasks), :mod:`gvi.jobs.runner` (claim, run, reap, cancel)
and :mod:`gvi.jobs.worker` (the processes); docs/architecture.md §6.

The API a feature uses: ``await queue.enqueue(kind, owner_id, {column: value})``
(or save the row and ``await queue.dispatch(kind, row_id)``) → row id; in the
work, ``await ctx.progress(percent, message)`` and ``ctx.check()`` (both raise
:class:`~gvi.jobs.runner.JobCancelled` once cancel was asked), ``raise
JobFailed(reason)``; ``await runner.request_cancel(kind, owner_id, row_id)``.
"""
