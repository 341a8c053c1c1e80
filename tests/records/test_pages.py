"""The import page and the API: templates, encodings, workbooks, Swedish headers,
dry run, bad and out-of-scope rows (nothing written), scope of the menu."""

from __future__ import annotations

import io
from typing import Any

from litestar import Litestar
from openpyxl import Workbook, load_workbook

from gvi.defectors.tables import DefectorCase
from gvi.people.tables import Person
from tests.records.support import (
    JOINT,
    SOC_SIGTUNA,
    build_world,
    cases_csv,
    offers_csv,
    people_csv,
    signed_in,
    token,
)


def multipart(files: dict[str, tuple[str, bytes]]) -> dict[str, tuple[str, bytes, str]]:
    return {
        field: (name, data, "application/octet-stream") for field, (name, data) in files.items()
    }


async def post(client: Any, files: dict[str, tuple[str, bytes]], *, dry_run: bool) -> Any:
    data = {"csrf_token": await token(client)}
    if dry_run:
        data["dry_run"] = "yes"
    return await client.post(
        "/records/import", files=multipart(files), data=data, follow_redirects=False
    )


async def api(client: Any, files: dict[str, tuple[str, bytes]], **fields: str) -> Any:
    return await client.post(
        "/api/v1/records/import",
        files=multipart(files),
        data={"dry_run": "true", **fields},
        headers={"X-CSRF-Token": await token(client)},
    )


def xlsx(sheets: dict[str, str]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, text in sheets.items():
        sheet = book.create_sheet(title)
        import csv

        for row in csv.reader(io.StringIO(text)):
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_the_page_is_in_the_menu_of_outreach_only(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "sofia") as c:
        home = await c.get("/")
        assert 'href="/records/import"' in home.text
        page = await c.get("/records/import")
        assert page.status_code == 200
        assert 'enctype="multipart/form-data"' in page.text
        assert 'id="dry_run" name="dry_run" value="yes" checked' in page.text
        assert "<script>" not in page.text
    async with signed_in(app, world, "cora") as c:
        assert 'href="/records/import"' not in (await c.get("/")).text
        assert (await c.get("/records/import")).status_code == 404


async def test_templates_have_headers_and_drop_downs(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "sofia") as c:
        r = await c.get("/records/import/template.xlsx")
        assert r.status_code == 200
        book = load_workbook(io.BytesIO(r.content))
        assert book.sheetnames[:3] == ["Personer", "Ärenden", "Erbjudanden"]
        headers = [cell.value for cell in book["Personer"][1]]
        assert "Kommunkod" in headers
        assert "Personnummer" in headers
        assert "Födelseår" in headers
        assert book["Ärenden"].data_validations.dataValidation, "coded columns have lists"
        csv_file = await c.get("/records/import/templates/cases.csv")
        assert csv_file.status_code == 200
        assert csv_file.content.startswith(b"\xef\xbb\xbf")
        assert "Handläggare" in csv_file.content.decode("utf-8-sig")
        assert (await c.get("/records/import/templates/secrets.csv")).status_code == 404
        # The template itself uploads cleanly (a header and no rows: nothing to do).
        r = await post(c, {"workbook": ("mall.xlsx", r.content)}, dry_run=True)
        assert r.status_code == 200, r.text


async def test_each_encoding_is_read_and_named(app: Litestar) -> None:
    world = await build_world()
    text = people_csv()
    variants = {
        "UTF-8": text.encode("utf-8"),
        "UTF-8 (BOM)": text.encode("utf-8-sig"),
        "UTF-16": text.replace(",", "\t").encode("utf-16"),
        "Windows-1252": text.replace(",", ";").encode("cp1252"),
    }
    async with signed_in(app, world, "sofia") as c:
        for label, data in variants.items():
            r = await api(c, {"people": ("personer.csv", data)})
            assert r.status_code == 200, (label, r.text)
            body = r.json()
            assert body["encodings"] == {"people": label}
            assert body["counts"]["people"]["create"] == 2
    assert await Person.count() == 0


async def test_a_workbook_uploaded_as_csv_is_read_as_a_workbook(app: Litestar) -> None:
    world = await build_world()
    book = xlsx({"Personer": people_csv(), "Ärenden": cases_csv(), "Erbjudanden": offers_csv()})
    single = xlsx({"Blad1": people_csv()})
    async with signed_in(app, world, "sofia") as c:
        r = await api(c, {"workbook": ("export.xlsx", book)})
        assert r.status_code == 200, r.text
        assert r.json()["counts"]["cases"]["create"] == 2
        r = await api(c, {"people": ("personer.csv", single)})
        assert r.status_code == 200, r.text
        assert r.json()["encodings"] == {"people": "XLSX"}
        r = await api(c, {"people": ("personer.csv", book)}, dry_run="false")
        assert r.status_code == 200, r.text
        assert r.json()["written"]
    assert await Person.count() == 2


async def test_swedish_headers(app: Litestar) -> None:
    world = await build_world()
    people = (
        "Extern referens;Personkod;KOMMUNKOD;Födelseår;Skyddsnivå;Namn;Personnummer;Adress;"
        "Telefon\n"
        "SV-1;;0123;2002;Skyddad folkbokföring;Ö Å;;;\n"
    )
    cases = (
        "Extern referens;Personens externa referens;Enhet;Handläggare;Öppnat;Stängt;Utfall;"
        "Aktualiserad av;Miljö;Barn;Hotnivå\n"
        f"SV-AH-1;SV-1;{JOINT};imp-sofia;2024-01-10;2024-06-01;Genomfört;Polisen;"
        "Hedersrelaterad miljö;ja;Hög\n"
    )
    async with signed_in(app, world, "sofia") as c:
        r = await api(
            c,
            {"people": ("p.csv", people.encode("cp1252")), "cases": ("a.csv", cases.encode())},
            dry_run="false",
        )
        assert r.status_code == 200, r.text
    case = await DefectorCase.select().first()
    assert case is not None
    assert (case["status"], case["closure_outcome"], case["environment"]) == (
        "closed",
        "completed",
        "honour_related",
    )
    assert case["referral_source"] == "police"
    assert case["is_child"] is True


async def test_bad_rows_are_reported_by_line_and_column_and_nothing_is_written(
    app: Litestar,
) -> None:
    world = await build_world()
    people = people_csv() + "EXT-3,,12345,19,okänd,,1234,,,\n"
    cases = cases_csv().replace("2024-01-10,,,", "2024-13-10,,,", 1)
    async with signed_in(app, world, "sofia") as c:
        r = await post(
            c,
            {
                "people": ("personer.csv", people.encode()),
                "cases": ("arenden.csv", cases.encode()),
                "offers": ("erbjudanden.csv", offers_csv().encode()),
            },
            dry_run=False,
        )
        assert r.status_code == 400
        assert "Inget har sparats" in r.text
        for column in ("municipality_code", "birth_year", "protection", "pin", "opened_on"):
            assert column in r.text
        # No cell comes back: neither the bad personnummer nor the names of good rows.
        assert "1234</td>" not in r.text
        assert "Öberg" not in r.text
        assert 'id="dry_run" name="dry_run" value="yes" checked' not in r.text
    assert await Person.count() == 0
    assert await DefectorCase.count() == 0


async def test_a_file_without_a_header_row_never_echoes_its_first_row(app: Litestar) -> None:
    world = await build_world()
    headless = people_csv().split("\n", 1)[1]  # the data rows only
    async with signed_in(app, world, "sofia") as c:
        r = await api(c, {"people": ("Åsa Öberg.csv", headless.encode())})
        assert r.status_code == 422
        for secret in ("Öberg", "19010101", "Storgatan"):
            assert secret not in r.text
        fields = {p["field"] for p in r.json()["problems"]}
        assert "kolumn 6" in fields


async def test_rows_outside_the_users_scope_are_errors(app: Litestar) -> None:
    world = await build_world()
    people = people_csv() + "EXT-9,,0191,2000,,,,,,\n"  # Sigtuna: not sofia's
    cases = cases_csv(unit=SOC_SIGTUNA)  # not sofia's unit
    async with signed_in(app, world, "sofia") as c:
        r = await api(
            c,
            {"people": ("p.csv", people.encode()), "cases": ("a.csv", cases.encode())},
            dry_run="false",
        )
        assert r.status_code == 422
        problems = {(p["file"], p["line"], p["field"]) for p in r.json()["problems"]}
        # Files are named by kind, never by the name they were uploaded under.
        assert ("Personer", 4, "municipality_code") in problems
        assert ("Avhopparärenden", 2, "unit") in problems
        assert ("Avhopparärenden", 3, "unit") in problems
    async with signed_in(app, world, "sigge") as c:
        r = await api(c, {"cases": ("a.csv", cases_csv().encode())})
        assert r.status_code == 422
    assert await Person.count() == 0
    assert await DefectorCase.count() == 0
