"""Every offer status transition, allowed and refused: the pure rules and the full
from × to matrix through the service (status, history row and audit row together)."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from gvi.support import services, transitions
from gvi.support.schemas import OfferStatusIn
from gvi.support.tables import OfferStatus, SupportOffer, SupportOfferStatusChange
from tests.defectors.audit import events_since, last_seq
from tests.defectors.factories import build_world, make_offer

EXPECTED = {
    "offered": {"accepted", "declined"},
    "accepted": {"started", "discontinued"},
    "started": {"completed", "discontinued"},
    "declined": set(),
    "completed": set(),
    "discontinued": set(),
}
PAIRS = list(itertools.product(transitions.STATUSES, transitions.STATUSES))

# A plausible history that ends in each status.
HISTORY: dict[str, tuple[OfferStatus, ...]] = {
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


def test_statuses_are_the_table_enum() -> None:
    assert tuple(OfferStatus) == transitions.STATUSES
    assert {k: set(v) for k, v in transitions.ALLOWED.items()} == EXPECTED


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_refusal_agrees_with_the_table(current: str, target: str) -> None:
    reason = transitions.refusal(current, target)
    assert (reason is None) is (target in EXPECTED[current])
    if reason is not None:
        assert reason.endswith(".")


def test_refusals_say_why() -> None:
    assert "accepteras" in (transitions.refusal("offered", "started") or "")
    assert "påbörjas" in (transitions.refusal("accepted", "completed") or "")
    assert "avböjt" in (transitions.refusal("offered", "discontinued") or "")
    assert "kan inte ändras" in (transitions.refusal("completed", "started") or "")
    assert "redan" in (transitions.refusal("started", "started") or "")


@pytest.mark.parametrize(
    ("status", "history", "reached"),
    [
        ("offered", ["offered"], False),
        ("accepted", ["offered", "accepted"], False),
        ("declined", ["offered", "declined"], False),
        ("started", ["offered", "accepted", "started"], True),
        ("completed", ["offered", "accepted", "started", "completed"], True),
        ("discontinued", ["offered", "accepted", "started", "discontinued"], True),
        ("discontinued", ["offered", "accepted", "discontinued"], False),
    ],
)
def test_reached_start(status: str, history: list[str], reached: bool) -> None:
    assert transitions.reached_start(status, history) is reached


@pytest.mark.parametrize(("current", "target"), PAIRS)
async def test_every_transition_through_the_service(db: None, current: str, target: str) -> None:
    world = await build_world(logins=False)
    offer_id = await make_offer(
        world, person="jarfalla", municipality="0123", history=HISTORY[current]
    )
    before = await last_seq()
    history_before = await SupportOfferStatusChange.count().where(
        SupportOfferStatusChange.offer == offer_id
    )
    data = OfferStatusIn(to_status=OfferStatus(target), changed_on=date(2024, 4, 1))
    allowed = target in EXPECTED[current]
    if allowed:
        await services.change_offer_status(world.principal("jonna"), offer_id, data)
    else:
        with pytest.raises(services.TransitionRefused) as refused:
            await services.change_offer_status(world.principal("jonna"), offer_id, data)
        assert str(refused.value) == transitions.refusal(current, target)
    status = await SupportOffer.select(SupportOffer.status).where(SupportOffer.id == offer_id)
    history = (
        await SupportOfferStatusChange.select()
        .where(SupportOfferStatusChange.offer == offer_id)
        .order_by(SupportOfferStatusChange.id)
    )
    events = await events_since(before)
    if allowed:
        assert status[0]["status"] == target
        assert len(history) == history_before + 1
        assert (history[-1]["from_status"], history[-1]["to_status"]) == (current, target)
        assert history[-1]["changed_on"] == date(2024, 4, 1)
        assert [e["action"] for e in events] == ["offer:write"]
        assert events[0]["person_id"] == world.person["jarfalla"]
    else:
        assert status[0]["status"] == current
        assert len(history) == history_before
        assert events == []


async def test_a_stale_from_status_is_a_conflict(db: None) -> None:
    world = await build_world(logins=False)
    offer_id = await make_offer(
        world, person="jarfalla", municipality="0123", history=HISTORY["accepted"]
    )
    with pytest.raises(services.Conflict):
        await services.change_offer_status(
            world.principal("jonna"),
            offer_id,
            OfferStatusIn(to_status=OfferStatus.accepted, from_status=OfferStatus.offered),
        )
