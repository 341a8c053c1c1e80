"""The police track: withdrawn consent (or an excluded agency) ends police-track
sharing at once, through the page and through the API; a failing police
definition keeps the case with social services; grants need the definition."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from litestar import Litestar
from litestar.testing import AsyncTestClient

from gvi.access.tables import Disclosure
from gvi.core import clock
from gvi.defectors.tables import CaseConsent, ConsentAgency, DefectorCase, GrantApplication
from tests.clients import BASE, api_send, csrf_from, signed_in
from tests.defectors.audit import events_since, last_seq
from tests.defectors.factories import build_world, make_case, sign_in


async def _disclose(social: AsyncTestClient, case_id: int, officer: int, ground: str) -> int:  # type: ignore[type-arg]
    token = csrf_from((await social.get("/")).text)
    r = await social.post(
        f"/api/v1/cases/{case_id}/disclosures",
        json={
            "to_user_id": officer,
            "legal_ground": ground,
            "summary": "Hotbild och pågående insatser",
        },
        headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def _consent_id(case_id: int, agency: ConsentAgency) -> int:
    row = (
        await CaseConsent.select(CaseConsent.id)
        .where((CaseConsent.case == case_id) & (CaseConsent.agency == agency))
        .first()
    )
    assert row is not None
    return int(row["id"])


async def test_withdrawing_police_consent_on_the_page_ends_sharing_at_once(app: Litestar) -> None:
    world = await build_world()
    case_id = await make_case(world, police_ready=True)
    async with (
        AsyncTestClient(app=app, base_url=BASE) as police,
        AsyncTestClient(app=app, base_url=BASE) as social,
    ):
        await sign_in(police, world, "polis")
        await sign_in(social, world, "sofia")
        assert (await police.get(f"/api/v1/cases/{case_id}")).status_code == 404
        await _disclose(social, case_id, world.user["polis"], "consent")
        seen = await police.get(f"/api/v1/cases/{case_id}")
        assert seen.status_code == 200
        assert seen.json()["notes"] is None

        consent_id = await _consent_id(case_id, ConsentAgency.police)
        page = await social.get(f"/cases/{case_id}")
        action = f"/cases/{case_id}/consents/{consent_id}/withdraw"
        assert action in page.text
        before = await last_seq()
        r = await social.post(
            action,
            data={"withdrawn_on": clock.today().isoformat(), "csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        # The very next police request is refused.
        assert (await police.get(f"/api/v1/cases/{case_id}")).status_code == 404
        follow = await social.get(f"/cases/{case_id}")
        assert "Polisspåret är avslutat" in follow.text
        assert "Samtycke återkallat: Polisen" in follow.text

    row = await DefectorCase.select(DefectorCase.police_track_active).where(
        DefectorCase.id == case_id
    )
    assert row[0]["police_track_active"] is False
    writes = [e for e in await events_since(before) if e["action"] == "case:write"]
    assert len(writes) == 1
    details = writes[0]["details"]
    details = details if isinstance(details, dict) else json.loads(details)
    assert details["op"] == "consent_withdraw"
    assert details["police_track_ended"] is True
    assert writes[0]["person_id"] == world.person["sollentuna"]


async def test_withdrawing_through_the_api_and_consent_given_again_needs_a_new_disclosure(
    app: Litestar,
) -> None:
    world = await build_world()
    case_id = await make_case(world, police_ready=True)
    async with (
        AsyncTestClient(app=app, base_url=BASE) as police,
        AsyncTestClient(app=app, base_url=BASE) as social,
    ):
        await sign_in(police, world, "polis")
        await sign_in(social, world, "sofia")
        await _disclose(social, case_id, world.user["polis"], "consent")
        assert (await police.get(f"/api/v1/cases/{case_id}")).status_code == 200
        token = csrf_from((await social.get("/")).text)
        consent_id = await _consent_id(case_id, ConsentAgency.police)
        r = await social.post(
            f"/api/v1/cases/{case_id}/consents/{consent_id}/withdraw",
            json={},
            headers={"X-CSRF-Token": token},
        )
        assert r.status_code == 200, r.text
        assert r.json() == {"police_track_active": False, "police_track_ended": True}
        assert (await police.get(f"/api/v1/cases/{case_id}")).status_code == 404

        # Consent given again restores the track, not the old disclosure.
        r = await social.post(
            f"/api/v1/cases/{case_id}/consents",
            json={"agency": "police"},
            headers={"X-CSRF-Token": token},
        )
        assert r.status_code == 201, r.text
        assert r.json()["police_track_active"] is True
        assert (await police.get(f"/api/v1/cases/{case_id}")).status_code == 404
        await _disclose(social, case_id, world.user["polis"], "consent")
        assert (await police.get(f"/api/v1/cases/{case_id}")).status_code == 200
    ended = await Disclosure.select(Disclosure.expires_at).where(
        Disclosure.defector_case == case_id
    )
    assert len(ended) == 2


async def test_excluding_another_agency_ends_the_police_track(app: Litestar) -> None:
    world = await build_world()
    case_id = await make_case(world, police_ready=True)
    async with (
        AsyncTestClient(app=app, base_url=BASE) as police,
        AsyncTestClient(app=app, base_url=BASE) as social,
    ):
        await sign_in(police, world, "polis")
        await sign_in(social, world, "sofia")
        await _disclose(social, case_id, world.user["polis"], "consent")
        osl = await _disclose(social, case_id, world.user["polis"], "osl_10_18a")
        token = csrf_from((await social.get("/")).text)
        other = await _consent_id(case_id, ConsentAgency.social_services)
        r = await social.post(
            f"/api/v1/cases/{case_id}/consents/{other}/withdraw",
            json={},
            headers={"X-CSRF-Token": token},
        )
        assert r.json()["police_track_ended"] is True
        # The police consent is still there, but the consent-based sharing ended; a
        # disclosure on a named OSL ground does not rest on consent and stays.
        rows = await Disclosure.select(Disclosure.id, Disclosure.expires_at).where(
            Disclosure.defector_case == case_id
        )
        now = datetime.now(tz=UTC)
        live = [r["id"] for r in rows if r["expires_at"] is None or r["expires_at"] > now]
        assert live == [osl]
        assert (await police.get(f"/api/v1/cases/{case_id}")).status_code == 200


async def test_failing_the_police_definition_keeps_the_social_services_case(
    app: Litestar,
) -> None:
    world = await build_world()
    case_id = await make_case(world, police_ready=True)
    async with signed_in(app, world, "sofia") as social:
        r = await api_send(
            social,
            "PATCH",
            f"/api/v1/cases/{case_id}",
            {"version": 1, "is_witness": True, "threat_level": "low"},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["police_track_active"] is False
        assert body["police_definition_met"] is False
        assert "Personen är vittne." in body["police_definition_failing"]
        assert any("Hotbilden" in f for f in body["police_definition_failing"])
        # Still the unit's case, on the list and on its page.
        listed = await social.get("/api/v1/cases")
        assert [c["id"] for c in listed.json()["items"]] == [case_id]
        page = await social.get(f"/cases/{case_id}")
        assert page.status_code == 200
        assert "Inte uppfylld" in page.text
        assert "Personen är vittne." in page.text


async def test_grant_application_needs_the_police_definition(app: Litestar) -> None:
    world = await build_world()
    ready = await make_case(world, police_ready=True, reference="AH-T-0001")
    not_ready = await make_case(world, reference="AH-T-0002")
    async with signed_in(app, world, "sofia") as social:
        token = csrf_from((await social.get("/")).text)
        refused = await social.post(
            f"/api/v1/cases/{not_ready}/grants",
            json={"applied_on": "2024-03-01", "amount_applied": "200000"},
            headers={"X-CSRF-Token": token},
        )
        assert refused.status_code == 400
        detail = refused.json()["detail"]
        assert "polisens definition" in detail
        assert "Motivationen är inte bedömd." in detail
        assert "Samtycke till informationsutbyte med polisen saknas" in detail
        assert "Socialtjänsten har inte beslutat om stöd." in detail
        assert await GrantApplication.count() == 0

        page = await social.get(f"/cases/{not_ready}")
        r = await social.post(
            f"/cases/{not_ready}/grants",
            data={
                "applied_on": "2024-03-01",
                "amount_applied": "200 000",
                "csrf_token": csrf_from(page.text),
            },
        )
        assert r.status_code == 400
        assert "Statsbidrag kan bara sökas" in r.text
        # What was typed is kept.
        assert re.search(r'name="amount_applied" value="200 000"', r.text)

        ok = await social.post(
            f"/api/v1/cases/{ready}/grants",
            json={"applied_on": "2024-03-01", "amount_applied": "200000"},
            headers={"X-CSRF-Token": token},
        )
        assert ok.status_code == 201, ok.text
        grant_id = ok.json()["id"]
        decided = await social.post(
            f"/api/v1/cases/{ready}/grants/{grant_id}/decision",
            json={"decision": "granted", "decided_on": "2024-04-05", "amount_granted": "180000"},
            headers={"X-CSRF-Token": token},
        )
        assert decided.status_code == 200, decided.text
        assert decided.json()["grants"][0]["decision"] == "granted"
        timeline = (await social.get(f"/api/v1/cases/{ready}/timeline")).json()
        assert [e["title"] for e in timeline if e["kind"] == "grant"] == [
            "Ansökan om statsbidrag: 200\u00a0000\u00a0kr",
            "Beslut om statsbidrag: Beviljad",
        ]
