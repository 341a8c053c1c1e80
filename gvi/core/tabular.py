"""Reading an uploaded table: CSV in the encodings a Swedish office produces, or an
XLSX workbook, with English or Swedish column headers.

Pure (the standard library, charset-normalizer and openpyxl; no Litestar, no
Piccolo), shared by every import (:mod:`gvi.groups.importer`,
:mod:`gvi.records.importer`). It owns what is the same for all of them:

- the encoding: UTF-8 with or without a byte order mark, UTF-16 with its mark
  (Excel's "Unicode text", tab-separated), Windows-1252 (Excel's CSV on Swedish
  Windows), detected with charset-normalizer and *named*, so the dry run can
  say what it read;
- a workbook is recognised by its content (a zip archive), whatever its name: an
  .xlsx renamed to .csv is read as the workbook it is;
- the delimiter (comma, semicolon, tab): the one whose header row names the most
  expected columns;
- the header: every column has a canonical (English) name and Swedish aliases;
  matching ignores case, accents, spaces and punctuation ("Födelseår",
  "fodelsear" and "FÖDELSEÅR" are one column).

Problems never quote a cell: a personnummer typed into the wrong column must not
travel further than the file it came in.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from gvi.i18n import gettext

WORKBOOK_MAGIC = b"PK\x03\x04"
WHOLE_FILE = 0
DELIMITERS = (",", ";", "\t")

# charset-normalizer may only choose among what Swedish offices produce; left free,
# it names a short Windows-1252 file "cp1250" or "mac_roman" now and then.
_CANDIDATES = ["utf_8", "utf_16", "cp1252"]
_LABELS = {
    "utf_8": "UTF-8",
    "utf_8_sig": "UTF-8 (BOM)",
    "utf_16": "UTF-16",
    "utf_16_le": "UTF-16",
    "utf_16_be": "UTF-16",
    "cp1252": "Windows-1252",
    "xlsx": "XLSX",
}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing to fix. ``line`` is the line in the file (the header is line 1);
    0 means the file as a whole. ``field`` is a column name or empty."""

    file: str
    line: int
    field: str
    message: str


@dataclass
class Table:
    """One file or sheet: its data rows by canonical column, after the header."""

    file: str
    encoding: str = ""
    header: list[str] = field(default_factory=list)  # canonical names, in file order
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    count: int = 0  # data rows in the file, bad ones included
    ok: bool = True


def fold(text: str) -> str:
    """A header cell as compared: no accents, no case, words joined by "_"."""
    decomposed = unicodedata.normalize("NFKD", text.strip().strip('"').strip())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    words = "".join(ch if ch.isalnum() else " " for ch in bare).split()
    return "_".join(words)


def alias_index(columns: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Folded header text → canonical column, from ``{canonical: (aliases…)}``."""
    index: dict[str, str] = {}
    for canonical, aliases in columns.items():
        index[fold(canonical)] = canonical
        for alias in aliases:
            index[fold(alias)] = canonical
    return index


def is_workbook(data: bytes) -> bool:
    return data.startswith(WORKBOOK_MAGIC)


def decode(data: bytes) -> tuple[str, str] | None:
    """The text and the name of its encoding, or None when it is none of them."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), _LABELS["utf_8_sig"]
        except UnicodeDecodeError:
            return None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), _LABELS["utf_16"]
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8"), _LABELS["utf_8"]
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=_CANDIDATES).best()
    if best is None:
        return None
    name = best.encoding
    try:
        return data.decode(name), _LABELS.get(name, name)
    except (UnicodeDecodeError, LookupError):
        return None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def workbook_sheets(data: bytes) -> dict[str, list[list[str]]] | None:
    """Every sheet of an XLSX workbook as rows of text cells; None if it cannot be read."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a damaged or foreign zip: openpyxl raises many kinds
        return None
    try:
        return {
            sheet.title: [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets
        }
    except Exception:
        return None
    finally:
        book.close()


def _sniff(text: str, index: Mapping[str, str]) -> str:
    """The delimiter whose header row names the most expected columns."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    best, best_score = ",", -1
    for delimiter in DELIMITERS:
        try:
            cells = next(csv.reader([first], delimiter=delimiter), [])
        except csv.Error:
            continue
        score = sum(1 for cell in cells if fold(cell) in index)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def csv_rows(text: str, index: Mapping[str, str]) -> tuple[list[tuple[int, list[str]]], int | None]:
    """The records of a CSV text with the line each starts on, and the line of an
    unreadable record (an unclosed quote) if there is one."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff(text, index), strict=True)
    rows: list[tuple[int, list[str]]] = []
    start = 1  # quoted fields may span lines
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return rows, None
        except csv.Error:
            return rows, start
        rows.append((start, cells))
        start = reader.line_num + 1


def too_many_rows(file: str, limit: int) -> Problem:
    return Problem(
        file,
        WHOLE_FILE,
        "",
        gettext("Filen har fler än %(n)s rader. Dela upp den i flera uppladdningar.")
        % {"n": f"{limit:,}".replace(",", " ")},
    )


def read_table(
    file: str,
    records: list[tuple[int, list[str]]],
    columns: Mapping[str, Iterable[str]],
    required: Iterable[str],
    problems: list[Problem],
    *,
    encoding: str,
    max_rows: int,
    echo_unknown: bool = True,
) -> Table:
    """Check the header of *records* and give the data rows by canonical column.

    An unknown header cell is named in its problem only with *echo_unknown*;
    otherwise by position ("kolumn 3"): a file without a header row has data in
    its first row, and a name or personnummer must not come back as a "column"."""
    index = alias_index(columns)
    table = Table(file=file, encoding=encoding)
    header: list[str] | None = None
    width = 0  # len(header)
    count = 0
    add = table.rows.append  # the loop runs once per data row: names bound once
    for line, cells in records:
        if not "".join(cells).strip():
            continue  # blank rows (Excel leaves ";;;;" lines at the end)
        if header is None:
            header = _check_header(
                file, line, cells, index, columns, required, problems, echo_unknown
            )
            if header is None:
                table.ok = False
                return table
            table.header = header
            width = len(header)
            continue
        count += 1
        if count > max_rows:
            table.count = count
            problems.append(too_many_rows(file, max_rows))
            table.ok = False
            table.rows = []
            return table
        if len(cells) > width:
            while len(cells) > width and not cells[-1].strip():
                cells = cells[:-1]  # a workbook's trailing empty cells
            if len(cells) > width:
                problems.append(
                    Problem(
                        file,
                        line,
                        "",
                        gettext(
                            "Raden har %(n)s fält men rubrikraden har %(n2)s. Kontrollera "
                            "avgränsare och citattecken på raden."
                        )
                        % {"n": len(cells), "n2": width},
                    )
                )
                table.ok = False
                continue
        # Fewer cells than columns: the missing ones are empty (required ones get reported).
        add((line, dict(zip(header, cells, strict=False))))
    table.count = count
    return table


def _check_header(
    file: str,
    line: int,
    cells: list[str],
    index: Mapping[str, str],
    columns: Mapping[str, Iterable[str]],
    required: Iterable[str],
    problems: list[Problem],
    echo_unknown: bool,
) -> list[str] | None:
    ok = True
    header: list[str] = []
    for position, cell in enumerate(cells, start=1):
        canonical = index.get(fold(cell))
        if canonical is None:
            shown = cell.strip().strip('"').strip().casefold() if echo_unknown else ""
            problems.append(
                Problem(
                    file,
                    line,
                    shown or gettext("kolumn %(n)s") % {"n": position},
                    gettext("Okänd kolumn. Tillåtna kolumner är: ") + ", ".join(columns) + ".",
                )
            )
            ok = False
            header.append("")
        else:
            header.append(canonical)
    for name in required:
        if name not in header:
            problems.append(
                Problem(file, line, name, gettext("Kolumnen saknas i rubrikraden (första raden)."))
            )
            ok = False
    for name in sorted({n for n in header if n and header.count(n) > 1}):
        problems.append(
            Problem(file, line, name, gettext("Kolumnen finns flera gånger i rubrikraden."))
        )
        ok = False
    return header if ok else None


def not_readable(file: str, line: int) -> Problem:
    return Problem(
        file,
        line,
        "",
        gettext(
            "Raden går inte att läsa som CSV, till exempel ett citattecken som aldrig "
            "avslutas. Rätta raden och ladda upp filen igen."
        ),
    )


def not_decodable(file: str) -> Problem:
    return Problem(
        file,
        WHOLE_FILE,
        "",
        gettext(
            "Filens teckenkodning känns inte igen. Spara den i Excel som "
            '"CSV UTF-8 (kommaavgränsad)" eller som Excel-arbetsbok (.xlsx) och ladda upp den igen.'
        ),
    )


def not_a_workbook(file: str) -> Problem:
    return Problem(
        file,
        WHOLE_FILE,
        "",
        gettext(
            "Filen ser ut som en Excel-arbetsbok men går inte att öppna. Spara den på nytt i "
            "Excel (.xlsx) och ladda upp den igen."
        ),
    )


def too_big(file: str, max_bytes: int) -> Problem:
    return Problem(
        file,
        WHOLE_FILE,
        "",
        gettext(
            "Filen är större än %(n)s MB. Dela upp den i flera filer och ladda upp dem var för sig."
        )
        % {"n": max_bytes // (1024 * 1024)},
    )


def records_of(
    file: str, data: bytes, index: Mapping[str, str], problems: list[Problem]
) -> tuple[list[tuple[int, list[str]]], str] | None:
    """The records of one uploaded CSV or the first sheet of a workbook, and the
    encoding read; None (with a problem) when the file cannot be read at all."""
    if is_workbook(data):
        sheets = workbook_sheets(data)
        if sheets is None:
            problems.append(not_a_workbook(file))
            return None
        first = next(iter(sheets.values()), [])
        return [(i, row) for i, row in enumerate(first, start=1)], _LABELS["xlsx"]
    decoded = decode(data)
    if decoded is None:
        problems.append(not_decodable(file))
        return None
    text, encoding = decoded
    rows, bad_line = csv_rows(text, index)
    if bad_line is not None:
        # The records before it are still checked, so one upload reports as much as it can.
        problems.append(not_readable(file, bad_line))
    return rows, encoding
