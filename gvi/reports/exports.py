"""CSV and XLSX exports of the report tables, and the individual follow-up export.

Exports are always suppressed (small cells < 5, whoever asks) and each one writes
an ``export:create`` audit event, counts only, in the same transaction as the
queries it ran. The files are written by :mod:`gvi.core.exporting`: typed cells,
Swedish headers, labels and sheet names ("Nyckeltal", "Uppföljningar"), the notes
on the XLSX sheet "Noter" and never in the CSV rows, and the CSV in the reader's
dialect (Swedish Excel for Swedish readers, RFC 4180 otherwise or on request).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from gvi.access.permissions import Permission
from gvi.access.principal import Principal
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core import clock
from gvi.core.exporting import Column, Dialect, Kind, dialect_for, to_csv, to_xlsx
from gvi.core.failures import NotVisible
from gvi.db import write_transaction
from gvi.defectors.forms import LEVEL_LABELS, PHASE_LABELS
from gvi.defectors.services import visible_case_ids
from gvi.defectors.tables import CaseFollowUp
from gvi.i18n import DEFAULT_LANGUAGE, N_, current_language, gettext, set_language
from gvi.reports import queries, services

FORMATS = {
    # Litestar adds "; charset=utf-8" to text/* itself.
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FIGURES_SHEET = N_("Nyckeltal")
FOLLOW_UPS_SHEET = N_("Uppföljningar")
SOURCE = N_("GVI-stöd, sidan Siffror (/reports).")
# A report column's kind → the exported cell's kind.
KINDS = {
    "text": Kind.text,
    "year": Kind.integer,
    "count": Kind.integer,
    "change": Kind.integer,
    "days": Kind.decimal,
    "percent": Kind.percent,
}
FOLLOW_UP_COLUMNS = (
    ("reference", Column(N_("Ärende"))),
    ("municipality", Column(N_("Kommun"))),
    ("phase", Column(N_("Skede"), Kind.label, PHASE_LABELS)),
    ("follow_up_on", Column(N_("Datum"), Kind.date)),
    ("months_since_start", Column(N_("Månader sedan start"), Kind.integer)),
    *(
        (area, Column(services.AREA_LABELS[area], Kind.label, LEVEL_LABELS))
        for area in queries.AREAS
    ),
)


@dataclass(frozen=True)
class ExportFile:
    filename: str
    media_type: str
    content: bytes


def _in_swedish(columns: list[Column]) -> list[Column]:
    return [Column(gettext(c.header), c.kind, c.labels, c.digits) for c in columns]


def _filters_note(filters: services.Filters) -> str:
    parts = []
    if filters.municipality_ids:
        parts.append(gettext("%(n)s valda kommuner") % {"n": len(filters.municipality_ids)})
    if filters.year is not None:
        parts.append(gettext("år %(year)s") % {"year": filters.year})
    if filters.date_from is not None:
        parts.append(gettext("från %(day)s") % {"day": filters.date_from.isoformat()})
    if filters.date_to is not None:
        parts.append(gettext("till %(day)s") % {"day": filters.date_to.isoformat()})
    return ", ".join(parts) or gettext("Alla kommuner du har behörighet till, alla år")


def _notes(title: str, filters: services.Filters) -> list[tuple[str, Any]]:
    """What the XLSX says on its "Noter" sheet, never inside the data."""
    return [
        (gettext("Tabell"), title),
        (gettext("Urval"), _filters_note(filters)),
        (gettext("Sekretess"), gettext(services.SUPPRESSION_NOTE)),
        (gettext("Källa"), gettext(SOURCE)),
        (gettext("Skapad"), clock.now()),
    ]


def encode(
    fmt: str,
    sheet: str,
    columns: list[Column],
    rows: list[list[Any]],
    notes: list[tuple[str, Any]],
    dialect: Dialect,
) -> bytes:
    """One export file: CSV in *dialect* (data only), or XLSX with the notes sheet."""
    if fmt == "csv":
        return to_csv(columns, rows, dialect)
    return to_xlsx(sheet, columns, rows, notes)


async def _in_export_language(
    fmt: str, dialect: str | None, make: Callable[..., Awaitable[ExportFile]], *args: Any
) -> ExportFile:
    """Exports keep their documented Swedish titles, headers, labels and sheet names
    whatever the reader's language; the reader's language picks the CSV dialect."""
    if fmt not in FORMATS:
        raise NotVisible()
    reader_language = current_language()
    chosen = dialect_for(reader_language, dialect)
    set_language(DEFAULT_LANGUAGE)
    try:
        return await make(*args, chosen)
    finally:
        set_language(reader_language)


async def export_figure(
    principal: Principal,
    name: str,
    fmt: str,
    filters: services.Filters,
    dialect: str | None = None,
) -> ExportFile:
    return await _in_export_language(fmt, dialect, _export_figure, principal, name, fmt, filters)


async def _export_figure(
    principal: Principal, name: str, fmt: str, filters: services.Filters, dialect: Dialect
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
    columns = [Column(c.label, KINDS.get(c.kind, Kind.text)) for c in report.columns]
    rows = [[r.get(c.key) for c in report.columns] for r in report.rows]
    notes = _notes(report.title, filters)
    content = encode(fmt, gettext(FIGURES_SHEET), columns, rows, notes, dialect)
    return ExportFile(f"gvi-{name}.{fmt}", FORMATS[fmt], content)


async def export_follow_ups(
    principal: Principal, fmt: str, filters: services.Filters, dialect: str | None = None
) -> ExportFile:
    """One row per case and follow-up: case reference, municipality, phase, date and
    levels. Pseudonymous: no person code, no name, no notes. Social services only."""
    if not principal.can(Permission.follow_ups_export):
        raise NotVisible()
    return await _in_export_language(fmt, dialect, _export_follow_ups, principal, fmt, filters)


async def _export_follow_ups(
    principal: Principal, fmt: str, filters: services.Filters, dialect: Dialect
) -> ExportFile:
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
    columns = _in_swedish([column for _, column in FOLLOW_UP_COLUMNS])
    rows = [[r[key] for key, _ in FOLLOW_UP_COLUMNS] for r in data]
    notes = _notes(
        gettext("Individuella uppföljningar, en rad per ärende och uppföljning"), filters
    )
    content = encode(fmt, gettext(FOLLOW_UPS_SHEET), columns, rows, notes, dialect)
    return ExportFile(f"gvi-uppfoljningar.{fmt}", FORMATS[fmt], content)
