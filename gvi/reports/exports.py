"""CSV and XLSX exports of the report tables, and the individual follow-up export.

Exports are always suppressed (small cells < 5, whoever asks) and each one writes
an ``export:create`` audit event, counts only, in the same transaction as the
queries it ran.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from litestar.exceptions import NotFoundException
from openpyxl import Workbook  # type: ignore[import-untyped]

from gvi.access.principal import Principal
from gvi.accounts.tables import Role
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core.text import strip_for_xml
from gvi.db import write_transaction
from gvi.defectors.services import visible_case_ids
from gvi.defectors.tables import CaseFollowUp
from gvi.i18n import DEFAULT_LANGUAGE, current_language, set_language
from gvi.reports import queries, services

FORMATS = {
    # Litestar adds "; charset=utf-8" to text/* itself.
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FOLLOW_UP_COLUMNS = (
    ("reference", "Ärende"),
    ("municipality", "Kommun"),
    ("phase", "Skede"),
    ("follow_up_on", "Datum"),
    ("months_since_start", "Månader sedan start"),
    *((area, services.AREA_LABELS[area]) for area in queries.AREAS),
)


@dataclass(frozen=True)
class ExportFile:
    filename: str
    media_type: str
    content: bytes


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, str):
        # Rows written before control characters were refused: openpyxl refuses them
        # (a 500), and a spreadsheet shows them as boxes.
        return strip_for_xml(value)
    return value


def encode(
    fmt: str, title: str, header: list[str], rows: list[list[Any]], note: str | None
) -> bytes:
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            # A leading = + - @ would be a formula in a spreadsheet: neutralise it.
            writer.writerow([_no_formula(_cell(v)) for v in row])
        if note:
            writer.writerow([])
            writer.writerow([note])
        return ("\ufeff" + buf.getvalue()).encode("utf-8")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    ws.append(header)
    for row in rows:
        # A string starting with = would be stored as a formula: neutralise it too.
        ws.append([_no_formula(_cell(v)) for v in row])
    if note:
        ws.append([])
        ws.append([note])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _no_formula(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and value != "-":
        return "'" + value
    return value


async def export_figure(
    principal: Principal, name: str, fmt: str, filters: services.Filters
) -> ExportFile:
    if fmt not in FORMATS:
        raise NotFoundException()
    # Exports keep their documented Swedish titles, headers and labels whatever
    # the reader's language.
    reader_language = current_language()
    set_language(DEFAULT_LANGUAGE)
    try:
        return await _export_figure(principal, name, fmt, filters)
    finally:
        set_language(reader_language)


async def _export_figure(
    principal: Principal, name: str, fmt: str, filters: services.Filters
) -> ExportFile:
    async with write_transaction(CaseFollowUp._meta.db):
        report = await services.build(principal, name, filters, export=True)
        await record(
            AuditAction.export_create,
            actor=principal,
            target_type="report",
            target_id=name,
            details={
                "figure": name,
                "format": fmt,
                "rows": len(report.rows),
                "suppressed_cells": report.suppressed_cells,
            },
        )
    header = [c.label for c in report.columns]
    rows = [[r.get(c.key) for c in report.columns] for r in report.rows]
    content = encode(fmt, name, header, rows, report.note)
    return ExportFile(f"gvi-{name}.{fmt}", FORMATS[fmt], content)


async def export_follow_ups(
    principal: Principal, fmt: str, filters: services.Filters
) -> ExportFile:
    """One row per case and follow-up: case reference, municipality, phase, date and
    levels. Pseudonymous: no person code, no name, no notes. Social services only."""
    if fmt not in FORMATS or principal.role is not Role.outreach:
        raise NotFoundException()
    scope = services.scope_for(principal, filters)
    where = (
        CaseFollowUp.archived_at.is_null()
        & CaseFollowUp.case.is_in(visible_case_ids(principal))
        & CaseFollowUp.case.municipality.is_in(list(scope.municipality_ids) or [-1])
    )
    if scope.date_from is not None:
        where = where & (CaseFollowUp.follow_up_on >= scope.date_from)
    if scope.date_to is not None:
        where = where & (CaseFollowUp.follow_up_on <= scope.date_to)
    async with write_transaction(CaseFollowUp._meta.db):
        data = (
            await CaseFollowUp.select(
                CaseFollowUp.case.reference.as_alias("reference"),
                CaseFollowUp.case.municipality.name.as_alias("municipality"),  # type: ignore[union-attr]
                CaseFollowUp.phase,
                CaseFollowUp.follow_up_on,
                CaseFollowUp.months_since_start,
                *(getattr(CaseFollowUp, area) for area in queries.AREAS),
            )
            .where(where)
            .order_by(CaseFollowUp.case.reference)
            .order_by(CaseFollowUp.follow_up_on)
        )
        await record(
            AuditAction.export_create,
            actor=principal,
            target_type="case_follow_up",
            details={"figure": "follow_ups", "format": fmt, "rows": len(data)},
        )
    header = [label for _, label in FOLLOW_UP_COLUMNS]
    rows = [
        [
            r[key].isoformat() if key == "follow_up_on" and r[key] is not None else r[key]
            for key, _ in FOLLOW_UP_COLUMNS
        ]
        for r in data
    ]
    return ExportFile(
        f"gvi-uppfoljningar.{fmt}", FORMATS[fmt], encode(fmt, "uppfoljningar", header, rows, None)
    )
