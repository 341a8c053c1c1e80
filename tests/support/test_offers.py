"""Offers of support: the phone form, pages and API, scope, optimistic locking,
the link between offers and defector cases, and the audit rows."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from litestar import Litestar

from gvi.core import clock
from gvi.support.tables import OfferStatus, SupportOffer, SupportOfferStatusChange
from tests.clients import NOT_FOUND, api_send, csrf_from, signed_in
from tests.defectors.audit import events_since, last_seq
from tests.defectors.factories import (
    JOINT,
    build_world,
    make_case,
    make_offer,
    make_provider,
)


class _FormControls(HTMLParser):
    """The visible controls of the first POST form, up to its submit button."""

    def __init__(self) -> None:
        super().__init__()
        self.in_form = False
        self.done = False
        self.controls: list[tuple[str, dict[str, str | None]]] = []
        self.labels: set[str] = set()
        self.viewport = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "meta" and a.get("name") == "viewport":
            self.viewport = "width=device-width" in (a.get("content") or "")
        if tag == "form" and a.get("method") == "post" and a.get("action") == "/offers/new":
            self.in_form = True
        if not self.in_form or self.done:
            return
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"] or "")
        if tag == "button" and a.get("type", "submit") == "submit":
            self.done = True
        elif tag in ("select", "textarea") or (tag == "input" and a.get("type") != "hidden"):
            self.controls.append((tag, a))


def _controls(html: str) -> _FormControls:
    parser = _FormControls()
    parser.feed(html)
    return parser


def _details(event: dict[str, Any]) -> dict[str, Any]:
    d = event["details"]
    return d if isinstance(d, dict) else json.loads(d)


async def test_phone_form_is_short_and_ready_to_go(app: Litestar) -> None:
    world = await build_world()
    await make_provider("Privat Utan Kontroll AB")
    async with signed_in(app, world, "jonna") as c:
        page = await c.get("/offers/new")
        assert page.status_code == 200
        form = _controls(page.text)
        assert form.viewport
        assert form.done, "the form has a submit button"
        assert len(form.controls) <= 8
        # Every control has a label, a date is a native date input defaulting to today,
        # the code box needs no shift key on a phone.
        for _tag, attrs in form.controls:
            assert attrs.get("id") in form.labels
        by_name = {a.get("name"): (t, a) for t, a in form.controls}
        assert by_name["offered_on"][1].get("type") == "date"
        assert by_name["offered_on"][1].get("value") == clock.today().isoformat()
        assert by_name["person_code"][1].get("autocapitalize") == "characters"
        assert by_name["cost"][1].get("inputmode") == "decimal"
        # An unchecked private provider is flagged in the list.
        assert "⚠ Privat Utan Kontroll AB" in page.text
        # No inline script or style anywhere (strict CSP).
        assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)  # only script files
        assert "style=" not in page.text


async def test_logging_an_offer_from_the_phone(app: Litestar) -> None:
    world = await build_world()
    provider = await make_provider("Boende Test AB")
    async with signed_in(app, world, "jonna") as c:
        page = await c.get("/offers/new")
        bad = await c.post(
            "/offers/new",
            data={
                "person_code": "P-SIG1",  # Sigtuna: not in Jonna's scope
                "category": "housing",
                "link": "street_outreach",
                "provider_id": str(provider),
                "offered_on": "2024-05-02",
                "cost": "4 500,50",
                "notes": "Träffades vid centrum",
                "csrf_token": csrf_from(page.text),
            },
        )
        assert bad.status_code == 400
        assert "Ingen person med den koden" in bad.text
        assert 'aria-invalid="true" aria-describedby="person_code-error"' in bad.text
        # What was typed is kept.
        assert 'value="P-SIG1"' in bad.text
        assert 'value="4 500,50"' in bad.text
        assert "Träffades vid centrum" in bad.text
        assert f'<option value="{provider}" selected>' in bad.text

        ok = await c.post(
            "/offers/new",
            data={
                "person_code": "p-jar1",
                "category": "housing",
                "link": "street_outreach",
                "provider_id": str(provider),
                "offered_on": "2024-05-02",
                "cost": "4 500,50",
                "notes": "",
                "csrf_token": csrf_from(page.text),
            },
            follow_redirects=False,
        )
        assert ok.status_code == 303, ok.text
        shown = await c.get(ok.headers["location"])
        assert "Erbjudandet är registrerat" in shown.text
        assert "P-JAR1" in shown.text
    offer = await SupportOffer.objects().first()
    assert offer is not None
    assert offer.status == OfferStatus.offered
    assert offer.cost == Decimal("4500.50")
    assert offer.municipality == world.municipality["0123"]
    history = await SupportOfferStatusChange.select().where(
        SupportOfferStatusChange.offer == offer.id
    )
    assert [(h["from_status"], h["to_status"]) for h in history] == [(None, "offered")]


async def test_offer_linked_to_a_case_shows_on_both_pages(app: Litestar) -> None:
    world = await build_world()
    case_id = await make_case(world, unit=JOINT)
    async with signed_in(app, world, "sofia") as c:
        case_page = await c.get(f"/cases/{case_id}")
        assert f'href="/offers/new?case={case_id}"' in case_page.text
        form = await c.get(f"/offers/new?case={case_id}")
        # Prefilled: the case's person and the case as context.
        assert 'value="P-SOL1"' in form.text
        assert f'<option value="defector_case:{case_id}" selected>' in form.text
        r = await c.post(
            "/offers/new",
            data={
                "person_code": "P-SOL1",
                "category": "mentor",
                "link": f"defector_case:{case_id}",
                "offered_on": "2024-05-02",
                "csrf_token": csrf_from(form.text),
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        offer_url = r.headers["location"]
        offer_page = await c.get(offer_url)
        assert f'href="/cases/{case_id}">AH-T-0001</a>' in offer_page.text
        case_page = await c.get(f"/cases/{case_id}")
        assert f'href="{offer_url}"' in case_page.text
        assert "Mentor eller kontaktperson" in case_page.text
        api_case = (await c.get(f"/api/v1/cases/{case_id}")).json()
        assert [i["category"] for i in api_case["interventions"]] == ["mentor"]
        api_offers = (await c.get(f"/api/v1/offers?case={case_id}")).json()
        assert [o["case_reference"] for o in api_offers["items"]] == ["AH-T-0001"]
        # The offer's municipality is the case's home municipality.
        offer = await SupportOffer.objects().first()
        assert offer is not None
        assert offer.municipality == world.municipality["0163"]


async def test_case_linked_offers_follow_the_case_scope(app: Litestar) -> None:
    """A Järfälla worker outside the joint unit neither sees the Järfälla person's
    case nor its offers: an offer must not reveal that a defector case exists."""
    world = await build_world()
    case_id = await make_case(world, person="jarfalla", municipality="0123", unit=JOINT)
    linked = await make_offer(world, person="jarfalla", municipality="0123", case_id=case_id)
    street = await make_offer(world, person="jarfalla", municipality="0123")
    async with signed_in(app, world, "jonna") as c:
        assert (await c.get(f"/offers/{street}")).status_code == 200
        assert (await c.get(f"/offers/{linked}")).status_code == 404
        listed = (await c.get("/api/v1/offers")).json()["items"]
        assert [o["id"] for o in listed] == [street]
    async with signed_in(app, world, "sigge") as c:
        assert (await c.get(f"/offers/{street}")).status_code == 404
        assert (await c.get(f"/api/v1/offers/{street}")).json() == NOT_FOUND
        token = csrf_from((await c.get("/")).text)
        r = await c.post(
            f"/api/v1/offers/{street}/status",
            json={"to_status": "accepted"},
            headers={"X-CSRF-Token": token},
        )
        assert r.status_code == 404


async def test_status_changes_on_the_page_and_refusals_in_swedish(app: Litestar) -> None:
    world = await build_world()
    offer_id = await make_offer(world, person="jarfalla", municipality="0123")
    async with signed_in(app, world, "jonna") as c:
        page = await c.get(f"/offers/{offer_id}")
        token = csrf_from(page.text)
        assert 'name="to_status" value="accepted"' in page.text
        assert 'name="to_status" value="started"' not in page.text
        r = await c.post(
            f"/offers/{offer_id}/status",
            data={"from_status": "offered", "to_status": "started", "csrf_token": token},
        )
        assert r.status_code == 400
        assert "Erbjudandet måste accepteras innan insatsen kan påbörjas." in r.text
        r = await c.post(
            f"/offers/{offer_id}/status",
            data={
                "from_status": "offered",
                "to_status": "accepted",
                "changed_on": "2024-03-05",
                "note": "Ringde upp",
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert r.status_code == 303
        shown = await c.get(f"/offers/{offer_id}")
        assert "Erbjudandet är nu accepterat" in shown.text
        assert "Ringde upp" in shown.text
        # The same form again: the offer has moved on, so 409.
        r = await c.post(
            f"/offers/{offer_id}/status",
            data={"from_status": "offered", "to_status": "declined", "csrf_token": token},
        )
        assert r.status_code == 409
        api = await c.post(
            f"/api/v1/offers/{offer_id}/status",
            json={"to_status": "completed"},
            headers={"X-CSRF-Token": token},
        )
        assert api.status_code == 400
        assert api.json()["detail"] == "Insatsen måste påbörjas innan den kan slutföras."


async def test_edits_are_optimistically_locked(app: Litestar) -> None:
    world = await build_world()
    offer_id = await make_offer(world, person="jarfalla", municipality="0123")
    async with signed_in(app, world, "jonna") as c:
        page = await c.get(f"/offers/{offer_id}")
        token = csrf_from(page.text)
        first = await c.post(
            f"/offers/{offer_id}/edit",
            data={"version": "1", "notes": "Första", "cost": "100", "csrf_token": token},
            follow_redirects=False,
        )
        assert first.status_code == 303
        stale = await c.post(
            f"/offers/{offer_id}/edit",
            data={"version": "1", "notes": "Andra", "csrf_token": token},
        )
        assert stale.status_code == 409
        assert "Någon annan har ändrat erbjudandet" in stale.text
        api = await api_send(
            c, "PATCH", f"/api/v1/offers/{offer_id}", {"version": 1, "notes": "Tredje"}
        )
        assert api.status_code == 412
        api = await api_send(
            c, "PATCH", f"/api/v1/offers/{offer_id}", {"version": 2, "notes": "Tredje"}
        )
        assert api.status_code == 200
        assert api.json()["notes"] == "Tredje"
        assert Decimal(api.json()["cost"]) == Decimal("100")
        assert api.json()["version"] == 3


async def test_list_search_filter_and_pages(app: Litestar) -> None:
    world = await build_world()
    for _ in range(51):
        await make_offer(world, person="jarfalla", municipality="0123")
    await make_offer(
        world,
        person="jarfalla2",
        municipality="0123",
        history=(OfferStatus.offered, OfferStatus.declined),
    )
    async with signed_in(app, world, "jonna") as c:
        first = await c.get("/offers")
        assert "52 erbjudanden" in first.text
        assert "Sida 1 / 2" in first.text
        second = (await c.get("/api/v1/offers?page=2")).json()
        assert second["total"] == 52
        assert len(second["items"]) == 2
        declined = (await c.get("/api/v1/offers?status=declined")).json()
        assert [o["person_code"] for o in declined["items"]] == ["P-JAR2"]
        by_code = await c.get("/offers?q=p-jar2")
        assert "1 erbjudande<" in by_code.text
        nothing = await c.get("/offers?category=tattoo_removal")
        assert "Inga erbjudanden matchar sökningen." in nothing.text
    async with signed_in(app, world, "sigge") as c:
        empty = await c.get("/offers")
        assert "Inga erbjudanden är registrerade ännu." in empty.text
        assert "Nytt erbjudande" in empty.text


async def test_reads_and_writes_are_audited(app: Litestar) -> None:
    world = await build_world()
    offer_id = await make_offer(world, person="jarfalla", municipality="0123")
    async with signed_in(app, world, "jonna") as c:
        token = csrf_from((await c.get("/")).text)
        before = await last_seq()
        await c.get("/offers")
        await c.get(f"/offers/{offer_id}")
        await c.post(
            f"/api/v1/offers/{offer_id}/status",
            json={"to_status": "accepted"},
            headers={"X-CSRF-Token": token},
        )
        created = await c.post(
            "/api/v1/offers",
            json={"person_code": "P-JAR2", "category": "leisure"},
            headers={"X-CSRF-Token": token},
        )
        assert created.status_code == 201, created.text
        events = await events_since(before)
    actions = [e["action"] for e in events]
    assert actions[:2] == ["offer:list", "offer:read"]
    assert "offer:write" in actions
    writes = [e for e in events if e["action"] == "offer:write"]
    assert [_details(w)["op"] for w in writes] == ["status", "create"]
    assert {w["actor_id"] for w in writes} == {world.user["jonna"]}
    reads = [e for e in events if e["action"] == "offer:read"]
    assert reads[0]["person_id"] == world.person["jarfalla"]
    # Ids and tokens only: never the person code or free text.
    for e in events:
        assert "P-JAR" not in json.dumps(_details(e))


async def test_police_coordinators_and_analysts_get_404(app: Litestar) -> None:
    from tests.factories import make_user

    world = await build_world()
    offer_id = await make_offer(world, person="jarfalla", municipality="0123")
    await make_user("samordnare", "coordinator", municipality_codes=["0123"])
    await make_user("analytiker", "analyst", municipality_codes=["0123"])
    async with signed_in(app, world, "polis") as c:
        for url in ("/offers", f"/offers/{offer_id}", "/offers/new", "/api/v1/offers"):
            assert (await c.get(url)).status_code == 404, url
        home = await c.get("/")
        assert 'href="/offers"' not in home.text
        assert 'href="/cases"' not in home.text
