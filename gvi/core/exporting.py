"""Writing a table for a spreadsheet: CSV in the dialect its reader's Excel opens
into columns, or an XLSX workbook with typed cells and a notes sheet.

The counterpart of :mod:`gvi.core.tabular` (which reads uploads), shared by every
table export (:mod:`gvi.reports.exports`). Pure: the standard library, Babel,
openpyxl and :mod:`gvi.i18n`; no Litestar, no Piccolo.

- Every column has a kind (text, integer, decimal, percent, date, label) and the
  writer formats each cell by it: a CSV number is written the way the dialect's
  locale writes it (Babel), an XLSX number is a number with a number format, a
  date is a date cell, and a label column holds the label, never the code.
- Two CSV dialects: ``excel-sv`` (what Swedish Excel opens straight into columns:
  ``;`` between fields, decimal comma, UTF-8 with a byte order mark, CRLF) and
  ``rfc4180`` (comma, decimal point, no byte order mark, CRLF). Swedish readers
  get ``excel-sv`` by default, everyone else ``rfc4180``.
- Notes (footnotes, the suppression rule, source, when it was made) never go into
  the data rows: an XLSX gets them on its second sheet, "Noter"; a CSV has none.
- A text cell that would be a formula (``= + - @``) is neutralised with a leading
  apostrophe; control characters are dropped (openpyxl refuses them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from gvi.core.failures import Refused
from gvi.core.text import strip_for_xml
from gvi.i18n import DEFAULT_LANGUAGE, N_, TIMEZONE, gettext

NOTES_SHEET = N_("Noter")
BAD_DIALECT = N_("Okänt CSV-format. Välj dialect=excel-sv eller dialect=rfc4180.")
_MAX_WIDTH = 60
_FORMULA_START = ("=", "+", "-", "@")


class Kind(StrEnum):
    text = "text"
    integer = "integer"
    decimal = "decimal"
    percent = "percent"
    date = "date"
    label = "label"


@dataclass(frozen=True)
class Column:
    """One exported column. ``labels`` (code → untranslated label) for a label
    column; ``digits`` after the decimal sign for decimals and percentages."""

    header: str
    kind: Kind = Kind.text
    labels: Mapping[str, str] | None = None
    digits: int = 1


@dataclass(frozen=True)
class Dialect:
    name: str
    delimiter: str
    locale: str  # Babel's, for numbers and dates
    bom: bool = False
    percent: str = "0.0%"  # the Babel pattern of a percentage


EXCEL_SV = Dialect("excel-sv", ";", "sv_SE", bom=True, percent="0.0\xa0%")
RFC4180 = Dialect("rfc4180", ",", "en")
DIALECTS = {d.name: d for d in (EXCEL_SV, RFC4180)}
XLSX_FORMATS = {
    Kind.integer: "0",
    Kind.decimal: "0.0",
    Kind.percent: "0.0%",
    Kind.date: "yyyy-mm-dd",
}


def dialect_for(language: str, requested: str | None) -> Dialect:
    """The dialect asked for, else the one the reader's language expects; an
    unknown name is refused (400) rather than guessed."""
    if requested:
        found = DIALECTS.get(requested.strip().lower())
        if found is None:
            raise Refused(gettext(BAD_DIALECT))
        return found
    return EXCEL_SV if language == DEFAULT_LANGUAGE else RFC4180


def safe_text(value: str) -> str:
    """A text cell a spreadsheet shows as text: no leading formula sign."""
    value = strip_for_xml(value)
    if value[:1] in _FORMULA_START and value != "-":
        return "'" + value
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def typed(column: Column, value: Any) -> Any:
    """The cell as the column's kind holds it: a label for a code, a date for a
    date, a number for a number; anything else (``"<5"``) as safe text."""
    if value is None:
        return None
    if column.kind is Kind.label and isinstance(value, str):
        label = (column.labels or {}).get(value)
        return safe_text(gettext(label) if label is not None else value)
    if column.kind is Kind.date and isinstance(value, date):
        return value.astimezone(TIMEZONE).date() if isinstance(value, datetime) else value
    if column.kind is Kind.integer and _is_number(value):
        return int(value)
    if column.kind in (Kind.decimal, Kind.percent) and _is_number(value):
        return round(float(value), 4)
    return safe_text(str(value))


def csv_cell(column: Column, value: Any, dialect: Dialect) -> str:
    """The cell as text in the dialect's locale (Babel), without grouping, so a
    spreadsheet reads it back as the number it is."""
    # CLDR's Swedish minus is U+2212, which no spreadsheet reads as a sign.
    return _csv_text(column, value, dialect).replace("\u2212", "-")


def _csv_text(column: Column, value: Any, dialect: Dialect) -> str:
    cell = typed(column, value)
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, date):
        return str(format_date(cell, "yyyy-MM-dd", locale=dialect.locale))
    if column.kind is Kind.percent:
        return str(format_percent(cell, dialect.percent, locale=dialect.locale))
    if column.kind is Kind.decimal:
        pattern = "0." + "#" * column.digits if column.digits else "0"
        return str(format_decimal(cell, pattern, locale=dialect.locale))
    return str(format_decimal(cell, "0", locale=dialect.locale))


def to_csv(columns: Sequence[Column], rows: Sequence[Sequence[Any]], dialect: Dialect) -> bytes:
    """A header row and the data rows; nothing else (no notes, no blank rows)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=dialect.delimiter, lineterminator="\r\n")
    writer.writerow([safe_text(c.header) for c in columns])
    for row in rows:
        writer.writerow([csv_cell(c, v, dialect) for c, v in zip(columns, row, strict=True)])
    text = out.getvalue()
    return (("\ufeff" + text) if dialect.bom else text).encode("utf-8")


def _width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, float):
        return 8
    return len(str(value))


def _fill(sheet: Any, columns: Sequence[Column], rows: Sequence[Sequence[Any]]) -> None:
    from openpyxl.styles import Font  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    sheet.append([safe_text(c.header) for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(c.header) for c in columns]
    for row in rows:
        cells = [typed(c, v) for c, v in zip(columns, row, strict=True)]
        sheet.append(cells)
        for i, (column, value) in enumerate(zip(columns, cells, strict=True)):
            widths[i] = max(widths[i], _width(value))
            fmt = XLSX_FORMATS.get(column.kind)
            if fmt is not None and not isinstance(value, str) and value is not None:
                sheet.cell(row=sheet.max_row, column=i + 1).number_format = fmt
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(_MAX_WIDTH, width + 3)
    sheet.freeze_panes = "A2"


NOTE_COLUMNS = (Column(N_("Uppgift")), Column(N_("Värde")))


def to_xlsx(
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    notes: Sequence[tuple[str, Any]] = (),
) -> bytes:
    """The data on a sheet called *title* (header row frozen, columns sized to fit)
    and, when there are notes, a second sheet "Noter": one note a row, a label and
    its text (or a date or moment, written as one)."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    _fill(sheet, columns, rows)
    if notes:
        noter = book.create_sheet(gettext(NOTES_SHEET))
        _fill(noter, [Column(gettext(c.header)) for c in NOTE_COLUMNS], [])
        for label, value in notes:
            noter.append([safe_text(label), _note_value(value)])
            if isinstance(value, datetime):
                noter.cell(row=noter.max_row, column=2).number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                noter.cell(row=noter.max_row, column=2).number_format = "yyyy-mm-dd"
        noter.column_dimensions["A"].width = max(14, *(len(label) + 3 for label, _ in notes))
        longest = max(_width(_note_value(value)) for _, value in notes)
        noter.column_dimensions["B"].width = min(_MAX_WIDTH * 2, max(20, longest + 3))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _note_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # A spreadsheet has no time zones: Swedish wall-clock time, as the page shows.
        return value.astimezone(TIMEZONE).replace(tzinfo=None, microsecond=0)
    if isinstance(value, date) or _is_number(value):
        return value
    return safe_text(str(value))
