"""Control characters are refused in every text field, in one place; everything
else (quotes, <>&, åäö, RTL marks, emoji, and tab/newline in free text) is kept
and every export of it parses with a real parser. Rows written before the rule
(inserted directly) still give well-formed exports."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from typing import Any

import icalendar
import networkx as nx
import openpyxl  # type: ignore[import-untyped]
import pytest
from litestar import Litestar

from gvi.callins.tables import CallIn
from gvi.core.exporting import EXCEL_SV, Column, to_csv, to_xlsx
from gvi.core.text import text_problem
from gvi.groups.importer import GROUPS_FILE, parse_upload
from gvi.groups.tables import Group
from gvi.networks import interchange
from tests.clients import signed_in, token
from tests.factories import build_world

NASTY = "\"Q\" 'x' <b>&amp;</b> åäö \u200fעברית\u200e 🔫💣 \\ ; , = ]]>"
NASTY_FREE = NASTY + "\trad ett\nrad två\r\nslut"
BAD = ("A\x01B", "A\x00B", "A\x1bB", "A\x7fB", "A\x85B", "A\ufffeB")


def test_the_rule() -> None:
    assert text_problem(NASTY, free_text=False) is None
    assert text_problem(NASTY_FREE, free_text=True) is None
    assert text_problem(NASTY_FREE, free_text=False) is not None
    for bad in BAD:
        assert text_problem(bad, free_text=True) is not None


async def _post(client: Any, path: str, body: dict[str, Any]) -> Any:
    return await client.post(path, json=body, headers={"X-CSRF-Token": await token(client)})


def _parse_graph_exports(files: dict[str, bytes]) -> tuple[nx.Graph, nx.Graph]:
    for fmt in ("graphml", "gexf"):
        ET.fromstring(files[fmt])  # noqa: S314 - our own export: well-formed XML?
    graphml = nx.read_graphml(io.BytesIO(files["graphml"]))
    gexf = interchange.from_gexf(files["gexf"])  # GEXF 1.3, which networkx does not read
    rows = list(csv.reader(io.StringIO(files["csv"].decode("utf-8"))))
    assert rows[0][:2] == ["source", "target"]
    return graphml, gexf


async def _exports(client: Any) -> dict[str, bytes]:
    out = {}
    for fmt in ("graphml", "gexf", "csv"):
        r = await client.get(f"/api/v1/network/export.{fmt}")
        assert r.status_code == 200, (fmt, r.text)
        out[fmt] = r.content
    return out


async def test_records_with_the_nastiest_allowed_text_export_and_parse(app: Litestar) -> None:
    world = await build_world("th")
    async with signed_in(app, world, "coordinator") as c:
        ids = []
        for suffix in ("A", "B"):
            r = await _post(
                c,
                "/api/v1/groups",
                {"name": f"{NASTY} {suffix}", "municipality_id": world.own, "notes": NASTY_FREE},
            )
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        r = await _post(
            c,
            "/api/v1/callins",
            {
                "title": NASTY,
                "starts_at": "2031-06-01T17:00:00",
                "ends_at": "2031-06-01T19:00:00",
                "venue": NASTY,
                "municipality_id": world.own,
                "promises": [NASTY],
            },
        )
        assert r.status_code == 201, r.text
        ics = await c.get(f"/callins/{r.json()['id']}/event.ics")
        assert ics.status_code == 200
        event = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")[0]
        assert str(event["summary"]) == NASTY
    async with signed_in(app, world, "police") as c:
        r = await _post(
            c,
            "/api/v1/relations",
            {
                "group_a_id": ids[0],
                "group_b_id": ids[1],
                "kind": "rivalry",
                "intensity": 2,
                "valid_from": "2020-01-01",
                "source": NASTY_FREE,
            },
        )
        assert r.status_code == 201, r.text
        r = await _post(
            c,
            "/api/v1/incidents",
            {
                "occurred_at": "2024-05-01T12:00:00",
                "municipality_id": world.own,
                "kind": "threat",
                "area": NASTY,
                "place": NASTY_FREE,
                "motive": NASTY_FREE,
                "suspected_group_ids": [ids[0]],
            },
        )
        assert r.status_code == 201, r.text
        graphml, gexf = _parse_graph_exports(await _exports(c))
    labels = {d.get("label") for _, d in graphml.nodes(data=True)}
    assert f"{NASTY} A" in labels
    assert f"{NASTY} A" in {d.get("label") for _, d in gexf.nodes(data=True)}
    assert graphml.number_of_edges() >= 1


@pytest.mark.parametrize("bad", BAD)
async def test_control_characters_are_refused_in_every_kind_of_input(
    app: Litestar, bad: str
) -> None:
    world = await build_world("tc")
    async with signed_in(app, world, "coordinator") as c:
        for body in (
            {"name": bad, "municipality_id": world.own},
            {"name": "Ok", "municipality_id": world.own, "notes": bad},
            {"name": "Ok", "municipality_id": world.own, bad: "x"},
        ):
            r = await _post(c, "/api/v1/groups", body)
            assert r.status_code == 400, (body, r.text)
            assert "styrtecken" in r.json()["detail"]
        # An HTML form, and a query parameter.
        csrf = await token(c, "/groups/new")
        r = await c.post(
            "/groups/new",
            data={"name": bad, "municipality_id": str(world.own), "csrf_token": csrf},
        )
        assert r.status_code == 400
        assert "styrtecken" in r.text
        r = await c.get("/api/v1/groups", params={"q": bad})
        assert r.status_code == 400
        assert r.json()["errors"][0]["field"] == "q"


async def test_a_line_break_is_refused_in_a_one_line_field_only(app: Litestar) -> None:
    world = await build_world("tl")
    async with signed_in(app, world, "coordinator") as c:
        r = await _post(
            c, "/api/v1/groups", {"name": "Rad\nbrytning", "municipality_id": world.own}
        )
        assert r.status_code == 400
        assert "en rad" in r.json()["detail"]
        assert r.json()["errors"][0]["field"] == "name"
        r = await _post(
            c,
            "/api/v1/groups",
            {"name": "Rad", "municipality_id": world.own, "notes": "ett\tett\ntvå"},
        )
        assert r.status_code == 201, r.text


def test_import_cells_with_control_characters_are_problems() -> None:
    data = (
        "name,municipality_code,notes\n"
        "Gäng\x01et,0180,ok\n"
        "Gänget,0180,rad ett\x02\n"
        'Fint gäng,0180,"rad ett\nrad två"\n'
    ).encode()
    parsed = parse_upload({GROUPS_FILE: data})
    flagged = [p for p in parsed.problems if "styrtecken" in p.message]
    assert len(flagged) == 2, parsed.problems


async def test_rows_from_before_the_rule_still_export_well_formed(app: Litestar) -> None:
    world = await build_world("tp")
    a = Group(name="Före\x01regeln", municipality=world.own, notes="x\x02")
    b = Group(name="Andra\x1b", municipality=world.own)
    await a.save()
    await b.save()
    async with signed_in(app, world, "coordinator") as c:
        r = await _post(
            c,
            "/api/v1/callins",
            {
                "title": "Möte",
                "starts_at": "2031-06-01T17:00:00",
                "ends_at": "2031-06-01T19:00:00",
                "venue": "Salen",
                "municipality_id": world.own,
                "promises": [],
            },
        )
        assert r.status_code == 201, r.text
        call_in = r.json()["id"]
        await CallIn.raw("UPDATE call_in SET title = {} WHERE id = {}", "Möte\x01\x0b", call_in)
        ics = await c.get(f"/callins/{call_in}/event.ics")
        assert ics.status_code == 200
        event = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")[0]
        assert str(event["summary"]) == "Möte"
        graphml, gexf = _parse_graph_exports(await _exports(c))
    assert "Föreregeln" in {d.get("label") for _, d in graphml.nodes(data=True)}
    assert "Föreregeln" in {d.get("label") for _, d in gexf.nodes(data=True)}
    # The report exports (CSV, XLSX) of such text.
    xlsx = to_xlsx("Figur", [Column("namn")], [["Före\x01regeln"], [NASTY]])
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == ["Föreregeln", NASTY]
    text = to_csv([Column("namn")], [["Före\x01regeln"]], EXCEL_SV).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1] == ["Föreregeln"]
