"""The pages end to end: forms keep what was typed and tie errors to fields, each
action flashes, destructive ones need a confirmation, CSRF is required, and no
page carries inline script or style."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from litestar import Litestar

from gvi.callins.tables import CallIn, CallInSpeaker, Invitation
from gvi.enforcement.tables import EnforcementAction
from gvi.incidents.forms import local_moment, today
from gvi.incidents.tables import Incident, IncidentPerson
from tests.clients import signed_in, token
from tests.conftest import MovableClock
from tests.factories import build_world, group, members, person, relation

INLINE = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", re.IGNORECASE)


async def test_incident_pages_round_trip(app: Litestar) -> None:
    world = await build_world()
    victim = await group("Offergänget", world.own)
    suspect = await group("Skyttegänget", world.own)
    await relation(victim, suspect, "rivalry", intensity=3)
    _, code = await person(world)
    async with signed_in(app, world, "police") as client:
        form = await client.get("/incidents/new")
        assert form.status_code == 200
        assert not INLINE.search(form.text)
        csrf = await token(client, "/incidents/new")
        typed = {
            "csrf_token": csrf,
            "occurred_on": "2024-13-40",
            "occurred_time": "21:15",
            "municipality": str(world.own),
            "kind": "shooting",
            "harm": "injured",
            "area": "Centrum",
            "place": "Vid torget",
            "motive": "Okänt",
            "suspected_groups": [str(suspect)],
            "victim_groups": [str(victim)],
        }
        bad = await client.post("/incidents/new", data=typed, follow_redirects=False)
        assert bad.status_code == 400
        assert 'id="occurred_on-error"' in bad.text
        assert 'aria-invalid="true" aria-describedby="occurred_on-error' in bad.text
        assert 'value="Vid torget"' not in bad.text  # a textarea keeps it as text
        assert ">Vid torget</textarea>" in bad.text
        assert f'value="{suspect}" checked' in bad.text
        assert await Incident.count() == 0
        day = (today() - timedelta(days=1)).isoformat()
        ok = await client.post(
            "/incidents/new", data={**typed, "occurred_on": day}, follow_redirects=False
        )
        assert ok.status_code == 303
        page = await client.get(ok.headers["location"])
        assert "Händelsen är registrerad" in page.text
        assert "Risk för repressalier" in page.text
        assert "Skyttegänget" in page.text
        assert not INLINE.search(page.text)
        incident_id = int(ok.headers["location"].rsplit("/", 1)[1])
        # Link a person, then remove the link: the removal needs a confirmation.
        r = await client.post(
            f"/incidents/{incident_id}/people",
            data={"csrf_token": csrf, "code": code, "role": "victim"},
            follow_redirects=False,
        )
        assert r.status_code == 303
        (link,) = await IncidentPerson.select(IncidentPerson.id)
        r = await client.post(
            f"/incidents/{incident_id}/people/{link['id']}/remove",
            data={"csrf_token": csrf},
            follow_redirects=False,
        )
        assert r.status_code == 400
        assert "Kryssa i rutan" in r.text
        assert await IncidentPerson.count() == 1
        r = await client.post(
            f"/incidents/{incident_id}/people/{link['id']}/remove",
            data={"csrf_token": csrf, "confirm": "yes"},
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert await IncidentPerson.count() == 0
        # Without the CSRF token nothing happens.
        r = await client.post(
            f"/incidents/{incident_id}/review",
            data={"version": "1", "review_status": "reviewed"},
            follow_redirects=False,
        )
        assert r.status_code == 403
        # The review keeps a stale edit out.
        r = await client.post(
            f"/incidents/{incident_id}/review",
            data={"csrf_token": csrf, "version": "7", "review_status": "reviewed"},
            follow_redirects=False,
        )
        assert r.status_code == 409
        listing = await client.get("/incidents?q=Centrum")
        assert f"/incidents/{incident_id}" in listing.text
        risks = await client.get("/incidents/risks")
        assert f"/incidents/{incident_id}#risk" in risks.text


async def test_call_in_pages_round_trip(app: Litestar, move_clock: MovableClock) -> None:
    world = await build_world()
    a = await group("Alfagänget", world.own)
    people = await members(world, a, 3)
    day = (today() + timedelta(days=20)).isoformat()
    async with signed_in(app, world, "coordinator") as client:
        csrf = await token(client, "/callins/new")
        bad = await client.post(
            "/callins/new",
            data={"csrf_token": csrf, "title": "Vårens möte", "day": day, "start": "18:00",
                  "end": "17:00", "venue": "Folkets hus", "municipality": str(world.own),
                  "capacity": "20", "promises": "Ett\nTvå"},
            follow_redirects=False,
        )  # fmt: skip
        assert bad.status_code == 400
        assert 'id="end-error"' in bad.text
        assert 'value="Vårens möte"' in bad.text
        ok = await client.post(
            "/callins/new",
            data={"csrf_token": csrf, "title": "Vårens möte", "day": day, "start": "17:00",
                  "end": "19:00", "venue": "Folkets hus", "municipality": str(world.own),
                  "capacity": "20", "promises": "Ett löfte\n\nTvå löften"},
            follow_redirects=False,
        )  # fmt: skip
        assert ok.status_code == 303
        call_in = int(ok.headers["location"].rsplit("/", 1)[1])
        page = await client.get(ok.headers["location"])
        assert "Mötet är inplanerat" in page.text
        assert "<li>Ett löfte</li>" in page.text
        assert "<li>Två löften</li>" in page.text
        assert not INLINE.search(page.text)
        r = await client.post(
            f"/callins/{call_in}/speakers",
            data={"csrf_token": csrf, "role": "prosecutor", "name": "Åklagare Exempel"},
            follow_redirects=False,
        )
        assert r.status_code == 303
        r = await client.post(
            f"/callins/{call_in}/invite",
            data={"csrf_token": csrf, "group": str(a), "person": [f"{a}:{p}" for p, _ in people]},
            follow_redirects=False,
        )
        assert r.status_code == 303
        sheet = await client.get(f"/callins/{call_in}/attendance")
        assert sheet.status_code == 200
        assert not INLINE.search(sheet.text)
        assert sheet.text.count('name="status" value="attended"') == 3
        (first,) = await Invitation.select(Invitation.id).limit(1)
        # Twenty days early: no attendance yet, and the refusal says why (in Swedish).
        early = await client.post(
            f"/callins/{call_in}/invitations/{first['id']}/status",
            data={"csrf_token": csrf, "status": "attended"},
            follow_redirects=False,
        )
        assert early.status_code == 400
        assert "Mötet har inte börjat än" in early.text
        held = await client.post(
            f"/callins/{call_in}/status",
            data={"csrf_token": csrf, "version": "1", "status": "held"},
            follow_redirects=False,
        )
        assert held.status_code == 400
        assert "Mötet har inte börjat än" in held.text
        move_clock.set(local_moment(date.fromisoformat(day), time(17, 5)))
        r = await client.post(
            f"/callins/{call_in}/invitations/{first['id']}/status",
            data={"csrf_token": csrf, "status": "attended"},
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert r.headers["location"].endswith(f"#inv-{first['id']}")
        # Cancelling needs the box ticked.
        r = await client.post(
            f"/callins/{call_in}/status",
            data={"csrf_token": csrf, "version": "1", "status": "cancelled"},
            follow_redirects=False,
        )
        assert r.status_code == 400
        assert (await CallIn.select(CallIn.status).first())["status"] == "planned"  # type: ignore[index]
        (speaker,) = await CallInSpeaker.select(CallInSpeaker.id)
        r = await client.post(
            f"/callins/{call_in}/speakers/{speaker['id']}/remove",
            data={"csrf_token": csrf, "confirm": "yes"},
            follow_redirects=False,
        )
        assert r.status_code == 303
        edit = await client.get(f"/callins/{call_in}/edit")
        assert "Ett löfte\nTvå löften</textarea>" in edit.text
        listing = await client.get("/callins?q=Folkets")
        assert f"/callins/{call_in}" in listing.text


async def test_enforcement_pages_round_trip(app: Litestar) -> None:
    world = await build_world()
    a = await group("Alfagänget", world.own)
    async with signed_in(app, world, "police") as client:
        csrf = await token(client, "/enforcement/new")
        form = await client.get("/enforcement/new")
        assert not INLINE.search(form.text)
        bad = await client.post(
            "/enforcement/new",
            data={"csrf_token": csrf, "group": str(a), "municipality": str(world.own),
                  "kind": "", "action_date": "2024-02-05", "agency": "police",
                  "status": "done", "notes": "Anteckning som ska finnas kvar"},
            follow_redirects=False,
        )  # fmt: skip
        assert bad.status_code == 400
        assert 'id="kind-error"' in bad.text
        assert "Anteckning som ska finnas kvar</textarea>" in bad.text
        ok = await client.post(
            "/enforcement/new",
            data={"csrf_token": csrf, "group": str(a), "municipality": str(world.own),
                  "kind": "seizure", "action_date": "2024-02-05", "agency": "customs",
                  "status": "done", "notes": ""},
            follow_redirects=False,
        )  # fmt: skip
        assert ok.status_code == 303
        page = await client.get(ok.headers["location"])
        assert "Åtgärden är registrerad" in page.text
        assert "Tullverket" in page.text
    assert await EnforcementAction.count() == 1


async def test_empty_states_say_what_to_do_next(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "coordinator") as client:
        assert "Planera det första mötet" in (await client.get("/callins")).text
        assert "Registrera den första" in (await client.get("/notifications")).text
        assert "Uppgifter skapas när" in (await client.get("/tasks")).text
        nav = (await client.get("/")).text
        assert 'href="/callins"' in nav
        assert 'href="/incidents"' not in nav  # no incidents:read
        assert 'href="/enforcement"' not in nav
    async with signed_in(app, world, "police") as client:
        assert "Registrera den första händelsen" in (await client.get("/incidents")).text
        assert "Registrera en åtgärd" in (await client.get("/enforcement")).text
        nav = (await client.get("/")).text
        assert 'href="/incidents"' in nav
        assert 'href="/enforcement"' in nav


async def test_json_api_speaks_structs(app: Litestar) -> None:
    world = await build_world()
    a = await group("Alfagänget", world.own)
    b = await group("Betagänget", world.own)
    await relation(a, b, "rivalry", intensity=2)
    ((pa, _),) = await members(world, a, 1)
    ((pb, _),) = await members(world, b, 1)
    async with signed_in(app, world, "coordinator") as client:
        csrf = await token(client)
        headers = {"X-CSRF-Token": csrf}
        r = await client.post(
            "/api/v1/callins",
            json={"title": "API-mötet", "starts_at": "2031-06-01T17:00:00",
                  "ends_at": "2031-06-01T19:00:00", "venue": "Stadshuset",
                  "municipality_id": world.own, "promises": ["Ett"]},
            headers=headers,
        )  # fmt: skip
        assert r.status_code == 201, r.text
        call_in = r.json()["id"]
        shown = (await client.get(f"/api/v1/callins/{call_in}")).json()
        # A time without an offset is Swedish local time (CEST in June).
        assert shown["starts_at"].startswith("2031-06-01T15:00:00")
        picks = [{"person_id": pa, "group_id": a}, {"person_id": pb, "group_id": b}]
        r = await client.post(
            f"/api/v1/callins/{call_in}/invitations", json={"picks": picks}, headers=headers
        )
        assert r.status_code == 409
        assert "rival_invitees" in r.json()["detail"]
        r = await client.post(
            f"/api/v1/callins/{call_in}/invitations",
            json={"picks": picks, "override_reason": "Medvetet val efter samråd med polisen."},
            headers=headers,
        )
        assert r.status_code == 201
        assert r.json()["overridden"] is True
        plan = (await client.get(f"/api/v1/callins/{call_in}/plan?group={a}")).json()
        assert {x["group_id"] for x in plan["reach"]} == {a, b}
        r = await client.post(
            "/api/v1/notifications",
            json={"person_code": "19900101-1234", "delivered_on": "2024-01-01",
                  "delivered_by": "Polis", "outcome": "delivered"},
            headers=headers,
        )  # fmt: skip
        assert r.status_code == 400
        assert "19900101" not in r.text
        tasks = (await client.get("/api/v1/tasks?view=pool")).json()
        assert tasks["total"] == 0
