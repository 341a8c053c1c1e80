"""The case pages: moving along the statuses, closing with a confirmation,
assessments with optimistic locking, needs, follow-ups, the timeline, the
audit rows, and who gets 404."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from litestar import Litestar

from gvi.access.tables import Disclosure, LegalGround
from gvi.defectors.tables import CaseFollowUp, CaseNeed, CaseStatus, DefectorCase
from gvi.support.tables import OfferStatus
from tests.clients import csrf_from, signed_in
from tests.defectors.audit import events_since, last_seq
from tests.defectors.factories import JOINT, build_world, make_case, make_offer
from tests.factories import make_user


async def test_moving_along_and_closing_with_confirmation(app: Litestar) -> None:
    world = await build_world()
    case_id = await make_case(world, unit=JOINT, status=CaseStatus.consent, police_ready=True)
    async with signed_in(app, world, "sofia") as c:
        page = await c.get(f"/cases/{case_id}")
        token = csrf_from(page.text)
        assert 'value="risk_assessment"' in page.text
        assert "Tillbaka till Motivationsbedömning" in page.text
        assert 'name="to_status" value="investigation"' not in page.text
        # A tampered form that skips a step is refused with the reason.
        r = await c.post(
            f"/cases/{case_id}/status",
            data={"from_status": "consent", "to_status": "agreement", "csrf_token": token},
        )
        assert r.status_code == 400
        assert "Ett ärende kan inte hoppa över steg: efter Samtycke kommer Riskbedömning." in r.text
        r = await c.post(
            f"/cases/{case_id}/status",
            data={
                "from_status": "consent",
                "to_status": "risk_assessment",
                "reason": "Samtycke klart",
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert "Ärendet har nu status Riskbedömning." in (await c.get(f"/cases/{case_id}")).text

        # Closing needs the box ticked and an outcome; what was chosen stays.
        r = await c.post(
            f"/cases/{case_id}/status",
            data={
                "from_status": "risk_assessment",
                "to_status": "closed",
                "outcome": "moved",
                "csrf_token": token,
            },
        )
        assert r.status_code == 400
        assert "Kryssa i rutan för att bekräfta att ärendet ska avslutas." in r.text
        assert '<option value="moved" selected>' in r.text
        r = await c.post(
            f"/cases/{case_id}/status",
            data={
                "from_status": "risk_assessment",
                "to_status": "closed",
                "outcome": "",
                "confirm": "yes",
                "csrf_token": token,
            },
        )
        assert r.status_code == 400
        assert "Ange utfall" in r.text
        r = await c.post(
            f"/cases/{case_id}/status",
            data={
                "from_status": "risk_assessment",
                "to_status": "closed",
                "outcome": "moved",
                "confirm": "yes",
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert r.status_code == 303
        closed = await c.get(f"/cases/{case_id}")
        assert "Ärendet har nu status Avslutat." in closed.text
        assert "Polisspåret är avslutat" in closed.text
        assert f'action="/cases/{case_id}/status"' not in closed.text
    row = await DefectorCase.select(
        DefectorCase.status, DefectorCase.closure_outcome, DefectorCase.police_track_active
    ).where(DefectorCase.id == case_id)
    assert row[0] == {"status": "closed", "closure_outcome": "moved", "police_track_active": False}


async def test_assessments_are_locked_and_change_the_police_definition(app: Litestar) -> None:
    world = await build_world()
    case_id = await make_case(world, unit=JOINT)
    async with signed_in(app, world, "sofia") as c:
        page = await c.get(f"/cases/{case_id}")
        token = csrf_from(page.text)
        assert "Motivationen är inte bedömd." in page.text
        form = {
            "version": "1",
            "motivated": "true",
            "social_services_eligible": "true",
            "threat_level": "medium",
            "threat_assessed_on": "2024-02-02",
            "is_witness": "false",
            "psychiatric_collaboration": "true",
            "csrf_token": token,
        }
        r = await c.post(f"/cases/{case_id}/edit", data=form, follow_redirects=False)
        assert r.status_code == 303
        stale = await c.post(f"/cases/{case_id}/edit", data=form)
        assert stale.status_code == 409
        assert "Någon annan har ändrat ärendet" in stale.text
        bad = await c.post(
            f"/cases/{case_id}/edit",
            data={**form, "version": "2", "threat_assessed_on": "2024-13-40"},
        )
        assert bad.status_code == 400
        assert "Ange ett datum som ÅÅÅÅ-MM-DD." in bad.text
        assert 'value="2024-13-40"' in bad.text
        shown = await c.get(f"/cases/{case_id}")
        # Only the police consent is missing now.
        assert "Samtycke till informationsutbyte med polisen saknas" in shown.text
        assert "Motivationen är inte bedömd." not in shown.text
        r = await c.post(
            f"/cases/{case_id}/consents",
            data={"agency": "police", "given_on": "2024-02-03", "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
        shown = await c.get(f"/cases/{case_id}")
        assert "Polisspåret: <strong>aktivt</strong>" in shown.text
        again = await c.post(
            f"/cases/{case_id}/consents",
            data={"agency": "police", "given_on": "2024-02-03", "csrf_token": token},
        )
        assert again.status_code == 400
        assert "Samtycket till polisen gäller redan." in again.text


async def test_needs_follow_ups_and_the_timeline(app: Litestar) -> None:
    world = await build_world()
    case_id = await make_case(world, unit=JOINT, status=CaseStatus.interventions, police_ready=True)
    offer_id = await make_offer(
        world, case_id=case_id, history=(OfferStatus.offered, OfferStatus.accepted)
    )
    await Disclosure(
        from_agency="social_services",
        to_agency="police",
        person=world.person["sollentuna"],
        defector_case=case_id,
        legal_ground=LegalGround.osl_10_18a,
        assessed_by=world.user["sofia"],
        disclosed_to=world.user["polis"],
        summary="Uppgift om hot lämnad",
        disclosed_at=datetime(2024, 2, 20, 10, tzinfo=UTC),
    ).save()
    async with signed_in(app, world, "sofia") as c:
        token = csrf_from((await c.get(f"/cases/{case_id}")).text)
        r = await c.post(
            f"/cases/{case_id}/needs",
            data={"need": "housing", "assessed_on": "2024-01-20", "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
        need = await CaseNeed.objects().first()
        assert need is not None
        r = await c.post(
            f"/cases/{case_id}/needs/{need.id}/met",
            data={"csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
        r = await c.post(
            f"/cases/{case_id}/follow-ups",
            data={
                "phase": "during",
                "follow_up_on": "2024-07-15",
                "housing": "good",
                "occupation": "partly",
                "criminality": "good",
                "substance_use": "unknown",
                "safety": "poor",
                "notes": "Bor tryggt",
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        follow_up = await CaseFollowUp.objects().first()
        assert follow_up is not None
        assert follow_up.months_since_start == 6  # 2024-01-10 → 2024-07-15
        api = await c.post(
            f"/api/v1/offers/{offer_id}/status",
            json={"to_status": "started", "changed_on": "2024-03-10"},
            headers={"X-CSRF-Token": token},
        )
        assert api.status_code == 200
        timeline = (await c.get(f"/api/v1/cases/{case_id}/timeline")).json()
        page = await c.get(f"/cases/{case_id}")
    kinds = [e["kind"] for e in timeline]
    assert {"consent", "need", "offer", "offer_status", "follow_up", "disclosure"} <= set(kinds)
    days = [e["on"] for e in timeline]
    assert days == sorted(days)
    titles = [e["title"] for e in timeline]
    assert "Samtycke: Polisen" in titles
    assert "Behov: Boende" in titles
    assert "Erbjudande: Boende" in titles
    assert "Boende: påbörjad" in titles
    assert "Uppföljning (under), 6 mån" in titles
    assert any(t.startswith("Utlämnande till polisen (OSL 10 kap. 18 a §") for t in titles)
    assert "Bor tryggt" in page.text
    assert f'href="/offers/{offer_id}">Boende: påbörjad</a>' in page.text
    assert "Ja – minst en insats har påbörjats" in page.text


async def test_case_reads_and_writes_are_audited(app: Litestar) -> None:
    world = await build_world()
    case_id = await make_case(world, unit=JOINT)
    async with signed_in(app, world, "sofia") as c:
        token = csrf_from((await c.get("/")).text)
        before = await last_seq()
        await c.get("/cases")
        await c.get(f"/cases/{case_id}")
        await c.post(
            f"/api/v1/cases/{case_id}/status",
            json={"to_status": "motivation_assessment"},
            headers={"X-CSRF-Token": token},
        )
        events = await events_since(before)
    assert [e["action"] for e in events] == ["case:list", "case:read", "case:write", "case:read"]
    read = events[1]
    assert read["person_id"] == world.person["sollentuna"]
    assert read["target_id"] == str(case_id)
    write = events[2]
    details = (
        write["details"] if isinstance(write["details"], dict) else json.loads(write["details"])
    )
    assert details["op"] == "status"
    assert details["from"] == "contact"
    assert details["to"] == "motivation_assessment"
    assert write["actor_id"] == world.user["sofia"]


async def test_police_coordinators_and_analysts_get_404_on_case_pages(app: Litestar) -> None:
    world = await build_world()
    case_id = await make_case(world, unit=JOINT, police_ready=True)
    # Even with a disclosure, police see the case only through the API route.
    await Disclosure(
        from_agency="social_services",
        to_agency="police",
        person=world.person["sollentuna"],
        defector_case=case_id,
        legal_ground=LegalGround.osl_10_18a,
        assessed_by=world.user["sofia"],
        disclosed_to=world.user["polis"],
        summary="Uppgift om hot lämnad",
        disclosed_at=datetime.now(tz=UTC),
    ).save()
    async with signed_in(app, world, "polis") as police:
        assert (await police.get(f"/api/v1/cases/{case_id}")).status_code == 200
        for url in (
            "/cases",
            f"/cases/{case_id}",
            "/cases/new",
            "/api/v1/cases",
            f"/api/v1/cases/{case_id}/timeline",
        ):
            assert (await police.get(url)).status_code == 404, url
    for username, role in (("samordnare", "coordinator"), ("analytiker", "analyst")):
        _id, secret = await make_user(username, role, municipality_codes=["0163"])
        async with signed_in(app, username, secret) as other:
            for url in ("/cases", f"/cases/{case_id}", f"/api/v1/cases/{case_id}", "/offers"):
                r = await other.get(url)
                assert r.status_code == 404, (username, url)
                assert "Fritext" not in r.text


async def test_empty_list_says_what_to_do(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "sigge") as c:
        page = await c.get("/cases")
        assert "Dina enheter har inga avhopparärenden ännu." in page.text
        assert 'href="/cases/new"' in page.text
