"""The downloadable templates of the record import: an XLSX workbook with a
sheet per kind, the Swedish headers and drop-down lists for the coded columns,
and a CSV per kind. Pure (openpyxl and the importer's column lists)."""

from __future__ import annotations

import io

from gvi.core.exporting import EXCEL_SV, Column, to_csv
from gvi.i18n import gettext
from gvi.records import importer

LIST_SHEET = "Värden"
SHEET_TITLES = {
    importer.PEOPLE: "Personer",
    importer.CASES: "Ärenden",
    importer.OFFERS: "Erbjudanden",
}
_DATA_ROWS = 5000  # how far down the drop-down lists reach


def swedish_header(kind: str, column: str) -> str:
    """The header the template uses: the first Swedish name, capitalised."""
    aliases = importer.COLUMNS[kind][column]
    name = aliases[0] if aliases else column
    return name[:1].upper() + name[1:]


def headers(kind: str) -> list[str]:
    return [swedish_header(kind, c) for c in importer.COLUMNS[kind]]


def csv_template(kind: str) -> bytes:
    """The header row in the Swedish Excel dialect (semicolon-separated UTF-8 with a
    byte order mark): what Swedish Excel opens straight into columns."""
    return to_csv([Column(h) for h in headers(kind)], [], EXCEL_SV)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    return str(get_column_letter(index))


def xlsx_template() -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.worksheet.datavalidation import DataValidation  # type: ignore[import-untyped]

    book = Workbook()
    lists = book.active
    lists.title = LIST_SHEET
    list_column = 0
    for kind in importer.KINDS:
        sheet = book.create_sheet(SHEET_TITLES[kind])
        sheet.append(headers(kind))
        sheet.freeze_panes = "A2"
        columns = list(importer.COLUMNS[kind])
        coded = dict(importer.CODED.get(kind, {}))
        yes_no = importer.YES_NO_COLUMNS.get(kind, ())
        for position, column in enumerate(columns, start=1):
            letter = _column_letter(position)
            sheet.column_dimensions[letter].width = max(14, len(headers(kind)[position - 1]) + 4)
            values: list[str] | None = None
            # The Swedish labels whatever the page's language: they are what a cell
            # may hold besides the code values.
            if column in coded:
                values = list(coded[column].values())
            elif column in yes_no:
                values = ["ja", "nej"]
            if values is None:
                continue
            list_column += 1
            list_letter = _column_letter(list_column)
            lists[f"{list_letter}1"] = swedish_header(kind, column)
            for row, value in enumerate(values, start=2):
                lists[f"{list_letter}{row}"] = value
            validation = DataValidation(
                type="list",
                formula1=f"'{LIST_SHEET}'!${list_letter}$2:${list_letter}${len(values) + 1}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=gettext("Okänt värde"),
                error=gettext("Välj ett värde i listan."),
            )
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{_DATA_ROWS}")
    # The lists last, so the workbook opens on the first kind.
    book.move_sheet(LIST_SHEET, offset=len(importer.KINDS))
    book.active = 0
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
