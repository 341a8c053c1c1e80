"""Saved views of the group network through the real pages: an analyst saves the
filters, date, centre, colouring and positions with a note; opening re-renders the
same picture within the opener's scope now and is audited; another user's view
is a 404; bad input is a 400 with a Swedish message and what was typed kept."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from litestar import Litestar

from gvi.audit.tables import AuditEvent
from gvi.groups.tables import Group
from gvi.networks import saved
from gvi.networks.tables import SavedView
from tests.clients import signed_in, token
from tests.networks.world import BEFORE_END, build_world

_EMBEDDED = re.compile(
    r'<script type="application/json" id="network-figure-data"[^>]*>(.*?)</script>', re.S
)


def _figure(html: str) -> dict[str, Any]:
    match = _EMBEDDED.search(html)
    assert match, "the saved view's figure is embedded in the page"
    payload: dict[str, Any] = json.loads(match.group(1))
    figure: dict[str, Any] = payload["figure"]
    return figure


async def _save(c: Any, world: Any, **fields: Any) -> Any:
    data = {
        "csrf_token": await token(c, "/network/views/new"),
        "as_of": BEFORE_END.isoformat(),
        "municipality": str(world.own),
        "kinds": ["alliance", "rivalry", "truce"],
        "colour": "municipality",
        "name": "Norra konflikten",
        "note": "Rivaliteten Norr–Södra inför mötet.",
        **fields,
    }
    return await c.post("/network/views", data=data, follow_redirects=False)


async def test_save_open_and_remove_a_view(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "analyst") as c:
        r = await _save(c, world)
        assert r.status_code == 303, r.text
        location = r.headers["location"]
        view_id = int(location.rsplit("/", 1)[1])
        stored = await SavedView.select().where(SavedView.id == view_id).first()
        assert stored is not None
        params = saved.ViewParams.from_json(
            json.loads(stored["params"]) if isinstance(stored["params"], str) else stored["params"]
        )
        assert params.as_of == BEFORE_END
        assert params.colour == "municipality"
        assert params.kinds == ("alliance", "rivalry", "truce")
        assert set(params.pins) == {world.groups[k] for k in ("norr", "sodra", "ostra", "vastra")}

        listing = await c.get("/network/views")
        assert listing.status_code == 200
        assert "Norra konflikten" in listing.text
        assert "Rivaliteten Norr–Södra inför mötet." in listing.text

        before = await AuditEvent.count().where(AuditEvent.target_type == "saved_view")
        page = await c.get(location)
        assert page.status_code == 200
        assert "Norra konflikten" in page.text
        figure = _figure(page.text)
        # The same picture: every group where it was saved, coloured by municipality.
        assert saved.positions(figure) == params.pins
        assert figure["layout"]["legend"]["title"]["text"] == "Kommun"
        assert 'id="groups-table" data-sortable' in page.text
        events = (
            await AuditEvent.select()
            .where(AuditEvent.target_type == "saved_view")
            .order_by(AuditEvent.seq, ascending=False)
        )
        assert len(events) == before + 1
        assert events[0]["action"] == "network:read"
        assert events[0]["target_id"] == str(view_id)

        # A group archived since is simply not drawn; the rest stay pinned.
        await Group.update({Group.archived_at: datetime.now(tz=UTC)}).where(
            Group.id == world.groups["vastra"]
        )
        again = _figure((await c.get(location)).text)
        shown = saved.positions(again)
        assert world.groups["vastra"] not in shown
        assert shown == {k: v for k, v in params.pins.items() if k != world.groups["vastra"]}

        r = await c.post(
            f"/network/views/{view_id}/delete",
            data={"csrf_token": await token(c, "/network/views")},
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert "Norra konflikten" not in (await c.get("/network/views")).text
        assert (await c.get(location)).status_code == 404


async def test_an_ego_view_keeps_its_centre(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "analyst") as c:
        r = await _save(c, world, center=str(world.groups["norr"]), radius="1", name="Norr")
        assert r.status_code == 303, r.text
        page = await c.get(r.headers["location"])
        assert page.status_code == 200
        shown = saved.positions(_figure(page.text))
        # Norrgänget and its neighbours only (radius 1): not the truce partner's partner.
        assert world.groups["norr"] in shown
        assert world.groups["vastra"] not in shown


async def test_bad_input_is_a_400_that_keeps_what_was_typed(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "analyst") as c:
        r = await _save(c, world, name="  ", note="Min anteckning")
        assert r.status_code == 400
        assert "Ge vyn ett namn." in r.text
        assert "Min anteckning" in r.text
        r = await _save(c, world, as_of="2024-13-40", radius="7", colour="rosa")
        assert r.status_code == 400
        assert "ÅÅÅÅ-MM-DD" in r.text
        assert "Välj ett avstånd i listan." in r.text
        assert await SavedView.count() == 0


async def test_views_are_their_owners_alone(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "analyst") as c:
        r = await _save(c, world)
        location = r.headers["location"]
    view_id = int(location.rsplit("/", 1)[1])
    async with signed_in(app, world, "analyst2") as c:
        assert "Norra konflikten" not in (await c.get("/network/views")).text
        assert (await c.get(location)).status_code == 404
        r = await c.post(
            f"/network/views/{view_id}/delete",
            data={"csrf_token": await token(c, "/network/views")},
            follow_redirects=False,
        )
        assert r.status_code == 404
        assert (await c.get("/network/views/999999")).status_code == 404
    # Without the permission (a coordinator), the pages are refused outright.
    async with signed_in(app, world, "coordinator") as c:
        assert (await c.get("/network/views")).status_code in (403, 404)
        assert (await c.get(location)).status_code in (403, 404)
        assert "Sparade vyer" not in (await c.get("/network")).text
    assert await SavedView.count().where(SavedView.archived_at.is_null()) == 1
