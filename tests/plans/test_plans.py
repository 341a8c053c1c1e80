"""The case plan and SIP (issue 22, part 1): items with a goal, the responsible
party and a method; the overall owner; a SIP only with the healthcare consent in
force (and ended with it); goals rated at follow-ups as a figure; approval of the
plan and the closing of a case by a unit lead (a permission the flag grants)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from litestar import Litestar

from gvi.access.permissions import Permission, has_permission
from gvi.accounts.tables import Role, User
from gvi.defectors import services as cases
from gvi.defectors.schemas import CaseStatusIn, ConsentIn, FollowUpIn
from gvi.defectors.tables import (
    CaseConsent,
    CaseFollowUp,
    CaseStatus,
    ConsentAgency,
    DefectorCase,
)
from gvi.plans import services as plans
from gvi.plans.schemas import GoalRatingIn, GoalRatingsIn, PlanItemIn, SipIn
from gvi.plans.tables import CasePlan, Party, PlanItem, Rating
from gvi.reports import queries
from gvi.support.tables import Method
from tests.clients import csrf_from, signed_in
from tests.defectors.audit import events_since, last_seq
from tests.defectors.factories import SOC_JARFALLA, build_world, make_case


def _details(event: dict[str, Any]) -> dict[str, Any]:
    raw = event["details"]
    details: dict[str, Any] = json.loads(raw) if isinstance(raw, str) else raw
    return details


async def _jarfalla_case(world: object, status: CaseStatus = CaseStatus.interventions) -> int:
    return await make_case(
        world,  # type: ignore[arg-type]
        person="jarfalla",
        municipality="0123",
        unit=SOC_JARFALLA,
        caseworker="jonna",
        status=status,
        reference="AH-T-0100",
    )


async def _method(world: object, evidence: Method.Evidence = Method.Evidence.scientific) -> int:
    method = Method(
        unit=world.unit[SOC_JARFALLA],  # type: ignore[attr-defined]
        name="Multisystemisk terapi (MST)",
        evidence=evidence,
        evidence_source="SBU 2023",
    )
    await method.save()
    return method.id


def test_the_lead_flag_grants_approval_only_to_caseworkers() -> None:
    assert not has_permission(Role.outreach, Permission.cases_approve)
    assert has_permission(Role.outreach, Permission.cases_approve, unit_lead=True)
    for role in (Role.admin, Role.police, Role.coordinator, Role.analyst):
        assert not has_permission(role, Permission.cases_approve, unit_lead=True)


async def test_a_plan_with_a_sip_on_the_page_approved_by_the_unit_lead(app: Litestar) -> None:
    world = await build_world()
    case_id = await _jarfalla_case(world)
    method_id = await _method(world)
    url = f"/cases/{case_id}/plan"
    async with signed_in(app, world, "jonna") as c:
        page = await c.get(url)
        assert page.status_code == 200
        assert "Planen har inga punkter ännu." in page.text
        token = csrf_from(page.text)
        # A goal is required; what was chosen stays.
        bad = await c.post(
            f"{url}/items",
            data={"goal": " ", "party": "psychiatry", "csrf_token": token},
        )
        assert bad.status_code == 400
        assert "Skriv vad planpunkten ska uppnå." in bad.text
        assert '<option value="psychiatry" selected>' in bad.text
        before = await last_seq()
        ok = await c.post(
            f"{url}/items",
            data={
                "goal": "Behandling av sömnproblem och ångest",
                "party": "psychiatry",
                "method_id": str(method_id),
                "starts_on": "2024-03-01",
                "due_on": "2024-09-01",
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert ok.status_code == 303, ok.text
        # The SIP needs the healthcare consent in force.
        plan = await CasePlan.select().where(CasePlan.case == case_id).first()
        assert plan is not None
        refused = await c.post(
            f"{url}/sip",
            data={"sip": "true", "version": str(plan["version"]), "csrf_token": token},
        )
        assert refused.status_code == 400
        assert "En SIP kräver personens samtycke" in refused.text
        await CaseConsent(
            case=case_id, agency=ConsentAgency.healthcare, given_on=date(2024, 2, 1)
        ).save()
        started = await c.post(
            f"{url}/sip",
            data={
                "sip": "true",
                "on": "2024-03-02",
                "version": str(plan["version"]),
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert started.status_code == 303, started.text
        shown = await c.get(url)
        assert "Pågår sedan 2024-03-02" in shown.text
        assert "Regionens psykiatri" in shown.text
        assert "Multisystemisk terapi (MST) (vetenskapligt stöd)" in shown.text
        assert "Inte godkänd" in shown.text
        # Not a unit lead: no approval button, and the route is not there.
        assert "Godkänn planen" not in shown.text
        plan = await CasePlan.select().where(CasePlan.case == case_id).first()
        assert plan is not None
        denied = await c.post(
            f"{url}/approve", data={"version": str(plan["version"]), "csrf_token": token}
        )
        assert denied.status_code == 404
        events = await events_since(before)
    ops = [_details(e)["op"] for e in events if e["action"] == "case:plan:write"]
    assert ops == ["item_added", "sip_started"]
    assert all(e["person_id"] == world.person["jarfalla"] for e in events)

    async with signed_in(app, world, "sofia") as c:
        shown = await c.get(url)
        assert "Godkänn planen" in shown.text
        token = csrf_from(shown.text)
        stale = await c.post(
            f"{url}/approve", data={"version": str(plan["version"] - 1), "csrf_token": token}
        )
        assert stale.status_code == 409
        approved = await c.post(
            f"{url}/approve",
            data={"version": str(plan["version"]), "csrf_token": token},
            follow_redirects=False,
        )
        assert approved.status_code == 303, approved.text
        assert "Godkänd" in (await c.get(url)).text
        timeline = (await c.get(f"/api/v1/cases/{case_id}/timeline")).json()
    titles = [e["title"] for e in timeline]
    assert "Planpunkt: Regionens psykiatri" in titles
    assert "SIP påbörjad" in titles
    assert "Planen godkänd av enhetschef" in titles

    # A change after approval withdraws it.
    await plans.add_item(
        world.principal("jonna"),
        case_id,
        PlanItemIn(goal="Eget boende", party=Party.social_services),
    )
    row = await CasePlan.select(CasePlan.approved_at).where(CasePlan.case == case_id).first()
    assert row is not None
    assert row["approved_at"] is None


async def test_another_unit_sees_no_plan(app: Litestar) -> None:
    world = await build_world()
    case_id = await _jarfalla_case(world)
    await plans.add_item(
        world.principal("jonna"), case_id, PlanItemIn(goal="Hemligt mål", party=Party.school)
    )
    async with signed_in(app, world, "sigge") as c:
        page = await c.get(f"/cases/{case_id}/plan")
        api = await c.get(f"/api/v1/cases/{case_id}/plan")
    assert page.status_code == 404
    assert api.status_code == 404
    assert "Hemligt mål" not in page.text + api.text
    async with signed_in(app, world, "polis") as c:
        assert (await c.get(f"/api/v1/cases/{case_id}/plan")).status_code == 404


async def test_withdrawing_the_healthcare_consent_ends_the_sip(db: None) -> None:
    world = await build_world(logins=False)
    case_id = await _jarfalla_case(world)
    jonna = world.principal("jonna")
    await cases.give_consent(
        jonna, case_id, ConsentIn(agency=ConsentAgency.healthcare, given_on=date(2024, 2, 1))
    )
    await plans.add_item(jonna, case_id, PlanItemIn(goal="Behandling", party=Party.psychiatry))
    plan = await plans.get_plan(jonna, case_id)
    await plans.set_sip(jonna, case_id, SipIn(version=plan.version, sip=True, on=date(2024, 2, 2)))
    assert (await plans.get_plan(jonna, case_id)).sip
    consent = await CaseConsent.select(CaseConsent.id).where(
        (CaseConsent.case == case_id) & (CaseConsent.agency == ConsentAgency.healthcare)
    )
    await cases.withdraw_consent(jonna, case_id, consent[0]["id"], date(2024, 4, 1))
    after = await plans.get_plan(jonna, case_id)
    assert not after.sip
    assert after.sip_ended_on == date(2024, 4, 1)


async def test_goal_attainment_is_a_figure(db: None) -> None:
    world = await build_world(logins=False)
    case_id = await _jarfalla_case(world, CaseStatus.follow_up)
    jonna = world.principal("jonna")
    items = [
        await plans.add_item(jonna, case_id, PlanItemIn(goal=goal, party=party))
        for goal, party in (
            ("Behandling", Party.psychiatry),
            ("Eget boende", Party.social_services),
            ("Studier", Party.school),
        )
    ]
    follow_ups = {}
    for phase, on in (("before", date(2024, 2, 1)), ("after", date(2025, 2, 1))):
        follow_ups[phase] = await cases.add_follow_up(
            jonna, case_id, FollowUpIn(phase=CaseFollowUp.Phase(phase), follow_up_on=on)
        )
    rate = {
        "before": (Rating.not_met, Rating.not_met, Rating.partly),
        "after": (Rating.met, Rating.partly, Rating.met),
    }
    for phase, ratings in rate.items():
        await plans.rate_goals(
            jonna,
            case_id,
            GoalRatingsIn(
                follow_up_id=follow_ups[phase],
                ratings=[
                    GoalRatingIn(item_id=i, rating=r) for i, r in zip(items, ratings, strict=True)
                ],
            ),
        )
    # Rating again replaces, never adds.
    await plans.rate_goals(
        jonna,
        case_id,
        GoalRatingsIn(
            follow_up_id=follow_ups["after"],
            ratings=[GoalRatingIn(item_id=items[1], rating=Rating.met)],
        ),
    )
    rows = await queries.goals(queries.Scope((world.municipality["0123"],)))
    assert rows == [
        {"municipality": "Järfälla", "phase": "before", "year": 2024, "rated": 3,
         "met": 0, "partly": 1, "not_met": 2},
        {"municipality": "Järfälla", "phase": "after", "year": 2025, "rated": 3,
         "met": 3, "partly": 0, "not_met": 0},
    ]  # fmt: skip
    # An item of another case, or a follow-up of another case, is refused.
    other = await make_case(world, reference="AH-T-0200")
    foreign = await PlanItem.select(PlanItem.id).where(PlanItem.case == case_id).first()
    assert foreign is not None
    with pytest.raises(plans.FormErrors) as refused:
        await plans.rate_goals(
            world.principal("sofia"),
            other,
            GoalRatingsIn(
                follow_up_id=follow_ups["after"],
                ratings=[GoalRatingIn(item_id=foreign["id"], rating=Rating.met)],
            ),
        )
    assert "follow_up_id" in refused.value.errors


async def test_closing_a_case_is_the_unit_leads(app: Litestar) -> None:
    world = await build_world()
    case_id = await _jarfalla_case(world, CaseStatus.follow_up)
    close = CaseStatusIn(to_status=CaseStatus.closed, outcome=DefectorCase.Outcome.completed)
    with pytest.raises(cases.TransitionRefused, match="enhetschef"):
        await cases.change_status(world.principal("jonna"), case_id, close)
    async with signed_in(app, world, "jonna") as c:
        page = await c.get(f"/cases/{case_id}")
        assert "Ett ärende avslutas av en enhetschef i ärendets enhet." in page.text
        assert 'name="to_status" value="closed"' not in page.text
    async with signed_in(app, world, "sofia") as c:
        page = await c.get(f"/cases/{case_id}")
        assert 'name="to_status" value="closed"' in page.text
    await cases.change_status(world.principal("sofia"), case_id, close)
    assert (await cases.get_case(world.principal("sofia"), case_id)).status == CaseStatus.closed


async def test_the_admin_makes_a_unit_lead_and_their_sessions_end(app: Litestar) -> None:
    world = await build_world()
    from tests.factories import make_user

    _, secret = await make_user("chefadmin", "admin", municipality_codes=[], unit_name=None)
    async with signed_in(app, world, "jonna") as jonna:
        assert (await jonna.get("/cases/")).status_code == 200
        async with signed_in(app, "chefadmin", secret) as admin:
            page = await admin.get(f"/admin/users/{world.user['jonna']}")
            assert "Gör till enhetschef" in page.text
            version = await User.select(User.version).where(User.id == world.user["jonna"])
            before = await last_seq()
            r = await admin.post(
                f"/admin/users/{world.user['jonna']}/make-lead",
                data={"version": str(version[0]["version"]), "csrf_token": csrf_from(page.text)},
                follow_redirects=False,
            )
            assert r.status_code == 303, r.text
            events = await events_since(before)
            # The police officer cannot be made one.
            polis = await User.select(User.version).where(User.id == world.user["polis"])
            page = await admin.get(f"/admin/users/{world.user['polis']}")
            assert "Gör till enhetschef" not in page.text
            refused = await admin.post(
                f"/api/v1/admin/users/{world.user['polis']}/unit-lead",
                json={"version": polis[0]["version"], "unit_lead": True},
                headers={"X-CSRF-Token": csrf_from(page.text)},
            )
            assert refused.status_code == 400
        # Jonna's session ended with the change.
        assert (await jonna.get("/cases/", follow_redirects=False)).status_code in (302, 303)
    assert [e["action"] for e in events] == ["user:lead:change"]
    assert _details(events[0])["unit_lead"] is True
    lead = await User.select(User.unit_lead).where(User.id == world.user["jonna"])
    assert lead[0]["unit_lead"] is True
