"""The exports open right where people open them: Swedish Excel's CSV dialect by
default for Swedish readers, RFC 4180 on request or for English readers, and XLSX
with typed cells, labels, Swedish sheet names and the notes on their own sheet;
checked with openpyxl and with LibreOffice headless (real Calc, via tests/office)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

import openpyxl
import pytest

from gvi.core.exporting import EXCEL_SV, RFC4180, Column, Kind, dialect_for, to_csv, to_xlsx
from gvi.core.failures import Refused
from gvi.defectors.tables import CaseFollowUp
from gvi.reports.services import SUPPRESSED
from gvi.support.tables import OfferStatus as S
from tests.clients import login, token
from tests.defectors.factories import World, build_world, make_case, make_offer
from tests.office import SWEDISH_CSV, open_in_libreoffice

COLUMNS = [
    Column("Grupp"),
    Column("År", Kind.integer),
    Column("Andel", Kind.percent),
    Column("Dagar", Kind.decimal),
    Column("Datum", Kind.date),
    Column("Skede", Kind.label, {"before": "Före"}),
    Column("Förändring", Kind.integer),
]
ROWS: list[list[Any]] = [
    ["=HYPERLINK(1)", 2024, 0.8333, 12.5, date(2024, 2, 1), "before", -3],
    ["a;b, c", 2025, SUPPRESSED, None, None, "okänd-kod", 0],
]


def test_swedish_excel_dialect() -> None:
    data = to_csv(COLUMNS, ROWS, EXCEL_SV)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte order mark
    text = data.decode("utf-8-sig")
    assert text.count("\r\n") == 3
    assert "\n" not in text.replace("\r\n", "")
    lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert lines[0] == [c.header for c in COLUMNS]
    # Decimal comma, percent as Babel writes it in Swedish, ISO date, the label, a
    # plain minus sign, and the formula neutralised (but not the negative number).
    assert lines[1] == ["'=HYPERLINK(1)", "2024", "83,3\xa0%", "12,5", "2024-02-01", "Före", "-3"]
    assert lines[2] == ["a;b, c", "2025", SUPPRESSED, "", "", "okänd-kod", "0"]
    assert len(lines) == 3  # no note, no blank row


def test_rfc4180_dialect() -> None:
    data = to_csv(COLUMNS, ROWS, RFC4180)
    assert not data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert lines[1] == ["'=HYPERLINK(1)", "2024", "83.3%", "12.5", "2024-02-01", "Före", "-3"]
    assert lines[2][0] == "a;b, c"
    assert data.count(b"\r\n") == 3


def test_dialect_follows_the_language_unless_asked() -> None:
    assert dialect_for("sv", None) is EXCEL_SV
    assert dialect_for("en", None) is RFC4180
    assert dialect_for("sv", "rfc4180") is RFC4180
    assert dialect_for("en", "excel-sv") is EXCEL_SV
    with pytest.raises(Refused, match="Okänt CSV-format"):
        dialect_for("sv", "tsv")


def test_xlsx_cells_are_typed() -> None:
    moment = datetime(2026, 12, 2, 6, 30, tzinfo=datetime.now().astimezone().tzinfo)
    book = openpyxl.load_workbook(
        io.BytesIO(to_xlsx("Nyckeltal", COLUMNS, ROWS, [("Källa", "GVI"), ("Skapad", moment)]))
    )
    assert book.sheetnames == ["Nyckeltal", "Noter"]
    sheet = book["Nyckeltal"]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= len("=HYPERLINK(1)")
    a2, year, share, days, day, phase, change = sheet[2]
    assert (a2.value, a2.data_type) == ("'=HYPERLINK(1)", "s")
    assert (year.value, year.number_format) == (2024, "0")
    assert (share.value, share.number_format) == (0.8333, "0.0%")
    assert (days.value, days.number_format) == (12.5, "0.0")
    assert (day.value, day.number_format) == (datetime(2024, 2, 1), "yyyy-mm-dd")
    assert (phase.value, change.value) == ("Före", -3)
    assert sheet["C3"].value == SUPPRESSED
    notes = [tuple(c.value for c in row) for row in book["Noter"].iter_rows()]
    assert notes[0] == ("Uppgift", "Värde")
    assert notes[1] == ("Källa", "GVI")
    assert isinstance(notes[2][1], datetime)


async def _world_with_shares() -> World:
    """Järfälla 2024: 6 cases, 5 led to an intervention (no count under 5, so the
    share survives suppression), and one follow-up."""
    world = await build_world()
    for i in range(6):
        case_id = await make_case(
            world, person="jarfalla", municipality="0123", reference=f"AH-O-{i:04d}"
        )
        if i < 5:
            await make_offer(
                world, person="jarfalla", municipality="0123", case_id=case_id, history=(S.started,)
            )
    await CaseFollowUp(
        case=case_id,
        phase="before",
        follow_up_on=date(2024, 2, 1),
        months_since_start=2,
        housing="poor",
        occupation="partly",
    ).save()
    return world


@pytest.mark.usefixtures("db")
async def test_exports_in_both_dialects_and_as_workbooks(client: Any) -> None:
    world = await _world_with_shares()
    await login(client, "sofia", world.secret["sofia"])

    r = await client.get("/api/v1/reports/cases.csv")
    assert r.status_code == 200
    assert r.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[1] == ["Järfälla", "2024", "6", "5", "83,3\xa0%"]
    assert len(lines) == 2  # the suppression note is in the XLSX and on the page

    r = await client.get("/api/v1/reports/cases.csv?dialect=rfc4180")
    assert list(csv.reader(io.StringIO(r.content.decode("utf-8"))))[1][-1] == "83.3%"
    r = await client.get("/api/v1/reports/follow-ups.csv?dialect=rfc4180")
    row = list(csv.reader(io.StringIO(r.content.decode("utf-8"))))[1]
    assert row[:7] == ["AH-O-0005", "Järfälla", "Före", "2024-02-01", "2", "Dålig", "Delvis"]

    r = await client.get("/api/v1/reports/cases.csv?dialect=semikolon")
    assert r.status_code == 400
    assert "Okänt CSV-format" in r.json()["detail"]

    r = await client.get("/api/v1/reports/cases.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["Nyckeltal", "Noter"]
    assert book["Nyckeltal"]["E2"].value == pytest.approx(5 / 6, abs=1e-4)
    assert book["Nyckeltal"]["E2"].number_format == "0.0%"
    notes = dict(book["Noter"].iter_rows(min_row=2, values_only=True))
    assert notes["Tabell"] == "Avhopparärenden per kommun och år"
    assert "<5" in notes["Sekretess"]
    assert isinstance(notes["Skapad"], datetime)

    r = await client.get("/api/v1/reports/follow-ups.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["Uppföljningar", "Noter"]
    sheet = book["Uppföljningar"]
    assert [c.value for c in sheet[2]][:7] == [
        "AH-O-0005",
        "Järfälla",
        "Före",
        datetime(2024, 2, 1),
        2,
        "Dålig",
        "Delvis",
    ]
    assert sheet["D2"].number_format == "yyyy-mm-dd"

    # An English reader gets RFC 4180 (still the documented Swedish headers).
    r = await client.post(
        "/language",
        data={"lang": "en", "next": "/", "csrf_token": await token(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = await client.get("/api/v1/reports/cases.csv")
    assert not r.content.startswith(b"\xef\xbb\xbf")
    assert (
        r.content.decode("utf-8").splitlines()[0]
        == "Kommun,År,Ärenden,Ledde till insats,Andel med insats"
    )


@pytest.mark.usefixtures("db")
async def test_libreoffice_opens_each_export(client: Any) -> None:
    """Each XLSX export, and the Swedish CSV, converted by LibreOffice headless:
    dates are dates, shares are percentages, labels are labels."""
    world = await _world_with_shares()
    await login(client, "sofia", world.secret["sofia"])
    files = {
        name: (await client.get(f"/api/v1/reports/{name}")).content
        for name in ("cases.xlsx", "follow-ups.xlsx")
    }
    opened = open_in_libreoffice(files)
    cases = opened["cases.xlsx"]
    assert list(cases) == ["Nyckeltal", "Noter"]
    share = cases["Nyckeltal"][1][4]
    assert (share.type, share.value) == ("percentage", "0.8333")
    assert share.text in ("83.3%", "83,3%", "83,3 %")  # the profile's locale decides the sign
    assert [c.text for c in cases["Noter"][1]] == ["Tabell", "Avhopparärenden per kommun och år"]
    assert cases["Noter"][-1][1].type == "date"  # "Skapad": a moment, not text

    follow_ups = opened["follow-ups.xlsx"]
    assert list(follow_ups) == ["Uppföljningar", "Noter"]
    row = follow_ups["Uppföljningar"][1]
    assert (row[3].type, row[3].value, row[3].text) == ("date", "2024-02-01", "2024-02-01")
    assert (row[4].type, row[4].value) == ("float", "2")
    assert [c.text for c in row[:3]] + [row[5].text] == ["AH-O-0005", "Järfälla", "Före", "Dålig"]

    csv_file = (await client.get("/api/v1/reports/cases.csv")).content
    sheet = next(
        iter(
            open_in_libreoffice({"cases.csv": csv_file}, infilter=SWEDISH_CSV)["cases.csv"].values()
        )
    )
    assert [c.text for c in sheet[0]] == [
        "Kommun",
        "År",
        "Ärenden",
        "Ledde till insats",
        "Andel med insats",
    ]
    assert [c.type for c in sheet[1]] == ["string", "float", "float", "float", "percentage"]
    assert sheet[1][4].value == "0.833"
