"""The REST conventions of /api/v1 (gvi/core/rest.py, gvi/core/errors.py), on the
real app and database: ETag and If-Match (428 without, 412 when stale), 409 for a
stale version in a body, DELETE archives, 201 with a Location that resolves,
page_size with Link headers, unknown filter values refused, and problem+json
errors in the request's language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from gvi.core.failures import FormErrors
from gvi.core.paging import page_links
from gvi.core.rest import if_match_version, known_values
from gvi.groups.tables import Group
from tests.clients import api_send, signed_in, token
from tests.factories import group
from tests.groups.support import build_world

PROBLEM = "application/problem+json"


def _links(header: str) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', header)}


# --- the pure parts ---------------------------------------------------------------------


def test_page_links_keep_the_query_and_change_only_the_page() -> None:
    links = _links(
        page_links(
            "/api/v1/groups",
            [("q", "gänget"), ("page", "2"), ("page_size", "10")],
            page=2,
            size=10,
            total=35,
        )
    )
    assert links == {
        "first": "/api/v1/groups?q=g%C3%A4nget&page=1&page_size=10",
        "prev": "/api/v1/groups?q=g%C3%A4nget&page=1&page_size=10",
        "next": "/api/v1/groups?q=g%C3%A4nget&page=3&page_size=10",
        "last": "/api/v1/groups?q=g%C3%A4nget&page=4&page_size=10",
    }
    only = _links(page_links("/x", [], page=1, size=50, total=0))
    assert only == {"first": "/x?page=1&page_size=50", "last": "/x?page=1&page_size=50"}


def test_if_match_names_one_version() -> None:
    assert if_match_version('"7"') == 7
    assert if_match_version(' W/"12" ') == 12
    for bad in ("7", '"x"', '"1", "2"', "*"):
        with pytest.raises(FormErrors) as refused:
            if_match_version(bad)
        assert "If-Match" in refused.value.errors


def test_an_unknown_filter_value_is_named() -> None:
    assert known_values(["a", "b"], {"a", "b", "c"}, "kinds") == ["a", "b"]
    assert known_values(None, {"a"}, "kinds") is None
    with pytest.raises(FormErrors) as refused:
        known_values(["a", "bogus"], {"a", "b"}, "kinds")
    assert refused.value.errors == {"kinds": "Okänt värde 'bogus'. Tillåtna värden: a, b."}


# --- on the app -------------------------------------------------------------------------


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert (body["status"], body["status_code"], body["type"]) == (status, status, "about:blank")
    return body


async def test_a_group_is_created_read_patched_and_archived_the_rest_way(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "coordinator") as c:
        csrf = {"X-CSRF-Token": await token(c)}
        r = await c.post(
            "/api/v1/groups",
            json={"name": "Nyagänget", "municipality_id": world.own},
            headers=csrf,
        )
        assert r.status_code == 201, r.text
        location = r.headers["location"]
        assert location == f"/api/v1/groups/{r.json()['id']}"
        assert r.headers["etag"] == '"1"'
        shown = await c.get(location)
        assert shown.status_code == 200
        assert shown.json()["group"]["name"] == "Nyagänget"
        assert shown.headers["etag"] == '"1"'
        group_id = r.json()["id"]

        missing = await c.patch(location, json={"area": "Torget"}, headers=csrf)
        body = _problem(missing, 428)
        assert body["title"] == "Version saknas"
        assert "If-Match" in body["detail"]
        malformed = await c.patch(
            location, json={"area": "Torget"}, headers={**csrf, "If-Match": "1"}
        )
        assert _problem(malformed, 400)["errors"][0]["field"] == "If-Match"

        r = await api_send(c, "PATCH", location, {"version": 1, "area": "Torget"})
        assert r.status_code == 200, r.text
        assert (r.json()["area"], r.json()["version"], r.headers["etag"]) == ("Torget", 2, '"2"')
        stale = await api_send(c, "PATCH", location, {"version": 1, "area": "Parken"})
        body = _problem(stale, 412)
        assert body["title"] == "Uppgifterna har ändrats"
        stale_delete = await api_send(c, "DELETE", location, {"version": 1})
        _problem(stale_delete, 412)
        assert (await Group.select(Group.area).where(Group.id == group_id).first()) == {
            "area": "Torget"
        }

        gone = await api_send(c, "DELETE", location, {"version": 2})
        assert gone.status_code == 204
        assert (await c.get(location)).status_code == 404
    row = await Group.select(Group.archived_at, Group.version).where(Group.id == group_id).first()
    assert row is not None
    assert row["archived_at"] is not None  # archived, not deleted
    assert row["version"] == 3


async def test_a_stale_version_in_a_body_is_409(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "police") as c:
        url = f"/api/v1/memberships/{world.membership_own}"
        assert (await c.get(url)).headers["etag"] == '"1"'
        r = await c.post(
            f"{url}/end", json={"version": 5}, headers={"X-CSRF-Token": await token(c)}
        )
        body = _problem(r, 409)
        assert body["title"] == "Konflikt"


async def test_lists_take_a_page_size_and_link_their_pages(app: Litestar) -> None:
    world = await build_world()
    for n in range(3):
        await group(f"Sidgänget {n}", world.own)
    async with signed_in(app, world, "coordinator") as c:
        # Five groups in the coordinator's municipality, two to a page.
        first = await c.get("/api/v1/groups?page_size=2")
        assert first.status_code == 200
        assert (first.json()["total"], first.json()["page_size"]) == (5, 2)
        assert len(first.json()["items"]) == 2
        links = _links(first.headers["link"])
        assert set(links) == {"first", "next", "last"}
        assert links["last"] == "/api/v1/groups?page=3&page_size=2"
        second = await c.get(links["next"])
        assert set(_links(second.headers["link"])) == {"first", "prev", "next", "last"}
        assert {g["id"] for g in first.json()["items"]}.isdisjoint(
            g["id"] for g in second.json()["items"]
        )
        widest = await c.get("/api/v1/groups?page_size=200")
        assert widest.status_code == 200
        assert len(widest.json()["items"]) == 5
        for too_many in ("201", "0"):
            body = _problem(await c.get(f"/api/v1/groups?page_size={too_many}"), 400)
            assert body["detail"] == "Sidstorleken får vara 1–200."
            assert body["errors"][0]["field"] == "page_size"


async def test_an_unknown_filter_value_is_a_400_in_the_request_language(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "coordinator") as c:
        body = _problem(await c.get("/api/v1/groups?status=bogus"), 400)
        assert body["title"] == "Felaktig begäran"
        assert body["errors"] == [
            {
                "field": "status",
                "message": "Okänt värde 'bogus'. Tillåtna värden: active, dissolved, dormant.",
            }
        ]
        kinds = _problem(await c.get("/api/v1/network/groups?kinds=alliance&kinds=bogus"), 400)
        assert kinds["errors"][0]["field"] == "kinds"
        assert "'bogus'" in kinds["errors"][0]["message"]
        made = await c.post(
            "/api/v1/tokens",
            json={
                "name": "Klient",
                "permissions": ["groups:read"],
                "days": 1,
                "municipality_ids": [world.own],
            },
            headers={"X-CSRF-Token": await token(c)},
        )
        assert made.status_code == 201, made.text
    # An API client (a token, no session) says which language it reads.
    english = {"Authorization": f"Bearer {made.json()['secret']}", "Accept-Language": "en"}
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as bare:
        body = _problem(await bare.get("/api/v1/groups?status=bogus", headers=english), 400)
        assert body["title"] == "Bad request"
        assert body["errors"][0]["message"].startswith("Unknown value 'bogus'. Allowed values:")
        missing = _problem(await bare.get("/api/v1/groups/999999", headers=english), 404)
        assert (missing["title"], missing["detail"]) == ("Not found", "Not found")
