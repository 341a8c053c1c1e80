"""Crossing partitions: police see a defector case only through a recorded
disclosure, and withdrawn consent ends consent-based sharing at once."""

from __future__ import annotations

from datetime import date

from litestar import Litestar
from litestar.testing import AsyncTestClient

from gvi.access.tables import Disclosure
from gvi.audit.services import who_accessed_person
from gvi.defectors.tables import CaseConsent, ConsentAgency, DefectorCase
from tests.access.test_matrix import _build_world
from tests.clients import BASE, csrf_from, login, signed_in


async def test_disclosure_opens_the_case_to_one_officer_and_consent_withdrawal_closes_it(
    app: Litestar,
) -> None:
    world = await _build_world()
    case_id = world.case["own"]
    await CaseConsent(case=case_id, agency=ConsentAgency.police, given_on=date(2024, 1, 12)).save()
    await DefectorCase.update({DefectorCase.police_track_active: True}).where(
        DefectorCase.id == case_id
    )
    async with (
        AsyncTestClient(app=app, base_url=BASE) as police,
        AsyncTestClient(app=app, base_url=BASE) as social,
    ):
        await login(police, "m-police", world.secrets["police"])
        await login(social, "m-outreach", world.secrets["outreach"])
        assert (await police.get(f"/api/v1/cases/{case_id}")).status_code == 404

        token = csrf_from((await social.get("/")).text)
        too_short = await social.post(
            f"/api/v1/cases/{case_id}/disclosures",
            json={"to_user_id": world.police_id, "legal_ground": "consent", "summary": "x"},
            headers={"X-CSRF-Token": token},
        )
        assert too_short.status_code == 400
        assert "minst 10 tecken" in too_short.json()["detail"]
        r = await social.post(
            f"/api/v1/cases/{case_id}/disclosures",
            json={
                "to_user_id": world.police_id,
                "legal_ground": "consent",
                "summary": "Hotbild och pågående insatser",
            },
            headers={"X-CSRF-Token": token},
        )
        assert r.status_code == 201, r.text
        row = await Disclosure.objects().where(Disclosure.id == r.json()["id"]).first()
        assert row is not None
        assert row.legal_ground == "consent"
        assert row.assessed_by is not None

        seen = await police.get(f"/api/v1/cases/{case_id}")
        assert seen.status_code == 200
        body = seen.json()
        assert body["reference"] == "AH-T-own"
        # Police get facts, not social services' free text or assessments.
        assert body["notes"] is None
        assert body["referral_source"] is None
        person_id = world.person["own"]
        assert any(e.action == "disclosure:read" for e in await who_accessed_person(person_id))

        # Consent withdrawn: the police track ends and so does consent-based sharing.
        await CaseConsent.update({CaseConsent.withdrawn_on: date(2024, 3, 1)}).where(
            CaseConsent.case == case_id
        )
        await DefectorCase.update({DefectorCase.police_track_active: False}).where(
            DefectorCase.id == case_id
        )
        assert (await police.get(f"/api/v1/cases/{case_id}")).status_code == 404
        refused = await social.post(
            f"/api/v1/cases/{case_id}/disclosures",
            json={
                "to_user_id": world.police_id,
                "legal_ground": "consent",
                "summary": "Hotbild och pågående insatser",
            },
            headers={"X-CSRF-Token": token},
        )
        assert refused.status_code == 400
        assert "Samtycke" in refused.json()["detail"]
        # A named OSL ground does not depend on consent, and is recorded as such.
        osl = await social.post(
            f"/api/v1/cases/{case_id}/disclosures",
            json={
                "to_user_id": world.police_id,
                "legal_ground": "osl_10_18a",
                "summary": "Uppgift för att förhindra brott",
            },
            headers={"X-CSRF-Token": token},
        )
        assert osl.status_code == 201
        assert (await police.get(f"/api/v1/cases/{case_id}")).status_code == 200


async def test_disclosure_validity_is_one_to_365_days(app: Litestar) -> None:
    """Issue 16, rule 8: valid_days 0 was stored as no expiry; negatives and 100,000 were
    accepted. Now 1–365 days, a Swedish refusal otherwise (400)."""
    world = await _build_world()
    case_id = world.case["own"]
    async with signed_in(app, "m-outreach", world.secrets["outreach"]) as social:
        token = csrf_from((await social.get("/")).text)

        async def disclose(days: object) -> tuple[int, str]:
            r = await social.post(
                f"/api/v1/cases/{case_id}/disclosures",
                json={
                    "to_user_id": world.police_id,
                    "legal_ground": "osl_10_18a",
                    "summary": "Hotbild och pågående insatser",
                    "valid_days": days,
                },
                headers={"X-CSRF-Token": token},
            )
            return r.status_code, r.text

        before = await Disclosure.count()
        for bad in (0, -1, 366, 100_000, None):
            status, text = await disclose(bad)
            assert status == 400, (bad, text)
            assert "1–365 dagar" in text, bad
        assert await Disclosure.count() == before
        for good in (1, 365):
            status, text = await disclose(good)
            assert status == 201, (good, text)
    rows = await Disclosure.select(Disclosure.disclosed_at, Disclosure.expires_at).where(
        Disclosure.defector_case == case_id
    )
    assert sorted((r["expires_at"] - r["disclosed_at"]).days for r in rows) == [1, 365]
