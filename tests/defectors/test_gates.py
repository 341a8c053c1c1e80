"""Issue 16, rule 4: a case leaves Samtycke only with a consent in force, Riskbedömning
only with a threat assessment, Utredning only with the social services' decision; the
refusal says what is missing; a recorded override with a reason exists (audited, on the
timeline). New follow-ups start at "okänt" in every area."""

from __future__ import annotations

import json
from datetime import date

import pytest
from litestar import Litestar

from gvi.defectors import services, transitions
from gvi.defectors.schemas import CaseStatusIn, CaseUpdateIn, ConsentIn
from gvi.defectors.tables import CaseStatus, CaseStatusChange, ConsentAgency, DefectorCase
from tests.clients import csrf_from, signed_in
from tests.defectors.audit import events_since, last_seq
from tests.defectors.factories import build_world, make_case


async def _version(case_id: int) -> int:
    row = await DefectorCase.select(DefectorCase.version).where(DefectorCase.id == case_id).first()
    assert row is not None
    return int(row["version"])


async def test_kontakt_to_insatser_needs_consent_threat_assessment_and_decision(db: None) -> None:
    """The observed case: Kontakt → Insatser through Samtycke and Riskbedömning with no
    consent and no threat assessment."""
    world = await build_world(logins=False)
    sofia = world.principal("sofia")
    case = await make_case(world, status=CaseStatus.contact)

    async def move(to: CaseStatus, **kw: object) -> None:
        await services.change_status(sofia, case, CaseStatusIn(to_status=to, **kw))  # type: ignore[arg-type]

    await move(CaseStatus.motivation_assessment)
    await move(CaseStatus.consent)
    with pytest.raises(services.TransitionRefused) as refused:
        await move(CaseStatus.risk_assessment)
    assert "inget samtycke gäller" in str(refused.value)
    # Going back, or closing, is never gated.
    assert (
        transitions.gate(
            "consent", "motivation_assessment", transitions.CaseFacts(False, "unknown", None, None)
        )
        is None
    )
    await services.give_consent(sofia, case, ConsentIn(agency=ConsentAgency.social_services))
    await move(CaseStatus.risk_assessment)
    with pytest.raises(services.TransitionRefused) as refused:
        await move(CaseStatus.investigation)
    assert "ingen hotbildsbedömning" in str(refused.value)
    # A level without a date is not an assessment either.
    await services.update_case(
        sofia,
        case,
        CaseUpdateIn(version=await _version(case), threat_level=DefectorCase.Threat.high),
    )
    with pytest.raises(services.TransitionRefused):
        await move(CaseStatus.investigation)
    await services.update_case(
        sofia, case, CaseUpdateIn(version=await _version(case), threat_assessed_on=date(2024, 2, 1))
    )
    await move(CaseStatus.investigation)
    with pytest.raises(services.TransitionRefused) as refused:
        await move(CaseStatus.agreement)
    assert "socialtjänstens beslut om stöd" in str(refused.value)
    await services.update_case(
        sofia, case, CaseUpdateIn(version=await _version(case), social_services_eligible=True)
    )
    await move(CaseStatus.agreement)
    await move(CaseStatus.interventions)
    history = await CaseStatusChange.select(CaseStatusChange.overridden_gate).where(
        CaseStatusChange.case == case
    )
    assert {h["overridden_gate"] for h in history} == {""}


async def test_a_recorded_override_needs_a_reason_and_is_audited(db: None) -> None:
    world = await build_world(logins=False)
    sofia = world.principal("sofia")
    case = await make_case(world, status=CaseStatus.consent)
    with pytest.raises(services.TransitionRefused) as refused:
        await services.change_status(
            sofia, case, CaseStatusIn(to_status=CaseStatus.risk_assessment, override=True)
        )
    assert "skäl" in str(refused.value)
    before = await last_seq()
    reason = "Muntligt samtycke, skriftligt kommer på måndag"
    await services.change_status(
        sofia,
        case,
        CaseStatusIn(to_status=CaseStatus.risk_assessment, override=True, reason=reason),
    )
    (change,) = await CaseStatusChange.select().where(CaseStatusChange.case == case)
    assert change["overridden_gate"] == "consent"
    (event,) = await events_since(before)
    details = (
        event["details"] if isinstance(event["details"], dict) else json.loads(event["details"])
    )
    assert details["override"] == "consent"
    timeline = await services.get_timeline(sofia, case)
    (status,) = [e for e in timeline if e.kind == "status"]
    assert "Undantag" in status.detail
    assert reason in status.detail


async def test_the_case_page_says_what_is_missing_and_offers_the_override(app: Litestar) -> None:
    world = await build_world()
    case = await make_case(world, person="jarfalla", municipality="0123", status=CaseStatus.consent)
    async with signed_in(app, world, "sofia") as c:
        page = await c.get(f"/cases/{case}")
        assert "inget samtycke gäller" in page.text
        assert 'name="override"' in page.text
        r = await c.post(
            f"/cases/{case}/status",
            data={"csrf_token": csrf_from(page.text), "from_status": "consent",
                  "to_status": "risk_assessment", "reason": ""},
        )  # fmt: skip
        assert r.status_code == 400
        assert "inget samtycke gäller" in r.text
        r = await c.post(
            f"/cases/{case}/status",
            data={"csrf_token": csrf_from(page.text), "from_status": "consent",
                  "to_status": "risk_assessment", "override": "true",
                  "reason": "Samtycke muntligt, papperet kommer"},
            follow_redirects=False,
        )  # fmt: skip
        assert r.status_code == 303
        after = await c.get(f"/cases/{case}")
        assert "Undantag" in after.text
        assert "Samtycke muntligt, papperet kommer" in after.text


async def test_new_follow_ups_start_at_unknown(app: Litestar) -> None:
    world = await build_world()
    case = await make_case(world, person="jarfalla", municipality="0123")
    async with signed_in(app, world, "sofia") as c:
        page = await c.get(f"/cases/{case}")
    for area in ("housing", "occupation", "criminality", "substance_use", "safety"):
        select = page.text.split(f'id="followup-{area}"', 1)[1].split("</select>", 1)[0]
        assert '<option value="unknown" selected>' in select
        assert '<option value="good" selected>' not in select
