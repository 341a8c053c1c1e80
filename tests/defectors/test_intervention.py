""" "Led to an intervention": true exactly when at least one linked offer reached
"started" (now or in its history), on the case and in the figures."""

from __future__ import annotations

import pytest

from gvi.defectors import services
from gvi.support.tables import OfferStatus
from tests.defectors.factories import JOINT, build_world, make_case, make_offer

S = OfferStatus
CHAINS: dict[str, tuple[OfferStatus, ...]] = {
    "offered": (S.offered,),
    "accepted": (S.offered, S.accepted),
    "declined": (S.offered, S.declined),
    "started": (S.offered, S.accepted, S.started),
    "completed": (S.offered, S.accepted, S.started, S.completed),
    "started_then_discontinued": (S.offered, S.accepted, S.started, S.discontinued),
    "discontinued_before_start": (S.offered, S.accepted, S.discontinued),
}


@pytest.mark.parametrize(
    ("offers", "expected"),
    [
        ((), False),
        (("offered",), False),
        (("accepted",), False),
        (("declined",), False),
        (("offered", "accepted", "declined"), False),
        (("discontinued_before_start",), False),
        (("started",), True),
        (("completed",), True),
        (("started_then_discontinued",), True),
        (("declined", "started_then_discontinued"), True),
    ],
)
async def test_led_to_intervention(db: None, offers: tuple[str, ...], expected: bool) -> None:
    world = await build_world(logins=False)
    case_id = await make_case(world, unit=JOINT)
    other_case = await make_case(world, unit=JOINT, reference="AH-T-0002")
    # An offer of another case, and an offer of the same person outside the case, never count.
    await make_offer(world, case_id=other_case, history=CHAINS["started"])
    await make_offer(world, history=CHAINS["started"])
    for chain in offers:
        await make_offer(world, case_id=case_id, history=CHAINS[chain])
    figures = await services.led_to_intervention([case_id])
    assert figures == {case_id: expected}
    view = await services.get_case(world.principal("sofia"), case_id)
    assert view.led_to_intervention is expected


async def test_an_offer_moving_to_started_flips_the_figure(db: None) -> None:
    from gvi.support import services as offers
    from gvi.support.schemas import OfferStatusIn

    world = await build_world(logins=False)
    case_id = await make_case(world, unit=JOINT)
    offer_id = await make_offer(world, case_id=case_id, history=CHAINS["accepted"])
    sofia = world.principal("sofia")
    assert (await services.get_case(sofia, case_id)).led_to_intervention is False
    await offers.change_offer_status(sofia, offer_id, OfferStatusIn(to_status=S.started))
    assert (await services.get_case(sofia, case_id)).led_to_intervention is True
    await offers.change_offer_status(sofia, offer_id, OfferStatusIn(to_status=S.discontinued))
    assert (await services.get_case(sofia, case_id)).led_to_intervention is True


async def test_figures_per_municipality_and_year(db: None) -> None:
    world = await build_world(logins=False)
    started = await make_case(world, unit=JOINT, reference="AH-T-0001")
    await make_offer(world, case_id=started, history=CHAINS["completed"])
    declined = await make_case(world, unit=JOINT, reference="AH-T-0002")
    await make_offer(world, case_id=declined, history=CHAINS["declined"])
    await make_case(
        world, person="jarfalla", municipality="0123", unit=JOINT, reference="AH-T-0003"
    )
    figures = await services.intervention_figures(world.principal("sofia"))
    assert [(f.municipality, f.year, f.cases, f.led_to_intervention) for f in figures] == [
        ("Järfälla", 2024, 1, 0),
        ("Sollentuna", 2024, 2, 1),
    ]
    # Scoped: a Sigtuna worker counts none of the joint unit's cases.
    assert await services.intervention_figures(world.principal("sigge")) == []
