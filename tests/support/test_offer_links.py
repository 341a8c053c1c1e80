"""Issue 16, rule 3: an existing offer can be linked to (and moved between) a defector
case, a call-in or a custom notification after it is logged, audited; the case page
lists the person's offers not linked to the case with a one-step link; a second open
offer of the same category for the same person asks for a confirmation first."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar import Litestar

from gvi.callins.tables import CallIn, Invitation
from gvi.core.failures import FormErrors
from gvi.support import services
from gvi.support.schemas import OfferIn, OfferLinkIn
from gvi.support.tables import SupportOffer
from tests.clients import csrf_from, signed_in
from tests.defectors.audit import events_since, last_seq
from tests.defectors.factories import SOC_JARFALLA, build_world, make_case, make_offer


def _details(event: dict[str, Any]) -> dict[str, Any]:
    d = event["details"]
    return d if isinstance(d, dict) else json.loads(d)


async def _offer_row(offer_id: int) -> dict[str, Any]:
    row = await SupportOffer.select().where(SupportOffer.id == offer_id).first()
    assert row is not None
    return row


async def test_case_page_lists_unlinked_offers_and_links_in_one_step(app: Litestar) -> None:
    world = await build_world()
    case = await make_case(world, person="jarfalla", municipality="0123")
    offer = await make_offer(world, person="jarfalla", municipality="0123")
    other_person = await make_offer(world, person="jarfalla2", municipality="0123")
    async with signed_in(app, world, "sofia") as c:
        page = await c.get(f"/cases/{case}")
        assert page.status_code == 200
        assert f'action="/offers/{offer}/link"' in page.text
        assert f'action="/offers/{other_person}/link"' not in page.text
        seq = await last_seq()
        r = await c.post(
            f"/offers/{offer}/link",
            data={
                "csrf_token": csrf_from(page.text),
                "version": "1",
                "link": f"defector_case:{case}",
                "back": "case",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert r.headers["location"] == f"/cases/{case}#interventions"
        assert (await _offer_row(offer))["defector_case"] == case
        (linked,) = [e for e in await events_since(seq) if e["action"] == "offer:write"]
        assert _details(linked) == {
            "op": "link",
            "target": "defector_case",
            "from": None,
            "to": case,
        }
        assert linked["person_id"] == world.person["jarfalla"]
        after = await c.get(f"/cases/{case}")
        assert f'action="/offers/{offer}/link"' not in after.text
        assert f'href="/offers/{offer}"' in after.text  # now among the case's interventions
        # Without the CSRF token: refused.
        r = await c.post(
            f"/offers/{offer}/link",
            data={"version": "2", "link": f"defector_case:{case}"},
            follow_redirects=False,
        )
        assert r.status_code == 403


async def test_offers_move_between_records_and_refuse_other_people(db: None) -> None:
    world = await build_world(logins=False)
    sofia = world.principal("sofia")
    case = await make_case(world, person="jarfalla", municipality="0123")
    second = await make_case(
        world, person="jarfalla", municipality="0123", unit=SOC_JARFALLA, reference="AH-T-0002"
    )
    stranger = await make_case(
        world, person="jarfalla2", municipality="0123", reference="AH-T-0003"
    )
    call_in = CallIn(
        title="Call-in Järfälla",
        starts_at=datetime(2024, 2, 1, 17, tzinfo=UTC),
        ends_at=datetime(2024, 2, 1, 19, tzinfo=UTC),
        venue="Folkets hus",
        municipality=world.municipality["0123"],
        capacity=10,
        status=CallIn.Status.held,
    )
    await call_in.save()
    await Invitation(call_in=call_in.id, person=world.person["jarfalla"], status="attended").save()
    offer = await make_offer(world, person="jarfalla", municipality="0123")
    # An offer from the call-in, logged as street outreach: linked to the call-in afterwards…
    await services.link_offer(sofia, offer, OfferLinkIn(1, "call_in", call_in.id))
    row = await _offer_row(offer)
    assert (row["context"], row["call_in"]) == ("call_in", call_in.id)
    # …then to the person's defector case, keeping its origin (the figures need both).
    await services.link_offer(sofia, offer, OfferLinkIn(2, "defector_case", case))
    row = await _offer_row(offer)
    assert (row["context"], row["call_in"], row["defector_case"]) == ("call_in", call_in.id, case)
    # Moved to the person's other case.
    await services.link_offer(sofia, offer, OfferLinkIn(3, "defector_case", second))
    assert (await _offer_row(offer))["defector_case"] == second
    # Another person's case, or a call-in the person was not invited to: refused.
    with pytest.raises(FormErrors) as refused:
        await services.link_offer(sofia, offer, OfferLinkIn(4, "defector_case", stranger))
    assert "annan person" in refused.value.errors["target_id"]
    other = await make_offer(world, person="jarfalla2", municipality="0123")
    with pytest.raises(FormErrors):
        await services.link_offer(sofia, other, OfferLinkIn(1, "call_in", call_in.id))
    # A stale version: 409.
    with pytest.raises(services.Conflict):
        await services.link_offer(sofia, offer, OfferLinkIn(1, "defector_case", case))
    # Outside the user's scope: 404 (Sigtuna's worker).
    from gvi.core.failures import NotVisible

    with pytest.raises(NotVisible):
        await services.link_offer(
            world.principal("sigge"), offer, OfferLinkIn(4, "defector_case", None)
        )


async def test_api_links_an_offer(app: Litestar) -> None:
    world = await build_world()
    case = await make_case(world, person="jarfalla", municipality="0123")
    offer = await make_offer(world, person="jarfalla", municipality="0123")
    async with signed_in(app, world, "sofia") as c:
        token = csrf_from((await c.get("/")).text)
        r = await c.post(
            f"/api/v1/offers/{offer}/link",
            json={"version": 1, "target": "defector_case", "target_id": case},
            headers={"X-CSRF-Token": token},
        )
        assert r.status_code == 200
        assert r.json()["defector_case_id"] == case
        r = await c.post(
            f"/api/v1/offers/{offer}/link",
            json={"version": 2, "target": "defector_case", "target_id": 999999},
            headers={"X-CSRF-Token": token},
        )
        assert r.status_code == 400


async def test_a_second_open_offer_of_the_same_category_asks_first(app: Litestar) -> None:
    world = await build_world()
    await make_offer(world, person="jarfalla", municipality="0123")  # housing, offered
    sofia = world.principal("sofia")
    data = OfferIn(person_code=world.code["jarfalla"], category=SupportOffer.Category.housing)
    with pytest.raises(FormErrors) as asked:
        await services.create_offer(sofia, data)
    assert "redan ett öppet erbjudande om boende" in asked.value.errors["confirm_duplicate"]
    # Another category: no question.
    await services.create_offer(
        sofia,
        OfferIn(person_code=world.code["jarfalla"], category=SupportOffer.Category.employment),
    )
    async with signed_in(app, world, "sofia") as c:
        form = await c.get("/offers/new")
        fields = {
            "csrf_token": csrf_from(form.text),
            "person_code": world.code["jarfalla"],
            "category": "housing",
            "link": "street_outreach",
            "offered_on": "2024-03-02",
            "notes": "Andra gången",
        }
        first = await c.post("/offers/new", data=fields, follow_redirects=False)
        assert first.status_code == 400
        assert 'name="confirm_duplicate"' in first.text
        assert "Andra gången" in first.text  # what was typed is kept
        confirmed = await c.post(
            "/offers/new", data={**fields, "confirm_duplicate": "true"}, follow_redirects=False
        )
        assert confirmed.status_code == 303
    assert await SupportOffer.count().where(SupportOffer.category == "housing") == 2
