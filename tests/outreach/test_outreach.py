"""The outreach log and the reach funnel (issue 22, part 4): activities with their
date, channel and people reached, never a person; the funnel reached → applied
(case opened) → led to an intervention per municipality, year and channel."""

from __future__ import annotations

import json
from datetime import date, timedelta

from litestar import Litestar

from gvi.access.principal import Principal
from gvi.accounts.tables import Role
from gvi.defectors.tables import DefectorCase
from gvi.outreach.tables import Channel, OutreachActivity
from gvi.reports import services as reports
from gvi.support.tables import OfferStatus
from tests.clients import NOT_FOUND, api_send, csrf_from, signed_in
from tests.defectors.audit import events_since, last_seq
from tests.defectors.factories import SOC_JARFALLA, SOC_SIGTUNA, World, build_world, make_case
from tests.defectors.factories import make_offer as offer_of

STARTED = (OfferStatus.offered, OfferStatus.accepted, OfferStatus.started)


async def make_activity(
    world: World,
    channel: Channel,
    reached: int,
    *,
    municipality: str = "0123",
    unit: str = SOC_JARFALLA,
    held_on: date = date(2024, 3, 1),
) -> int:
    activity = OutreachActivity(
        unit=world.unit[unit],
        municipality=world.municipality[municipality],
        held_on=held_on,
        channel=channel,
        people_reached=reached,
    )
    await activity.save()
    return activity.id


async def test_an_activity_is_logged_on_the_page_and_bad_input_is_kept(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "jonna") as c:
        empty = await c.get("/outreach")
        assert "Inga aktiviteter är loggade ännu." in empty.text
        form = await c.get("/outreach/new")
        token = csrf_from(form.text)
        typed = {
            "unit_id": str(world.unit[SOC_JARFALLA]),
            "municipality_id": str(world.municipality["0123"]),
            "channel": "economic_assistance",
            "held_on": (date.today() + timedelta(days=3)).isoformat(),
            "people_reached": "-4",
            "title": "Informationsmöte för handläggare",
            "csrf_token": token,
        }
        before = await last_seq()
        bad = await c.post("/outreach/new", data=typed)
        assert bad.status_code == 400
        assert "Datumet kan inte ligga i framtiden." in bad.text
        assert "Ange hur många som nåddes" in bad.text
        assert 'value="Informationsmöte för handläggare"' in bad.text
        words = await c.post("/outreach/new", data={**typed, "people_reached": "tolv"})
        assert words.status_code == 400
        assert 'value="tolv"' in words.text
        ok = await c.post(
            "/outreach/new",
            data={**typed, "held_on": "2024-03-05", "people_reached": "14"},
            follow_redirects=False,
        )
        assert ok.status_code == 303, ok.text
        listed = await c.get(ok.headers["location"])
        assert "Aktiviteten är sparad i loggen." in listed.text
        assert "2024-03-05" in listed.text
        assert "Ekonomiskt bistånd" in listed.text
        assert "Informationsmöte för handläggare" in listed.text
        assert "Ange året med fyra siffror" in (await c.get("/outreach?year=24")).text
        events = await events_since(before)
    assert [e["action"] for e in events] == ["outreach:write"]
    details = events[0]["details"]
    details = details if isinstance(details, dict) else json.loads(details)
    assert details == {"op": "create", "channel": "economic_assistance"}  # no title


async def test_activities_follow_the_municipality_and_are_archived_not_deleted(
    app: Litestar,
) -> None:
    world = await build_world()
    mine = await make_activity(world, Channel.school, 25)
    async with signed_in(app, world, "sigge") as c:
        assert (await c.get(f"/outreach/{mine}")).status_code == 404
        assert (await c.get(f"/api/v1/outreach/{mine}")).json() == NOT_FOUND
        assert (await c.get("/api/v1/outreach")).json()["items"] == []
        token = csrf_from((await c.get("/outreach/new")).text)
        elsewhere = await c.post(
            "/api/v1/outreach",
            json={
                "unit_id": world.unit[SOC_SIGTUNA],
                "municipality_id": world.municipality["0123"],
                "channel": "school",
                "people_reached": 3,
            },
            headers={"X-CSRF-Token": token},
        )
        assert elsewhere.status_code == 400
        assert "Välj en av de kommuner du arbetar för." in elsewhere.text
        assert (
            await api_send(c, "DELETE", f"/api/v1/outreach/{mine}", {"version": 1})
        ).status_code == 404
    async with signed_in(app, world, "jonna") as c:
        assert (await c.get("/api/v1/outreach?channel=bogus")).status_code == 400
        assert (await c.get("/api/v1/outreach?year=abc")).status_code == 400
        changed = await api_send(
            c, "PATCH", f"/api/v1/outreach/{mine}", {"version": 1, "people_reached": 30}
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["people_reached"] == 30
        stale = await api_send(
            c, "PATCH", f"/api/v1/outreach/{mine}", {"version": 1, "people_reached": 1}
        )
        assert stale.status_code == 412
        assert (
            await api_send(c, "DELETE", f"/api/v1/outreach/{mine}", {"version": 1})
        ).status_code == 412
        gone = await api_send(c, "DELETE", f"/api/v1/outreach/{mine}", {"version": 2})
        assert gone.status_code == 204
        assert (await c.get(f"/outreach/{mine}")).status_code == 404
        assert (await c.get("/api/v1/outreach")).json()["items"] == []
    row = (
        await OutreachActivity.select(OutreachActivity.people_reached, OutreachActivity.archived_at)
        .where(OutreachActivity.id == mine)
        .first()
    )
    assert row is not None
    assert row["people_reached"] == 30
    assert row["archived_at"] is not None


async def _case(world: World, ref: str, source: DefectorCase.ReferralSource, **where: str) -> int:
    case_id = await make_case(world, reference=ref, **where)
    await DefectorCase.update({DefectorCase.referral_source: source}).where(
        DefectorCase.id == case_id
    )
    return case_id


async def test_the_reach_funnel_counts_reached_applied_and_led(db: None) -> None:
    world = await build_world(logins=False)
    # Järfälla 2024: school 30 + 12, economic assistance 8; an archived one is not counted.
    await make_activity(world, Channel.school, 30)
    await make_activity(world, Channel.school, 12, held_on=date(2024, 9, 1))
    await make_activity(world, Channel.economic_assistance, 8)
    archived = await make_activity(world, Channel.school, 100)
    await OutreachActivity.update(
        {OutreachActivity.archived_at: OutreachActivity.created_at}
    ).where(OutreachActivity.id == archived)
    # Sollentuna 2024: an information meeting for 40; Järfälla 2025: school 5.
    await make_activity(world, Channel.information_meeting, 40, municipality="0163")
    await make_activity(world, Channel.school, 5, held_on=date(2025, 2, 1))
    # Sigtuna is outside the reader's municipalities.
    await make_activity(world, Channel.school, 70, municipality="0191", unit=SOC_SIGTUNA)
    school = DefectorCase.ReferralSource.school
    at_home = {"person": "jarfalla", "municipality": "0123", "unit": SOC_JARFALLA}
    led = await _case(world, "AH-T-1", school, **at_home)
    await offer_of(world, person="jarfalla", municipality="0123", case_id=led, history=STARTED)
    await _case(world, "AH-T-2", school, **at_home)
    await _case(world, "AH-T-3", DefectorCase.ReferralSource.self_referral, **at_home)
    helped = await _case(world, "AH-T-4", DefectorCase.ReferralSource.economic_assistance)
    await offer_of(world, case_id=helped, history=STARTED)
    reader = Principal(
        user_id=world.user["jonna"],
        username="jonna",
        role=Role.outreach,
        unit_id=world.unit[SOC_JARFALLA],
        municipality_ids=frozenset({world.municipality["0123"], world.municipality["0163"]}),
        unit_ids=frozenset({world.unit[SOC_JARFALLA]}),
    )
    report = await reports.build(reader, "reach", reports.Filters())
    keys = ("year", "municipality", "label", "reached", "applied", "led", "led_share")
    assert [tuple(r[k] for k in keys) for r in report.rows] == [
        (2024, "Järfälla", "Ekonomiskt bistånd", 8, 0, 0, None),
        (2024, "Järfälla", "Skolan", 42, 2, 1, 0.5),
        (2024, "Järfälla", "Egen kontakt", 0, 1, 0, 0.0),
        (2024, "Sollentuna", "Ekonomiskt bistånd", 0, 1, 1, 1.0),
        (2024, "Sollentuna", "Informationsmöte", 40, 0, 0, None),
        (2025, "Järfälla", "Skolan", 5, 0, 0, None),
    ]
    only_2025 = await reports.build(reader, "reach", reports.Filters(year=2025))
    assert [(r["label"], r["reached"]) for r in only_2025.rows] == [("Skolan", 5)]
    exported = await reports.build(reader, "reach", reports.Filters(), export=True)
    hidden = reports.SUPPRESSED  # counts under five, zero included, as in every figure
    assert [r["reached"] for r in exported.rows] == [8, 42, hidden, hidden, 40, 5]
    assert [r["led_share"] for r in exported.rows] == [None, hidden, hidden, hidden, None, None]
