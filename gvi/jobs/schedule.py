"""The periodic tasks :data:`gvi.jobs.registry.PERIODIC` names."""

from __future__ import annotations

import logging

log = logging.getLogger("gvi.jobs")


async def retention() -> None:
    """Retention with the default period, applied (what ``gvi retention --apply`` does)."""
    from gvi.core import clock
    from gvi.ops.retention import run

    report = await run(as_of=clock.today(), dry_run=False)
    log.info("retention: %d case(s) anonymised", len(report.candidates))
