"""The offer status machine under random sequences of requests, found by hypothesis.

Pure (:mod:`gvi.support.transitions`): a machine that moves only where
:func:`transitions.refusal` allows never leaves the declared table, final
statuses stay final, every status it reaches is declared (and every declared one
is reachable), and "reached start" is exactly "passed through started".

Through the service and the database: a random mix of status changes (allowed,
refused, with a stale ``from_status``, with a bad date) and edits (with the
current or a stale version) ends where a pure model of the rules says; a refused
request changes nothing; the version goes up by one per accepted edit and not at
all for a status change (the status has its own lock, ``from_status``, so moving
an offer on does not make an open edit form stale); the history gets one row per
accepted change and the audit trail one event per accepted change or edit.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from gvi.core.failures import FormErrors
from gvi.defectors import services as defector_services
from gvi.support import services, transitions
from gvi.support.schemas import OfferStatusIn, OfferUpdateIn
from gvi.support.tables import OfferStatus, SupportOffer, SupportOfferStatusChange
from tests.admin.support import audit_rows
from tests.defectors.audit import last_seq
from tests.defectors.factories import World, build_world, make_offer

FINAL = frozenset(s for s in transitions.STATUSES if not transitions.ALLOWED[s])
# Anything a client could send as a status: the real ones and made-up ones.
requested = st.sampled_from(transitions.STATUSES) | st.text(max_size=12)


class OfferMachine(RuleBasedStateMachine):
    """An offer that follows the rules of :func:`transitions.refusal` alone."""

    def __init__(self) -> None:
        super().__init__()
        self.status = transitions.OFFERED
        self.history = [transitions.OFFERED]

    @rule(wanted=requested)
    def request(self, wanted: str) -> None:
        reason = transitions.refusal(self.status, wanted)
        if reason is None:
            assert wanted in transitions.ALLOWED[self.status]
            self.status = wanted
            self.history.append(wanted)
        else:
            assert wanted not in transitions.ALLOWED.get(self.status, frozenset())
            assert reason.endswith("."), reason

    @invariant()
    def a_final_status_refuses_everything(self) -> None:
        if self.status in FINAL:
            for wanted in transitions.STATUSES:
                assert transitions.refusal(self.status, wanted) is not None

    @invariant()
    def only_declared_statuses_are_reached(self) -> None:
        assert self.status in transitions.STATUSES

    @invariant()
    def the_history_follows_the_table(self) -> None:
        for before, after in itertools.pairwise(self.history):
            assert after in transitions.ALLOWED[before]
        # The table has no cycles: no status is entered twice.
        assert len(set(self.history)) == len(self.history)

    @invariant()
    def reached_start_means_passed_through_started(self) -> None:
        reached = transitions.reached_start(self.status, self.history)
        assert reached is (transitions.STARTED in self.history)


TestOfferMachine = OfferMachine.TestCase
TestOfferMachine.settings = settings(
    derandomize=True, deadline=None, database=None, max_examples=150, stateful_step_count=15
)


def test_every_declared_status_is_reachable_and_nothing_else_is() -> None:
    assert set(transitions.ALLOWED) == set(transitions.STATUSES)
    reached, queue = {transitions.OFFERED}, deque([transitions.OFFERED])
    while queue:
        for target in transitions.ALLOWED[queue.popleft()]:
            assert target in transitions.STATUSES
            if target not in reached:
                reached.add(target)
                queue.append(target)
    assert reached == set(transitions.STATUSES)
    assert {transitions.DECLINED, transitions.COMPLETED, transitions.DISCONTINUED} == FINAL


# --- through the service and the database -----------------------------------------------

OFFERED_ON = date(2024, 3, 1)  # tests.defectors.factories.make_offer
# A history that ends in each status, to start from.
PATHS: dict[str, tuple[OfferStatus, ...]] = {
    "offered": (OfferStatus.offered,),
    "accepted": (OfferStatus.offered, OfferStatus.accepted),
    "declined": (OfferStatus.offered, OfferStatus.declined),
    "started": (OfferStatus.offered, OfferStatus.accepted, OfferStatus.started),
    "completed": (
        OfferStatus.offered,
        OfferStatus.accepted,
        OfferStatus.started,
        OfferStatus.completed,
    ),
    "discontinued": (OfferStatus.offered, OfferStatus.accepted, OfferStatus.discontinued),
}


@dataclass(frozen=True)
class Move:
    # A status, or the n-th status the rules allow from wherever the offer is then
    # (so that long runs of allowed moves are as likely as refused ones).
    to_status: OfferStatus | int
    seen: str  # "none": no from_status; "current"; or a status the caller saw
    day: str  # "today" (left out), "valid", "before_offer", "future"


@dataclass(frozen=True)
class Edit:
    stale: bool


actions = st.lists(
    st.one_of(
        st.builds(
            Move,
            st.one_of(st.integers(0, 1), st.integers(0, 1), st.sampled_from(OfferStatus)),
            st.sampled_from(["none", "current"] * 3 + list(transitions.STATUSES)),
            st.sampled_from(["today", "valid"] * 3 + ["before_offer", "future"]),
        ),
        st.builds(Edit, st.booleans()),
    ),
    min_size=2,
    max_size=10,
)


def _target(model_status: str, wanted: OfferStatus | int) -> OfferStatus:
    if isinstance(wanted, OfferStatus):
        return wanted
    allowed = sorted(transitions.ALLOWED[model_status]) or [model_status]
    return OfferStatus(allowed[wanted % len(allowed)])


@dataclass
class Model:
    """What the offer must look like: its status and version, its history rows
    (from, to) and its audit events (op, from, to)."""

    status: str = transitions.OFFERED
    version: int = 1
    history: list[tuple[str | None, str]] = field(default_factory=list)
    events: list[tuple[str, str | None, str | None]] = field(default_factory=list)


@pytest.fixture
async def world(db: None) -> World:
    return await build_world(logins=False)


@settings(
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=15,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=st.sampled_from(transitions.STATUSES), steps=actions)
async def test_random_requests_through_the_service_follow_the_model(
    world: World, first: str, steps: list[Move | Edit]
) -> None:
    jonna = world.principal("jonna")
    path = PATHS[first]
    offer_id = await make_offer(world, person="jarfalla", municipality="0123", history=path)
    start = await last_seq()
    model = Model(status=first, history=list(zip([None, *path], path, strict=False)))
    today = defector_services.today()  # the day the service checks against
    for n, step in enumerate(steps):
        if isinstance(step, Edit):
            version = model.version - 1 if step.stale else model.version
            update = OfferUpdateIn(version=version, notes=f"Anteckning {n}")
            if step.stale:
                with pytest.raises(services.Conflict):
                    await services.update_offer(jonna, offer_id, update)
            else:
                await services.update_offer(jonna, offer_id, update)
                model.version += 1
                model.events.append(("update", None, None))
            continue
        seen = {"none": None, "current": model.status}.get(step.seen, step.seen)
        changed_on = {
            "today": None,
            "valid": OFFERED_ON + timedelta(days=n),
            "before_offer": OFFERED_ON - timedelta(days=1 + n),
            "future": today + timedelta(days=1 + n),
        }[step.day]
        to_status = _target(model.status, step.to_status)
        data = OfferStatusIn(
            to_status=to_status,
            from_status=OfferStatus(seen) if seen else None,
            changed_on=changed_on,
        )
        reason = transitions.refusal(model.status, to_status.value)
        if seen is not None and seen != model.status:
            with pytest.raises(services.Conflict):
                await services.change_offer_status(jonna, offer_id, data)
        elif reason is not None:
            with pytest.raises(services.TransitionRefused) as refused:
                await services.change_offer_status(jonna, offer_id, data)
            assert str(refused.value) == reason
        elif step.day in ("before_offer", "future"):
            with pytest.raises(FormErrors) as invalid:
                await services.change_offer_status(jonna, offer_id, data)
            assert set(invalid.value.errors) == {"changed_on"}
        else:
            await services.change_offer_status(jonna, offer_id, data)
            model.history.append((model.status, to_status.value))
            model.events.append(("status", model.status, to_status.value))
            model.status = to_status.value
        # After every request, refused or not, the row is what the model says.
        row = await SupportOffer.select(SupportOffer.status, SupportOffer.version).where(
            SupportOffer.id == offer_id
        )
        assert (row[0]["status"], row[0]["version"]) == (model.status, model.version)

    row = await SupportOffer.select(SupportOffer.status, SupportOffer.version).where(
        SupportOffer.id == offer_id
    )
    assert (row[0]["status"], row[0]["version"]) == (model.status, model.version)
    event(f"ends {model.status}")
    history = (
        await SupportOfferStatusChange.select(
            SupportOfferStatusChange.from_status, SupportOfferStatusChange.to_status
        )
        .where(SupportOfferStatusChange.offer == offer_id)
        .order_by(SupportOfferStatusChange.id)
    )
    assert [(h["from_status"], h["to_status"]) for h in history] == model.history
    rows = await audit_rows(start, "offer:write", target_type="support_offer", target_id=offer_id)
    events = [
        (e["details"]["op"], e["details"].get("from"), e["details"].get("to"))
        for e in sorted(rows, key=lambda e: e["seq"])
    ]
    assert events == model.events
