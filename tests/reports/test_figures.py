"""The figures, from records built by hand (architecture §3.3), on either engine."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from gvi.access.principal import Principal
from gvi.accounts.tables import Role
from gvi.audit.tables import AuditEvent
from gvi.callins.tables import CallIn, Invitation, Notification
from gvi.core.failures import NotVisible
from gvi.defectors.services import led_to_intervention
from gvi.defectors.tables import CaseFollowUp, DefectorCase, GrantApplication
from gvi.enforcement.tables import EnforcementAction
from gvi.groups.tables import Group
from gvi.i18n import format_percent
from gvi.incidents.tables import Incident, IncidentGroup
from gvi.reports import services
from gvi.reports.services import SUPPRESSED, Filters
from gvi.support.tables import OfferStatus, SupportOffer
from tests.clients import login
from tests.defectors.factories import World, build_world, make_case, make_offer
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("db")
S = OfferStatus


def _role(world: World, role: Role, codes: tuple[str, ...] = ("0123",)) -> Principal:
    return Principal(
        user_id=world.user["polis"],
        username=role.value,
        role=role,
        municipality_ids=frozenset(world.municipality[c] for c in codes),
    )


def _row(report: services.Report, **match: Any) -> dict[str, Any]:
    rows = [r for r in report.rows if all(r.get(k) == v for k, v in match.items())]
    assert len(rows) == 1, (match, report.rows)
    return rows[0]


async def _cases_world(world: World) -> None:
    """Järfälla 2024: 6 cases, 4 led to an intervention; Sigtuna: 1 case (out of scope)."""
    histories: list[tuple[S, ...] | None] = [
        (S.offered, S.accepted, S.started),
        (S.offered, S.accepted, S.started, S.completed),
        (S.offered, S.accepted, S.started, S.discontinued),  # started, then stopped: counts
        (S.offered, S.started),
        (S.offered, S.accepted, S.discontinued),  # never started: does not count
        None,
    ]
    for i, history in enumerate(histories):
        case_id = await make_case(
            world, person="jarfalla", municipality="0123", reference=f"AH-J-{i:04d}"
        )
        if history is not None:
            await make_offer(
                world, person="jarfalla", municipality="0123", case_id=case_id, history=history
            )
    other = await make_case(
        world,
        person="sigtuna",
        municipality="0191",
        reference="AH-S-0001",
        caseworker="sigge",
        unit="Socialtjänsten Sigtuna (test)",
    )
    await make_offer(
        world, person="sigtuna", municipality="0191", case_id=other, history=(S.started,)
    )


async def test_cases_led_to_intervention_share_and_scope() -> None:
    world = await build_world(logins=False)
    await _cases_world(world)
    outreach = world.principal("sofia")
    report = await services.build(outreach, "cases", Filters())
    assert [r["municipality"] for r in report.rows] == ["Järfälla"]  # Sigtuna not counted
    row = _row(report, municipality="Järfälla", year=2024)
    assert (row["cases"], row["led"]) == (6, 4)
    assert row["share"] == pytest.approx(4 / 6)
    # The same definition as the case page's (gvi.defectors.services.led_to_intervention).
    ids = [
        r["id"]
        for r in await DefectorCase.select(DefectorCase.id).where(
            DefectorCase.municipality == world.municipality["0123"]
        )
    ]
    assert sum((await led_to_intervention(ids)).values()) == 4
    assert report.note is None  # exact numbers on screen for outreach

    analyst = await services.build(_role(world, Role.analyst), "cases", Filters())
    row = _row(analyst, municipality="Järfälla")
    assert row["cases"] == 6
    assert row["led"] == SUPPRESSED
    assert row["share"] == SUPPRESSED
    assert analyst.note
    assert "<5" in analyst.note

    # The year filter narrows; another year has nothing.
    assert (await services.build(outreach, "cases", Filters(year=2023))).rows == []
    # A municipality filter outside the principal's scope never widens it.
    wider = Filters(municipality_ids=(world.municipality["0191"],))
    assert (await services.build(outreach, "cases", wider)).rows == []


async def test_grant_applications_change_from_the_year_before() -> None:
    world = await build_world(logins=False)
    case_id = await make_case(world, person="jarfalla", municipality="0123", police_ready=True)
    rows = [
        GrantApplication(
            case=case_id,
            applied_on=date(year, 3, 1),
            amount_applied=Decimal("1000.00"),
            decision=GrantApplication.Decision.granted if i % 2 else "pending",
        )
        for year, n in ((2022, 113), (2023, 164))
        for i in range(n)
    ]
    await GrantApplication.insert(*rows)
    report = await services.build(world.principal("sofia"), "grants", Filters())
    first, second = _row(report, year=2022), _row(report, year=2023)
    assert first["applications"] == 113
    assert first["change"] is None
    assert second["applications"] == 164
    assert second["change"] == 51
    assert format_percent(second["change_pct"]) == "45,1\xa0%"
    assert second["granted"] == 82
    applicants = await services.build(world.principal("sofia"), "applicants", Filters())
    assert [r["municipalities"] for r in applicants.rows] == [1, 1]
    suppressed = await services.build(_role(world, Role.analyst), "applicants", Filters())
    assert [r["municipalities"] for r in suppressed.rows] == [SUPPRESSED, SUPPRESSED]


async def _operations_world(world: World) -> dict[str, int]:
    j = world.municipality["0123"]
    groups = []
    for name in ("Norra gänget", "Södra gänget"):
        g = Group(name=name, municipality=j)
        await g.save()
        groups.append(g.id)
    held = CallIn(
        title="Call-in",
        starts_at=datetime(2024, 5, 2, 15, tzinfo=UTC),
        ends_at=datetime(2024, 5, 2, 17, tzinfo=UTC),
        venue="Tingsrätten",
        municipality=j,
        status=CallIn.Status.held,
    )
    planned = CallIn(
        title="Nästa",
        starts_at=datetime(2024, 9, 2, 15, tzinfo=UTC),
        ends_at=datetime(2024, 9, 2, 17, tzinfo=UTC),
        venue="Tingsrätten",
        municipality=j,
    )
    await held.save()
    await planned.save()
    for person, group, status in (
        ("jarfalla", groups[0], Invitation.Status.attended),
        ("jarfalla2", groups[1], Invitation.Status.attended),
        ("sollentuna", groups[1], Invitation.Status.no_show),
    ):
        await Invitation(
            call_in=held.id, person=world.person[person], group=group, status=status
        ).save()
    await Invitation(call_in=planned.id, person=world.person["jarfalla"], group=groups[0]).save()
    notified = []
    for outcome in ("delivered", "delivered", "refused"):
        n = Notification(
            person=world.person["jarfalla"],
            municipality=j,
            delivered_on=date(2024, 6, 1),
            delivered_by="Polis och socialtjänst",
            outcome=outcome,
        )
        await n.save()
        notified.append(n.id)
    # Offers after the call-in: 4 and 10 days to each person's first; after a notification: 2.
    for person, when, context, call_in, notification in (
        ("jarfalla", date(2024, 5, 6), "call_in", held.id, None),
        ("jarfalla", date(2024, 5, 20), "call_in", held.id, None),
        ("jarfalla2", date(2024, 5, 12), "call_in", held.id, None),
        ("jarfalla", date(2024, 6, 3), "notification", None, notified[0]),
    ):
        await SupportOffer(
            person=world.person[person],
            municipality=j,
            category=SupportOffer.Category.mentor,
            context=context,
            call_in=call_in,
            notification=notification,
            offered_on=when,
        ).save()
    incidents = []
    for kind, day in (("shooting", 1), ("shooting", 10), ("stabbing", 20)):
        inc = Incident(
            occurred_at=datetime(2024, 4, day, 22, tzinfo=UTC), municipality=j, kind=kind
        )
        await inc.save()
        incidents.append(inc.id)
    for incident, group, role in (
        (incidents[0], groups[0], "suspected"),
        (incidents[1], groups[0], "victim"),
        (incidents[1], groups[1], "suspected"),
    ):
        await IncidentGroup(incident=incident, group=group, role=role).save()
    for incident, when, status in (
        (incidents[0], date(2024, 4, 4), "done"),  # 3 days after
        (incidents[0], date(2024, 4, 11), "done"),
        (incidents[1], date(2024, 4, 17), "done"),  # 7 days after
        (incidents[2], date(2024, 4, 25), "planned"),  # not kept (yet)
    ):
        await EnforcementAction(
            group=groups[0],
            municipality=j,
            triggering_incident=incident,
            kind=EnforcementAction.Kind.search,
            action_date=when,
            status=status,
        ).save()
    return {"group": groups[0]}


async def test_operations_figures() -> None:
    world = await build_world(logins=False)
    await _operations_world(world)
    coordinator = _role(world, Role.coordinator)
    callins = await services.build(coordinator, "callins", Filters())
    row = _row(callins, year=2024)
    assert (row["held"], row["invited"], row["attended"], row["groups"]) == (1, 3, 2, 2)
    assert row["attendance"] == pytest.approx(2 / 3)

    notes = await services.build(coordinator, "notifications", Filters())
    assert {r["outcome"]: r["count"] for r in notes.rows} == {"delivered": 2, "refused": 1}

    promises = await services.build(coordinator, "promises", Filters())
    row = _row(promises, year=2024)
    assert (row["triggering"], row["kept"], row["actions"]) == (3, 2, 3)
    assert row["mean_days"] == pytest.approx(5.0)
    assert row["median_days"] == pytest.approx(5.0)

    incidents = await services.build(coordinator, "incidents", Filters())
    row = _row(incidents, year=2024)
    assert (row["shooting"], row["stabbing"], row["total"]) == (2, 1, 3)

    by_group = await services.build(coordinator, "incident_groups", Filters())
    assert [(r["group"], r["y2024"]) for r in by_group.rows] == [
        ("Norra gänget", 2),
        ("Södra gänget", 1),
    ]

    lead = await services.build(coordinator, "offer_lead", Filters())
    after_callin = _row(lead, label=services.LEAD_LABELS["call_in"])
    assert after_callin["people"] == 2
    assert after_callin["mean_days"] == pytest.approx(7.0)
    assert after_callin["median_days"] == pytest.approx(7.0)
    after_notification = _row(lead, label=services.LEAD_LABELS["notification"])
    assert (after_notification["people"], after_notification["median_days"]) == (1, 2.0)

    # Out of scope: a Sigtuna coordinator counts none of it.
    sigtuna = _role(world, Role.coordinator, ("0191",))
    assert (await services.build(sigtuna, "incidents", Filters())).rows == []
    # Incidents are not an analyst's section; call-ins are, suppressed.
    with pytest.raises(NotVisible):
        await services.build(_role(world, Role.analyst), "incidents", Filters())
    row = _row(await services.build(_role(world, Role.analyst), "callins", Filters()), year=2024)
    assert row["invited"] == SUPPRESSED
    assert row["attendance"] == SUPPRESSED


async def test_offers_and_follow_up_outcomes() -> None:
    world = await build_world(logins=False)
    case_id = await make_case(world, person="jarfalla", municipality="0123")
    for history in (
        (S.offered, S.accepted, S.started, S.completed),
        (S.offered, S.accepted),
        (S.offered, S.declined),
    ):
        await make_offer(world, person="jarfalla", municipality="0123", history=history)
    await make_offer(
        world,
        person="jarfalla",
        municipality="0123",
        history=(S.offered,),
        category=SupportOffer.Category.mentor,
    )
    outreach = world.principal("sofia")
    offers = await services.build(outreach, "offers", Filters())
    row = _row(offers, category="housing")
    assert (row["offered"], row["accepted"], row["completed"]) == (3, 2, 1)
    assert row["acceptance"] == pytest.approx(2 / 3)
    assert row["completion"] == pytest.approx(1 / 2)

    for phase, housing, when in (
        ("before", "poor", date(2024, 1, 15)),
        ("after", "good", date(2024, 12, 15)),
    ):
        await CaseFollowUp(
            case=case_id, phase=phase, follow_up_on=when, housing=housing, notes="Fritext"
        ).save()
    outcomes = await services.build(outreach, "outcomes", Filters())
    before = _row(outcomes, area="housing", phase="before")
    after = _row(outcomes, area="housing", phase="after")
    assert (before["poor"], before["good"], after["good"]) == (1, 0, 1)
    assert _row(outcomes, area="safety", phase="before")["unknown"] == 1


async def _audit_exports(user_id: int) -> int:
    return await AuditEvent.count().where(
        (AuditEvent.actor_id == user_id) & (AuditEvent.action == "export:create")
    )


async def test_exports_match_screen_are_suppressed_and_audited(client: Any) -> None:
    world = await build_world()
    await _cases_world(world)
    await login(client, "sofia", world.secret["sofia"])
    before = await _audit_exports(world.user["sofia"])

    on_screen = (await client.get("/api/v1/reports/cases")).json()["table"]
    row = on_screen["rows"][0]
    assert (row["cases"], row["led"]) == (6, 4)  # outreach: exact on screen

    r = await client.get("/api/v1/reports/cases.xlsx")
    assert r.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    values = list(book["Nyckeltal"].iter_rows(values_only=True))
    assert values[0] == tuple(c["label"] for c in on_screen["columns"])
    assert values[1][:4] == ("Järfälla", 2024, 6, SUPPRESSED)  # exports: always suppressed
    assert values[1][4] == SUPPRESSED
    assert len(values) == 2  # the note is on its own sheet, not under the data
    assert any("<5" in str(c.value) for c in book["Noter"]["B"])

    r = await client.get("/api/v1/reports/cases.csv")
    assert r.status_code == 200
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[1][:4] == ["Järfälla", "2024", "6", SUPPRESSED]
    assert len(lines) == 2

    r = await client.get("/api/v1/reports/follow-ups.csv")
    assert r.status_code == 200
    assert await _audit_exports(world.user["sofia"]) == before + 3

    page = await client.get("/reports")
    assert page.status_code == 200
    assert "<caption>Avhopparärenden per kommun och år</caption>" in page.text
    assert 'src="/static/js/reports-charts.js"' in page.text
    assert "<script>" not in page.text
    assert "style=" not in page.text


async def test_follow_up_export_is_pseudonymous(client: Any) -> None:
    world = await build_world()
    case_id = await make_case(world, person="jarfalla", municipality="0123", reference="AH-X-1")
    await CaseFollowUp(
        case=case_id,
        phase="before",
        follow_up_on=date(2024, 2, 1),
        housing="poor",
        notes="Hemlig fritext",
    ).save()
    await login(client, "sofia", world.secret["sofia"])
    r = await client.get("/api/v1/reports/follow-ups.xlsx")
    assert r.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    rows = list(book["Uppföljningar"].iter_rows(values_only=True))
    assert rows[1][:4] == ("AH-X-1", "Järfälla", "Före", datetime(2024, 2, 1))
    text = repr(rows)
    assert "Hemlig fritext" not in text
    assert world.code["jarfalla"] not in text


async def test_analyst_sees_aggregates_only(client: Any) -> None:
    world = await build_world()
    await _cases_world(world)
    await make_user("anna", "analyst", municipality_codes=["0123"])
    await login(client, "anna", None)
    r = await client.get("/api/v1/reports/cases")
    assert r.status_code == 200
    body = r.text
    assert SUPPRESSED in body
    for code in world.code.values():
        assert code not in body
    assert "Fritext" not in body
    assert (await client.get("/api/v1/reports/incidents")).status_code == 404
    assert (await client.get("/api/v1/reports/follow-ups.csv")).status_code == 404
    page = await client.get("/reports")
    assert page.status_code == 200
    assert "visas som" in page.text  # the suppression note
    schema = (await client.get("/api/v1/schema/openapi.json")).json()
    assert "/api/v1/reports/cases.xlsx" in schema["paths"]
    for code in world.code.values():
        assert code not in page.text


def test_exports_neutralise_formulas() -> None:
    from gvi.core.exporting import EXCEL_SV, Column, Kind, to_csv, to_xlsx

    columns = [Column("Grupp"), Column("Antal", Kind.integer)]
    rows: list[list[Any]] = [["=HYPERLINK(1)", 3], ["-", 0]]
    text = to_csv(columns, rows, EXCEL_SV).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx("t", columns, rows)))
    cell = sheet.active["A2"]
    assert cell.value == "'=HYPERLINK(1)"
    assert cell.data_type == "s"


async def test_coordinator_dashboard_shows_operations(client: Any) -> None:
    world = await build_world()
    await _operations_world(world)
    _, secret = await make_user("kim", "coordinator", municipality_codes=["0123"])
    await login(client, "kim", secret)
    page = await client.get("/reports")
    assert page.status_code == 200
    for title in ("Call-ins per år", "Våldshändelser per grupp och år", "Löften som hållits"):
        assert title in page.text
    assert "Avhopparärenden per kommun och år" not in page.text  # not a coordinator section
    body = (await client.get("/api/v1/reports/incidents?year=2024")).json()
    assert body["figure"]["data"][0]["type"] == "bar"
    assert body["table"]["rows"][0]["total"] == 3
    assert (await client.get("/api/v1/reports/cases")).status_code == 404
    r = await client.get("/api/v1/reports/promises.csv?year=2024")
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="gvi-promises.csv"'
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[1][:3] == ["2024", SUPPRESSED, SUPPRESSED]  # 3 and 2: suppressed in exports


async def test_dashboard_filter_form_sends_its_empty_fields(client: Any) -> None:
    """The filter form submits every field, the empty ones as ``year=&date_from=``:
    empty means no filter (it was a 400 "Felaktiga uppgifter"); garbage is still refused."""
    world = await build_world()
    _, secret = await make_user("kim", "coordinator", municipality_codes=["0123"])
    await login(client, "kim", secret)
    jarfalla = world.municipality["0123"]
    blank = await client.get(f"/reports?municipality={jarfalla}&year=&date_from=&date_to=")
    assert blank.status_code == 200
    assert "Call-ins per år" in blank.text
    dated = await client.get("/reports?year=2024&date_from=2024-01-01&date_to=")
    assert dated.status_code == 200
    assert 'value="2024-01-01"' in dated.text
    assert (await client.get("/reports?year=tjugo")).status_code == 400
    assert (await client.get("/reports?date_from=2024-13-01")).status_code == 400
