"""The record import: scope, lookups, writing and the one audit event.

The pure part (reading and checking the files) is :mod:`gvi.records.importer`
(with :mod:`~gvi.records.cells`, :mod:`~gvi.records.rows` and
:mod:`~gvi.records.checks`); this module runs the steps: what the rows refer
to is looked up within the user's scope (:mod:`gvi.records.lookups`), and a
valid plan is written the way the domain services write the same records by
hand (:mod:`gvi.records.writing`). All of it in one transaction with ONE audit
event holding counts only (no person data): an import of 10,000 cases is one
line in the trail, like the group-audit import, not 10,000.

Scope: an outreach user imports people into their municipalities, cases into
their units (home unit and joint units) for the municipalities those units
serve, offers for people of their municipalities or in their cases. A row
outside that is an error, never skipped.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core import tabular
from gvi.core.clock import today
from gvi.core.failures import NotVisible
from gvi.db import write_transaction
from gvi.people.tables import Person
from gvi.records import checks, importer, writing
from gvi.records.checks import CREATE, SKIP, UPDATE
from gvi.records.importer import Problem
from gvi.records.lookups import lookups

# Serialises record imports on PostgreSQL ("gvi_impo").
_PG_IMPORT_LOCK = 0x6776695F696D706F
# Above this many rows an upload runs as a background job with a progress bar.
INLINE_ROWS = 2_000

Progress = Callable[[int, str], Any]


def _engine() -> Any:
    return Person._meta.db


def can_import(principal: Principal) -> bool:
    return principal.can(Permission.records_import)


def _require(principal: Principal) -> None:
    if not can_import(principal):
        raise NotVisible()


@dataclass(frozen=True)
class ImportResult:
    dry_run: bool
    written: bool
    problems: list[Problem]
    counts: dict[str, dict[str, int]]
    rows: dict[str, int] = field(default_factory=dict)
    encodings: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """For the job row and the JSON API: counts and fixed messages only."""
        return {
            "dry_run": self.dry_run,
            "written": self.written,
            "counts": self.counts,
            "rows": self.rows,
            "encodings": self.encodings,
            "problems": [
                {"file": p.file, "line": p.line, "field": p.field, "message": p.message}
                for p in self.problems
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImportResult:
        return cls(
            dry_run=bool(data.get("dry_run", True)),
            written=bool(data.get("written", False)),
            problems=[Problem(**p) for p in data.get("problems", [])],
            counts=dict(data.get("counts", {})),
            rows=dict(data.get("rows", {})),
            encodings=dict(data.get("encodings", {})),
        )


def audit_details(counts: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """``{"people_create": 3, "cases_skip": 1, …}``: counts only."""
    return {
        f"{kind}_{action}": int(n)
        for kind, by_action in counts.items()
        for action, n in by_action.items()
    }


def _empty_counts() -> dict[str, dict[str, int]]:
    return {k: {a: 0 for a in (CREATE, UPDATE, SKIP)} for k in importer.KINDS}


async def _noop(percent: int, message: str) -> None:
    return None


_paused = 0
_was_enabled = True


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while one import runs (nested imports
    share the pause). An import of 10,000 cases makes millions of short-lived
    objects, and the collector rescanning them cost a third of the time
    (``make bench``); reference counting still frees them at once, and the
    collector runs as usual as soon as the last import ends."""
    global _paused, _was_enabled
    _paused += 1
    if _paused == 1:
        # Restored as found: a collector someone else switched off stays off.
        _was_enabled = gc.isenabled()
        gc.disable()
    try:
        yield
    finally:
        _paused -= 1
        if _paused == 0 and _was_enabled:
            gc.enable()


async def import_records(
    principal: Principal,
    files: Mapping[str, tuple[str, bytes] | None],
    *,
    dry_run: bool,
    progress: Callable[[int, str], Any] | None = None,
) -> ImportResult:
    """Check an upload and, unless *dry_run*, write it: everything in one transaction
    with one audit event (counts only), or nothing at all when any row is bad."""
    _require(principal)
    with _cyclic_gc_paused():
        return await _import_records(principal, files, dry_run=dry_run, progress=progress)


async def _import_records(
    principal: Principal,
    files: Mapping[str, tuple[str, bytes] | None],
    *,
    dry_run: bool,
    progress: Callable[[int, str], Any] | None,
) -> ImportResult:
    report = progress or _noop
    await report(5, "Läser filerna")
    day = today()
    parsed = await anyio.to_thread.run_sync(lambda: importer.parse_upload(files, today=day))
    await report(40, "Kontrollerar raderna")
    rows, encodings = dict(parsed.rows), dict(parsed.encodings)
    if dry_run:
        found = await lookups(principal, parsed)
        plan, problems = checks.check_upload(parsed, found)
        counts = plan.counts() if plan else _empty_counts()
        return ImportResult(True, False, problems, counts, rows, encodings)
    async with write_transaction(_engine()) as transaction:
        # Checked and written in the same transaction: what was checked is what is written.
        # On PostgreSQL two imports take turns, so neither misses the other's external
        # references (SQLite's immediate transaction already does this).
        if _engine().engine_type == "postgres":
            await Person.raw("SELECT pg_advisory_xact_lock({})", _PG_IMPORT_LOCK)
        found = await lookups(principal, parsed)
        plan, problems = checks.check_upload(parsed, found)
        if plan is None:
            return ImportResult(False, False, problems, _empty_counts(), rows, encodings)
        counts = plan.counts()
        if not any(n for by_action in counts.values() for a, n in by_action.items() if a != SKIP):
            return ImportResult(False, False, [], counts, rows, encodings)
        await report(60, "Sparar")
        sizes = writing.blocks(plan)  # the new rows of each table
        total, done = max(1, sum(sizes.values())), 0

        async def written(rows: int) -> None:
            # The bar moves from 60 to 95 % as the batches are written.
            nonlocal done
            done += rows
            await report(60 + min(35, 35 * done // total), "Sparar")

        await writing.write_plan(transaction, principal, plan, written, sizes)
        await record(
            AuditAction.records_import,
            actor=principal,
            target_type="import",
            details=audit_details(counts),
        )
    return ImportResult(False, True, [], counts, rows, encodings)


def row_estimate(files: Mapping[str, tuple[str, bytes] | None]) -> int:
    """Roughly how many rows were sent (line breaks; a workbook by its size), to
    choose between inline and background work before reading anything."""
    total = 0
    for sent in files.values():
        if sent is None:
            continue
        data = sent[1]
        total += len(data) // 60 if tabular.is_workbook(data) else data.count(b"\n")
    return total
