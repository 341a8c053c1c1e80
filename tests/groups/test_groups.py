"""Groups through the pages and the API with a real sign-in: create, edit, archive,
aliases, search, scope, what analysts never see, and optimistic locking."""

from __future__ import annotations

import re

from litestar import Litestar

from gvi.groups.services import CONFLICT_GROUP
from gvi.groups.tables import Group, GroupAlias
from tests.admin.support import audit_rows, head_seq
from tests.clients import NOT_FOUND, api_send, signed_in, token
from tests.groups.support import (
    NOTES,
    OWN_NAME,
    RELATION_SOURCE,
    SOURCE,
    api_post,
    build_world,
    form_post,
    row,
)


async def test_coordinator_creates_edits_and_archives_a_group_through_the_pages(
    app: Litestar,
) -> None:
    world = await build_world()
    start = await head_seq()
    async with signed_in(app, world, "coordinator") as c:
        form = await c.get("/groups/new")
        assert form.status_code == 200
        assert 'name="csrf_token"' in form.text
        assert '<label for="name">' in form.text
        r = await form_post(
            c,
            "/groups/new",
            {
                "name": "  Nya   gänget ",
                "municipality": str(world.own),
                "area": "Stationen",
                "status": "active",
                "notes": "Rad ett\nRad två",
            },
            page="/groups/new",
        )
        assert r.status_code == 303, r.text
        group_id = int(r.headers["location"].rsplit("/", 1)[1])
        shown = await c.get(r.headers["location"])
        assert "Gruppen är upplagd." in shown.text  # the flash
        assert "Nya gänget" in shown.text
        assert "Rad ett\nRad två" in shown.text
        created = await row(Group, group_id)
        assert (created["name"], created["version"]) == ("Nya gänget", 1)

        edit = await c.get(f"/groups/{group_id}/edit")
        assert 'name="version" value="1"' in edit.text
        r = await form_post(
            c,
            f"/groups/{group_id}/edit",
            {
                "version": "1",
                "name": "Nya gänget",
                "municipality": str(world.own),
                "area": "Stationen norra",
                "status": "dormant",
                "notes": "",
            },
        )
        assert r.status_code == 303
        changed = await row(Group, group_id)
        assert (changed["area"], changed["status"], changed["version"]) == (
            "Stationen norra",
            "dormant",
            2,
        )

        # Archiving asks for confirmation first.
        r = await form_post(c, f"/groups/{group_id}/archive", {"version": "2"})
        assert r.status_code == 400
        assert 'id="archive-confirm"' in r.text
        assert 'aria-invalid="true"' in r.text
        assert (await row(Group, group_id))["archived_at"] is None
        r = await form_post(c, f"/groups/{group_id}/archive", {"version": "2", "confirm": "yes"})
        assert r.status_code == 303
        assert (await row(Group, group_id))["archived_at"] is not None  # kept, not deleted
        assert (await c.get(f"/groups/{group_id}")).status_code == 404
        listing = await c.get("/groups")
        assert "Nya gänget" not in listing.text
    actions = [a for a in ("group:create", "group:write", "group:archive")]
    for action in actions:
        (event,) = await audit_rows(start, action, target_id=group_id)
        assert event["actor_id"] == world.user_ids["coordinator"]


async def test_form_errors_keep_what_was_typed_and_point_at_the_field(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "coordinator") as c:
        r = await form_post(
            c,
            "/groups/new",
            {
                "name": "Egengänget",  # taken
                "municipality": str(world.other),  # not in scope
                "area": "Mitt område",
                "status": "active",
                "notes": "Det jag skrev",
            },
        )
        assert r.status_code == 400
        assert 'id="name-error"' in r.text
        assert 'aria-describedby="name-error"' in r.text
        assert "Det finns redan en grupp med det namnet" in r.text
        assert "Välj en av dina kommuner" in r.text
        assert "Mitt område" in r.text
        assert "Det jag skrev" in r.text
    assert await Group.count() == 3


async def test_a_stale_edit_is_refused_with_409_and_nothing_is_overwritten(
    app: Litestar,
) -> None:
    world = await build_world()
    async with signed_in(app, world, "coordinator") as c:
        base = {"municipality": str(world.own), "status": "active", "notes": NOTES}
        r = await form_post(
            c,
            f"/groups/{world.group_own}/edit",
            {**base, "version": "1", "name": "Egengänget", "area": "Först"},
        )
        assert r.status_code == 303
        # A second editor still holds version 1.
        r = await form_post(
            c,
            f"/groups/{world.group_own}/edit",
            {**base, "version": "1", "name": "Egengänget", "area": "Sen"},
        )
        assert r.status_code == 409
        assert "Någon annan har ändrat gruppen" in r.text
        assert 'value="Sen"' in r.text  # what was typed is still there to copy
        stale = await api_send(
            c, "PATCH", f"/api/v1/groups/{world.group_own}", {"version": 1, "area": "API sen"}
        )
        assert stale.status_code == 412  # If-Match names version 1; the group is at 2
        assert stale.json()["detail"] == CONFLICT_GROUP
        archive = await api_send(c, "DELETE", f"/api/v1/groups/{world.group_own}", {"version": 1})
        assert archive.status_code == 412
    current = await row(Group, world.group_own)
    assert (current["area"], current["version"], current["archived_at"]) == ("Först", 2, None)


async def test_other_municipality_groups_are_404_everywhere(app: Litestar) -> None:
    world = await build_world()
    gid = world.group_other
    async with signed_in(app, world, "coordinator") as c:
        for url in (f"/groups/{gid}", f"/groups/{gid}/edit", f"/api/v1/groups/{gid}"):
            r = await c.get(url)
            assert r.status_code == 404, url
            assert "Annangänget" not in r.text
        r = await api_send(c, "PATCH", f"/api/v1/groups/{gid}", {"version": 1, "area": "x"})
        assert r.json() == NOT_FOUND
        r = await form_post(c, f"/groups/{gid}/archive", {"version": "1", "confirm": "yes"})
        assert r.status_code == 404
        r = await api_post(c, f"/api/v1/groups/{gid}/aliases", {"alias": "x"})
        assert r.status_code == 404
        listing = await c.get("/groups")
        assert "Egengänget" in listing.text
        assert "Annangänget" not in listing.text
        api = (await c.get("/api/v1/groups")).json()
        assert [g["name"] for g in api["items"]] == ["Egengänget", "Rivalerna"]
    assert (await row(Group, gid))["archived_at"] is None


async def test_analysts_see_groups_but_never_notes_sources_or_identities(
    app: Litestar,
) -> None:
    world = await build_world()
    async with signed_in(app, world, "analyst") as c:
        bodies = []
        for url in (
            "/groups",
            f"/groups/{world.group_own}",
            f"/groups/{world.group_own}?visa=alla",
            f"/groups/{world.group_own2}",
            "/api/v1/groups",
            f"/api/v1/groups/{world.group_own}",
            f"/api/v1/groups/{world.group_own}?all_claims=true",
            f"/api/v1/memberships?group_id={world.group_own}",
            f"/api/v1/memberships/{world.membership_own}",
            "/api/v1/relations",
            f"/api/v1/relations/{world.relation_own}",
        ):
            r = await c.get(url)
            assert r.status_code == 200, url
            bodies.append(r.text)
        for body in bodies:
            for secret in (NOTES, SOURCE, RELATION_SOURCE, OWN_NAME, "g-police"):
                assert secret not in body
        detail = (await c.get(f"/api/v1/groups/{world.group_own}")).json()
        assert "notes" not in detail["group"]
        assert detail["members"][0]["person_code"] == world.person_own_code
        assert "source" not in detail["members"][0]
        assert "recorded_by" not in detail["members"][0]
        assert "source" not in detail["relations"][0]
        page = await c.get(f"/groups/{world.group_own}")
        assert world.person_own_code in page.text  # pseudonyms only
        assert "Ändra gruppen" not in page.text
        for url in (f"/groups/{world.group_own}/edit", "/groups/new", "/groups/import"):
            assert (await c.get(url)).status_code == 404


async def test_coordinators_see_notes_and_sources(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "coordinator") as c:
        page = await c.get(f"/groups/{world.group_own}")
        assert NOTES in page.text
        assert SOURCE in page.text
        assert RELATION_SOURCE in page.text
        assert OWN_NAME not in page.text
        detail = (await c.get(f"/api/v1/groups/{world.group_own}")).json()
        assert detail["group"]["notes"] == NOTES
        assert detail["members"][0]["source"] == SOURCE
        assert detail["members"][0]["recorded_by"] == "g-police"


async def test_the_member_list_is_audited_as_a_person_read(app: Litestar) -> None:
    world = await build_world()
    start = await head_seq()
    async with signed_in(app, world, "analyst") as c:
        assert (await c.get(f"/groups/{world.group_own}")).status_code == 200
    (event,) = await audit_rows(start, "person:read", target_id=world.group_own)
    assert event["actor_id"] == world.user_ids["analyst"]
    assert event["details"] == {"view": "group_members", "count": 1}


async def test_search_by_name_alias_and_area_with_filters_and_pages(app: Litestar) -> None:
    world = await build_world()
    for i in range(55):
        await Group(name=f"Sökgrupp {i:02}", municipality=world.own, status="dormant").save()
    async with signed_in(app, world, "police") as c:
        by_alias = await c.get("/groups?q=EG")
        assert "Egengänget" in by_alias.text
        by_area = await c.get("/groups?q=parken")
        assert "Rivalerna" in by_area.text
        assert "Egengänget" not in by_area.text
        first = await c.get("/groups?status=dormant")
        assert "55 grupper" in first.text
        assert "Sida 1 / 2" in first.text
        assert "Egengänget" not in first.text
        second = await c.get("/groups?status=dormant&page=2")
        assert "Sökgrupp 54" in second.text
        api = (await c.get("/api/v1/groups?status=dormant&page=2")).json()
        assert (api["total"], len(api["items"])) == (55, 5)
        empty = await c.get("/groups?q=finnsinte")
        assert "Inga grupper matchar sökningen." in empty.text
        other = await c.get(f"/groups?municipality={world.other}")
        assert "Annangänget" not in other.text


async def test_aliases_are_added_and_removed(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "coordinator") as c:
        r = await form_post(c, f"/groups/{world.group_own}/aliases", {"alias": " Torgligan "})
        assert r.status_code == 303
        r = await form_post(c, f"/groups/{world.group_own}/aliases", {"alias": "torgligan"})
        assert r.status_code == 400
        assert "redan det aliaset" in r.text
        aliases = await GroupAlias.select().where(GroupAlias.group == world.group_own)
        assert sorted(a["alias"] for a in aliases) == ["EG", "Torgligan"]
        added = await api_post(c, f"/api/v1/groups/{world.group_own}/aliases", {"alias": "TL"})
        assert added.status_code == 201
        alias_id = added.json()["id"]
        r = await form_post(c, f"/groups/{world.group_own}/aliases/{alias_id}/remove", {})
        assert r.status_code == 303
        assert await GroupAlias.count().where(GroupAlias.id == alias_id) == 0
        found = await c.get("/groups?q=Torgligan")
        assert "Egengänget" in found.text


async def test_the_api_creates_updates_and_archives(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "coordinator") as c:
        r = await api_post(
            c,
            "/api/v1/groups",
            {"name": "API-gänget", "municipality_id": world.own, "notes": "Notering"},
        )
        assert r.status_code == 201, r.text
        created = r.json()
        assert (created["name"], created["notes"], created["version"]) == (
            "API-gänget",
            "Notering",
            1,
        )
        r = await api_post(c, "/api/v1/groups", {"name": "", "municipality_id": world.other})
        assert r.status_code == 400
        assert "name:" in r.json()["detail"]
        assert "municipality:" in r.json()["detail"]
        r = await api_send(
            c, "PATCH", f"/api/v1/groups/{created['id']}", {"version": 1, "status": "dissolved"}
        )
        assert r.status_code == 200
        assert (r.json()["status"], r.json()["notes"], r.json()["version"]) == (
            "dissolved",
            "Notering",
            2,
        )
        r = await api_send(
            c, "PATCH", f"/api/v1/groups/{created['id']}", {"version": 2, "status": "x"}
        )
        assert r.status_code == 400
        r = await api_send(c, "DELETE", f"/api/v1/groups/{created['id']}", {"version": 2})
        assert r.status_code == 204
        assert (await c.get(f"/api/v1/groups/{created['id']}")).status_code == 404
    async with signed_in(app, world, "police") as c:
        # Police read groups but do not write them.
        r = await api_post(c, "/api/v1/groups", {"name": "Polisgänget", "municipality_id": 1})
        assert r.status_code == 404
        assert "Ny grupp" not in (await c.get("/groups")).text


async def test_pages_have_no_inline_script_or_style(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "coordinator") as c:
        for url in (
            "/groups",
            "/groups/new",
            f"/groups/{world.group_own}",
            f"/groups/{world.group_own}/edit",
            "/groups/import",
            "/review",
        ):
            body = (await c.get(url)).text
            # Scripts only from files (the menu's nav.js), never inline.
            assert not re.search(r"<script(?![^>]*\bsrc=)", body), url
            assert "style=" not in body, url
            assert await token(c, url)


async def test_the_openapi_schema_documents_both_shapes(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "analyst") as c:
        schema = (await c.get("/api/v1/schema/openapi.json")).json()
    for path in (
        "/api/v1/groups",
        "/api/v1/groups/import",
        "/api/v1/groups/{group_id}",
        "/api/v1/memberships",
        "/api/v1/relations/{relation_id}/confirm",
        "/api/v1/review",
    ):
        assert path in schema["paths"], path
    components = schema["components"]["schemas"]
    assert "notes" not in components["GroupOut"]["properties"]
    assert "notes" in components["GroupFullOut"]["properties"]
    assert "source" not in components["MembershipOut"]["properties"]
    assert "source" not in components["RelationOut"]["properties"]
