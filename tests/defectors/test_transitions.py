"""Every case transition, allowed and refused: the pure rules, and the same full
from × to matrix through the service (status, history row, audit row)."""

from __future__ import annotations

import itertools

import pytest

from gvi.defectors import services, transitions
from gvi.defectors.schemas import CaseStatusIn
from gvi.defectors.tables import CaseStatus, CaseStatusChange, DefectorCase
from tests.defectors.audit import events_since, last_seq
from tests.defectors.factories import build_world, make_case

PAIRS = list(itertools.product(transitions.FLOW, transitions.FLOW))

# The table the module must hold: forward one step, back one step from consent on,
# close from anywhere open, nothing out of closed.
EXPECTED = {
    "contact": {"motivation_assessment", "closed"},
    "motivation_assessment": {"consent", "closed"},
    "consent": {"risk_assessment", "motivation_assessment", "closed"},
    "risk_assessment": {"investigation", "consent", "closed"},
    "investigation": {"agreement", "risk_assessment", "closed"},
    "agreement": {"interventions", "investigation", "closed"},
    "interventions": {"follow_up", "agreement", "closed"},
    "follow_up": {"closed", "interventions"},
    "closed": set(),
}


def test_flow_is_the_table_enum() -> None:
    assert tuple(CaseStatus) == transitions.FLOW
    assert set(transitions.STATUS_LABELS) == set(CaseStatus)
    assert tuple(DefectorCase.Outcome) == transitions.OUTCOMES


def test_allowed_table() -> None:
    assert {k: set(v) for k, v in transitions.ALLOWED.items()} == EXPECTED


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_refusal_agrees_with_the_table(current: str, target: str) -> None:
    reason = transitions.refusal(current, target, "completed")
    if target in transitions.ALLOWED[current]:
        assert reason is None
    else:
        assert reason
        assert reason.endswith(".")


def test_refusals_say_why() -> None:
    assert "hoppa över" in (transitions.refusal("contact", "risk_assessment") or "")
    assert "Motivationsbedömning" in (transitions.refusal("contact", "consent") or "")
    assert "ett steg" in (transitions.refusal("agreement", "consent") or "")
    assert "inte gå tillbaka" in (transitions.refusal("motivation_assessment", "contact") or "")
    assert "avslutat" in (transitions.refusal("closed", "contact") or "")
    assert "redan" in (transitions.refusal("consent", "consent") or "")
    # Closing needs an outcome.
    assert "utfall" in (transitions.refusal("interventions", "closed") or "")
    assert transitions.refusal("interventions", "closed", "moved") is None


def test_police_definition_names_every_failing_criterion() -> None:
    met = transitions.police_definition(
        motivated=True,
        police_consent_in_force=True,
        threat_level="medium",
        is_witness=False,
        social_services_eligible=True,
    )
    assert met.met
    assert met.failing == ()
    failing = transitions.police_definition(
        motivated=None,
        police_consent_in_force=False,
        threat_level="low",
        is_witness=True,
        social_services_eligible=False,
    )
    assert not failing.met
    assert len(failing.failing) == 5
    for level, ok in (("unknown", False), ("none", False), ("low", False), ("high", True)):
        assert (
            transitions.police_definition(
                motivated=True,
                police_consent_in_force=True,
                threat_level=level,
                is_witness=False,
                social_services_eligible=True,
            ).met
            is ok
        )


def test_police_track_needs_every_consent_and_an_open_case() -> None:
    met = transitions.PoliceDefinition(met=True, failing=())
    assert transitions.police_track_active(met, excluded_agencies=0, closed=False)
    assert not transitions.police_track_active(met, excluded_agencies=1, closed=False)
    assert not transitions.police_track_active(met, excluded_agencies=0, closed=True)


@pytest.mark.parametrize(("current", "target"), PAIRS)
async def test_every_transition_through_the_service(db: None, current: str, target: str) -> None:
    world = await build_world(logins=False)
    # Consent, threat assessment and eligibility decision in place: the gates have tests
    # of their own (tests/defectors/test_gates.py).
    case_id = await make_case(world, status=CaseStatus(current), police_ready=current != "closed")
    sofia = world.principal("sofia")
    before = await last_seq()
    data = CaseStatusIn(
        to_status=CaseStatus(target),
        outcome=DefectorCase.Outcome.completed if target == "closed" else None,
    )
    allowed = target in EXPECTED[current]
    if allowed:
        await services.change_status(sofia, case_id, data)
    else:
        with pytest.raises(services.TransitionRefused) as refused:
            await services.change_status(sofia, case_id, data)
        assert str(refused.value) == transitions.refusal(current, target, "completed")
    row = await DefectorCase.select(
        DefectorCase.status, DefectorCase.closed_on, DefectorCase.closure_outcome
    ).where(DefectorCase.id == case_id)
    history = await CaseStatusChange.select().where(CaseStatusChange.case == case_id)
    new_events = await events_since(before)
    if allowed:
        assert row[0]["status"] == target
        assert [(h["from_status"], h["to_status"]) for h in history] == [(current, target)]
        assert [e["action"] for e in new_events] == ["case:write"]
        if target == "closed":
            assert row[0]["closure_outcome"] == "completed"
            assert row[0]["closed_on"] is not None
    else:
        assert row[0]["status"] == current
        assert history == []
        assert new_events == []


async def test_closing_without_an_outcome_is_refused(db: None) -> None:
    world = await build_world(logins=False)
    case_id = await make_case(world, status=CaseStatus.interventions)
    with pytest.raises(services.TransitionRefused, match="utfall"):
        await services.change_status(
            world.principal("sofia"), case_id, CaseStatusIn(to_status=CaseStatus.closed)
        )


async def test_a_stale_from_status_is_a_conflict(db: None) -> None:
    world = await build_world(logins=False)
    case_id = await make_case(world, status=CaseStatus.consent)
    with pytest.raises(services.Conflict):
        await services.change_status(
            world.principal("sofia"),
            case_id,
            CaseStatusIn(
                to_status=CaseStatus.motivation_assessment, from_status=CaseStatus.contact
            ),
        )


async def test_closing_ends_the_police_track(db: None) -> None:
    world = await build_world(logins=False)
    case_id = await make_case(world, status=CaseStatus.follow_up, police_ready=True)
    result = await services.change_status(
        world.principal("sofia"),
        case_id,
        CaseStatusIn(to_status=CaseStatus.closed, outcome=DefectorCase.Outcome.moved),
    )
    assert result.police_track_ended
    row = await DefectorCase.select(DefectorCase.police_track_active).where(
        DefectorCase.id == case_id
    )
    assert row[0]["police_track_active"] is False
