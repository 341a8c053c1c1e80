"""What the workers know how to run: job kinds and periodic tasks (pure; no I/O).

Each entry is one line naming ``module:attribute``; the worker imports it when
it first needs it, so this module imports nothing of the features. To add a
periodic task, append one :class:`Periodic` line to :data:`PERIODIC` (the
target is an ``async def`` taking no arguments; see docs/architecture.md §6).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

# Queue kind → the JobKind (gvi.jobs.runner.JobKind) describing its table and work.
KINDS: dict[str, str] = {
    "records_import": "gvi.records.jobs:IMPORT_KIND",
    "network_analysis": "gvi.networks.jobs:ANALYSIS_KIND",
}


@dataclass(frozen=True)
class Periodic:
    """A task every worker service schedules (Huey crontab fields: minute, hour,
    day, month, day_of_week); a lock keeps two services from running it at once."""

    name: str
    target: str  # "module:async_function"
    schedule: dict[str, str] = field(default_factory=dict)


PERIODIC: tuple[Periodic, ...] = (
    # Retention (gallring) daily at 03:30, as `gvi retention --apply` would.
    Periodic("retention", "gvi.jobs.schedule:retention", {"minute": "30", "hour": "3"}),
    # The daily digest of what waits for each user (counts and links only), at 07:00.
    Periodic("digest", "gvi.notify.services:send_daily_digest", {"minute": "0", "hour": "7"}),
)


def load(target: str) -> Any:
    """The object a ``module:attribute`` line names."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)
