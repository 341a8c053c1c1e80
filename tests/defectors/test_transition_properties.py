"""The defector case status machine under random sequences of requests, found by
hypothesis.

Pure (:mod:`gvi.defectors.transitions`): :func:`transitions.refusal` allows
exactly the moves its module docstring describes (one step forward, one step back
from consent on, closing from any open status with an outcome, nothing out of
closed); a machine that moves only where it allows never leaves the declared
table, closed stays closed, every status it reaches is declared and every
declared one is reachable.

Through the service and the database: a random mix of status changes (allowed,
refused, closing with or without an outcome, with a stale ``from_status``) and
edits (with the current or a stale version) ends where a pure model of the rules
says; a refused request changes nothing; the version goes up by one per accepted
edit and not at all for a status change (the status has its own lock,
``from_status``); the history gets one row per accepted change and the audit
trail one event per accepted change or edit; closing records the outcome and
ends the police track.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from gvi.defectors import services, transitions
from gvi.defectors.schemas import CaseStatusIn, CaseUpdateIn
from gvi.defectors.tables import CaseStatus, CaseStatusChange, DefectorCase
from tests.admin.support import audit_rows
from tests.defectors.audit import last_seq
from tests.defectors.factories import World, build_world, make_case

FLOW = transitions.FLOW
# The module docstring: going back happens from consent on (hesitation, renewed
# consent, new threat information, a failed agreement, a renegotiated agreement,
# a follow-up that shows more help is needed), never from contact or motivation.
GOES_BACK = frozenset(FLOW[FLOW.index(transitions.CONSENT) : FLOW.index(transitions.CLOSED)])


def documented(current: str, target: str, outcome: str | None) -> bool:
    """Whether the rules as written allow ``current`` → ``target``."""
    if current not in FLOW or target not in FLOW or current == transitions.CLOSED:
        return False
    if target == transitions.CLOSED:
        return outcome in transitions.OUTCOMES
    step = FLOW.index(target) - FLOW.index(current)
    return step == 1 or (step == -1 and current in GOES_BACK)


requested = st.sampled_from(FLOW) | st.text(max_size=12)
outcomes = st.none() | st.sampled_from(transitions.OUTCOMES) | st.text(max_size=8)


class CaseMachine(RuleBasedStateMachine):
    """A case that follows the rules of :func:`transitions.refusal` alone."""

    def __init__(self) -> None:
        super().__init__()
        self.status = transitions.CONTACT
        self.history = [transitions.CONTACT]

    @rule(wanted=requested, outcome=outcomes)
    def request(self, wanted: str, outcome: str | None) -> None:
        reason = transitions.refusal(self.status, wanted, outcome)
        assert (reason is None) is documented(self.status, wanted, outcome)
        if reason is None:
            assert wanted in transitions.ALLOWED[self.status]
            self.status = wanted
            self.history.append(wanted)
        else:
            assert reason.endswith("."), reason

    @rule(forward=st.booleans())
    def step(self, forward: bool) -> None:
        """A move the rules allow, so that long runs get far into the flow."""
        allowed = sorted(transitions.ALLOWED[self.status] - {transitions.CLOSED})
        if allowed:
            wanted = allowed[-1] if forward else allowed[0]
            self.request(wanted, None)

    @invariant()
    def only_declared_statuses_are_reached(self) -> None:
        assert self.status in FLOW

    @invariant()
    def the_history_follows_the_table(self) -> None:
        for before, after in itertools.pairwise(self.history):
            assert after in transitions.ALLOWED[before]
        assert transitions.CLOSED not in self.history[:-1]

    @invariant()
    def closed_stays_closed(self) -> None:
        if self.status == transitions.CLOSED:
            for wanted, outcome in itertools.product(FLOW, transitions.OUTCOMES):
                assert transitions.refusal(self.status, wanted, outcome) is not None


TestCaseMachine = CaseMachine.TestCase
TestCaseMachine.settings = settings(
    derandomize=True, deadline=None, database=None, max_examples=150, stateful_step_count=20
)


def test_every_declared_status_is_reachable_and_nothing_else_is() -> None:
    assert set(transitions.ALLOWED) == set(FLOW)
    reached, queue = {transitions.CONTACT}, deque([transitions.CONTACT])
    while queue:
        for target in transitions.ALLOWED[queue.popleft()]:
            assert target in FLOW
            if target not in reached:
                reached.add(target)
                queue.append(target)
    assert reached == set(FLOW)
    assert [s for s in FLOW if not transitions.ALLOWED[s]] == [transitions.CLOSED]


# --- through the service and the database -----------------------------------------------


@dataclass(frozen=True)
class Move:
    # A status, or a move the rules allow from wherever the case is then:
    # 0 forward, 1 back (or close where there is no way back), 2 close.
    to_status: CaseStatus | int
    seen: str  # "none": no from_status; "current"; or a status the caller saw
    outcome: DefectorCase.Outcome | None


@dataclass(frozen=True)
class Edit:
    stale: bool


actions = st.lists(
    st.one_of(
        st.builds(
            Move,
            st.one_of(st.integers(0, 2), st.integers(0, 2), st.sampled_from(CaseStatus)),
            st.sampled_from(["none", "current"] * 3 + list(FLOW)),
            st.sampled_from([*DefectorCase.Outcome, None]),
        ),
        st.builds(Edit, st.booleans()),
    ),
    min_size=2,
    max_size=12,
)


def _target(status: str, wanted: CaseStatus | int) -> CaseStatus:
    if isinstance(wanted, CaseStatus):
        return wanted
    closed = transitions.CLOSED
    ranked = sorted(transitions.ALLOWED[status], key=lambda s: (s == closed, -FLOW.index(s)))
    return CaseStatus((ranked or [status])[min(wanted, len(ranked) - 1)])


@dataclass
class Model:
    """What the case must look like: status, version, outcome, its history rows
    (from, to) and its audit events (op, from, to, outcome)."""

    status: str = transitions.CONTACT
    version: int = 1
    outcome: str | None = None
    history: list[tuple[str, str]] = field(default_factory=list)
    events: list[tuple[str, str | None, str | None, str | None]] = field(default_factory=list)


_references = itertools.count(1)


@pytest.fixture
async def world(db: None) -> World:
    return await build_world(logins=False)


async def _row(case_id: int) -> dict[str, object]:
    rows = await DefectorCase.select(
        DefectorCase.status,
        DefectorCase.version,
        DefectorCase.closure_outcome,
        DefectorCase.closed_on,
        DefectorCase.police_track_active,
    ).where(DefectorCase.id == case_id)
    return dict(rows[0])


@settings(
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=15,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=st.sampled_from(CaseStatus), steps=actions, police_ready=st.booleans())
async def test_random_requests_through_the_service_follow_the_model(
    world: World, first: CaseStatus, steps: list[Move | Edit], police_ready: bool
) -> None:
    sofia = world.principal("sofia")
    # The factory's closed case has an active track only if asked for one: don't.
    police_ready = police_ready and first != CaseStatus.closed
    case_id = await make_case(
        world,
        reference=f"AH-P-{next(_references):04d}",
        status=first,
        police_ready=police_ready,
    )
    start = await last_seq()
    model = Model(status=first.value)
    for n, step in enumerate(steps):
        if isinstance(step, Edit):
            version = model.version - 1 if step.stale else model.version
            update = CaseUpdateIn(version=version, notes=f"Anteckning {n}")
            if step.stale:
                with pytest.raises(services.Conflict):
                    await services.update_case(sofia, case_id, update)
            else:
                await services.update_case(sofia, case_id, update)
                model.version += 1
                model.events.append(("update", None, None, None))
            continue
        seen = {"none": None, "current": model.status}.get(step.seen, step.seen)
        to_status = _target(model.status, step.to_status)
        outcome = step.outcome.value if step.outcome is not None else None
        data = CaseStatusIn(
            to_status=to_status,
            from_status=CaseStatus(seen) if seen else None,
            outcome=step.outcome,
            reason=f"Skäl {n}",
        )
        reason = transitions.refusal(model.status, to_status.value, outcome)
        if reason is None and not police_ready:
            # The factory's case has no consent, threat assessment or eligibility decision.
            facts = transitions.CaseFacts(False, "unknown", None, None)
            if transitions.gate(model.status, to_status.value, facts) is not None:
                reason = transitions.gate_message(model.status)
        if seen is not None and seen != model.status:
            with pytest.raises(services.Conflict):
                await services.change_status(sofia, case_id, data)
        elif reason is not None:
            with pytest.raises(services.TransitionRefused) as refused:
                await services.change_status(sofia, case_id, data)
            assert str(refused.value) == reason
        else:
            await services.change_status(sofia, case_id, data)
            model.history.append((model.status, to_status.value))
            model.events.append(("status", model.status, to_status.value, outcome))
            model.status = to_status.value
            if to_status == CaseStatus.closed:
                model.outcome = outcome
        # After every request, refused or not, the row is what the model says.
        row = await _row(case_id)
        assert (row["status"], row["version"]) == (model.status, model.version)

    event(f"ends {model.status}")
    row = await _row(case_id)
    assert (row["status"], row["version"]) == (model.status, model.version)
    closed = model.status == transitions.CLOSED
    assert row["closure_outcome"] == model.outcome
    # Closed through the service: the day and the outcome are recorded.
    assert (row["closed_on"] is not None) is (model.outcome is not None)
    assert row["police_track_active"] is (police_ready and not closed)
    history = (
        await CaseStatusChange.select(CaseStatusChange.from_status, CaseStatusChange.to_status)
        .where(CaseStatusChange.case == case_id)
        .order_by(CaseStatusChange.id)
    )
    assert [(h["from_status"], h["to_status"]) for h in history] == model.history
    rows = await audit_rows(start, "case:write", target_type="defector_case", target_id=case_id)
    events = [
        (
            e["details"]["op"],
            e["details"].get("from"),
            e["details"].get("to"),
            e["details"].get("outcome"),
        )
        for e in sorted(rows, key=lambda e: e["seq"])
    ]
    assert events == model.events
