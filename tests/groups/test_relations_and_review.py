"""Relations between groups (validation in Swedish, version checks, scope) and the
review queue of claims past their review date (confirm or end, audited)."""

from __future__ import annotations

from datetime import date, timedelta

from litestar import Litestar

from gvi.core import clock
from gvi.groups.services import CONFLICT_RELATION
from gvi.groups.tables import GroupRelation, Membership
from tests.admin.support import audit_rows, head_seq
from tests.clients import api_send, signed_in
from tests.groups.support import (
    RELATION_SOURCE,
    SOURCE,
    World,
    api_post,
    build_world,
    form_post,
    row,
)


async def test_relation_validation_speaks_swedish_and_writes_nothing(app: Litestar) -> None:
    world = await build_world()
    before = await GroupRelation.count()
    async with signed_in(app, world, "police") as c:
        r = await form_post(
            c,
            "/relations/new",
            {
                "group_a": str(world.group_own),
                "group_b": str(world.group_own),
                "kind": "alliance",
                "intensity": "7",
                "confidence": "medium",
                "valid_from": "2024-05-01",
                "valid_to": "2024-04-01",
                "source": "Det jag skrev",
            },
        )
        assert r.status_code == 400
        assert "En grupp kan inte ha en relation till sig själv." in r.text
        assert "1 (svag) till 5 (stark)" in r.text
        assert "Giltig till kan inte ligga före giltig från." in r.text
        for key in ("group_b", "intensity", "valid_to"):
            assert f'id="{key}-error"' in r.text, key
            assert f'aria-describedby="{key}-error' in r.text, key
        assert "Det jag skrev" in r.text
        r = await form_post(
            c,
            "/relations/new",
            {"group_a": str(world.group_own), "group_b": str(world.group_other), "kind": "x"},
        )
        assert r.status_code == 400
        assert "Välj den andra gruppen i listan." in r.text
        assert "Välj typ av relation" in r.text
        r = await api_post(
            c,
            "/api/v1/relations",
            {
                "group_a_id": world.group_own,
                "group_b_id": world.group_own,
                "kind": "rivalry",
                "intensity": 0,
            },
        )
        assert r.status_code == 400
        assert "group_b:" in r.json()["detail"]
        assert "intensity:" in r.json()["detail"]
    assert await GroupRelation.count() == before


async def test_police_create_edit_and_archive_relations(app: Litestar) -> None:
    world = await build_world()
    start = await head_seq()
    async with signed_in(app, world, "police") as c:
        form = await c.get(f"/relations/new?group_id={world.group_own2}")
        assert f'<option value="{world.group_own2}" selected>' in form.text
        assert "Annangänget" not in form.text  # only groups in scope to choose from
        r = await form_post(
            c,
            "/relations/new",
            {
                "group_a": str(world.group_own2),
                "group_b": str(world.group_own),
                "kind": "splinter_of",
                "intensity": "2",
                "confidence": "high",
                "valid_from": "2024-06-01",
                "review_by": "2025-06-01",
                "source": "Avhoppare",
            },
        )
        assert r.status_code == 303, r.text
        assert r.headers["location"] == f"/groups/{world.group_own2}"
        created = (
            await GroupRelation.objects()
            .where(GroupRelation.kind == GroupRelation.Kind.splinter_of)
            .first()
        )
        assert created is not None
        assert (created.source_group, created.target_group) == (
            world.group_own2,
            world.group_own,
        )
        page = await c.get(f"/groups/{world.group_own}")
        assert "Utbrytargrupp ur" in page.text
        r = await form_post(
            c,
            f"/relations/{created.id}/edit",
            {
                "version": "1",
                "kind": "rivalry",
                "intensity": "5",
                "confidence": "high",
                "valid_from": "2024-06-01",
                "source": "Avhoppare",
            },
        )
        assert r.status_code == 303
        r = await form_post(
            c,
            f"/relations/{created.id}/edit",
            {"version": "1", "kind": "truce", "intensity": "1", "confidence": "low"},
        )
        assert r.status_code == 409
        assert "Någon annan har ändrat relationen" in r.text
        api = await api_send(
            c, "PATCH", f"/api/v1/relations/{created.id}", {"version": 1, "intensity": 1}
        )
        assert api.status_code == 412
        assert api.json()["detail"] == CONFLICT_RELATION
        r = await form_post(
            c, f"/relations/{created.id}/archive", {"version": "2", "confirm": "yes"}
        )
        assert r.status_code == 303
    current = await row(GroupRelation, created.id)
    assert (current["kind"], current["intensity"], current["version"]) == ("rivalry", 5, 3)
    assert current["archived_at"] is not None
    events = await audit_rows(start, "relation:write", target_id=created.id)
    assert [e["details"]["op"] for e in events] == ["create", "update", "archive"]


async def test_a_cross_border_relation_is_visible_but_not_writable(app: Litestar) -> None:
    world = await build_world()
    across = GroupRelation(
        source_group=world.group_own,
        target_group=world.group_other,
        kind=GroupRelation.Kind.rivalry,
        intensity=5,
        source="Över gränsen",
    )
    await across.save()
    async with signed_in(app, world, "police") as c:
        page = await c.get(f"/groups/{world.group_own}")
        assert "Annangänget" in page.text
        assert f"/groups/{world.group_other}" not in page.text  # no link out of scope
        assert f"/relations/{across.id}/edit" not in page.text
        assert (await c.get(f"/api/v1/relations/{across.id}")).status_code == 200
        assert (await c.get(f"/relations/{across.id}/edit")).status_code == 404
        r = await api_send(
            c, "PATCH", f"/api/v1/relations/{across.id}", {"version": 1, "intensity": 1}
        )
        assert r.status_code == 404
    assert (await row(GroupRelation, across.id))["intensity"] == 5


async def _due(w: World) -> tuple[int, int, int]:
    """A past-due membership and relation in scope, and one outside it."""
    past = clock.today() - timedelta(days=3)
    m = Membership(
        person=w.person_own,
        group=w.group_own2,
        source=SOURCE,
        valid_from=date(2023, 1, 1),
        review_by=past,
    )
    await m.save()
    r = GroupRelation(
        source_group=w.group_own2,
        target_group=w.group_own,
        kind=GroupRelation.Kind.alliance,
        intensity=2,
        source=RELATION_SOURCE,
        valid_from=date(2023, 1, 1),
        review_by=past,
    )
    await r.save()
    # Past due but outside the scope: not in anyone's queue here.
    other = Membership(
        person=w.person_other,
        group=w.group_other,
        review_by=past,
    )
    await other.save()
    return m.id, r.id, other.id


async def test_the_review_queue_lists_past_due_claims_for_police_and_coordinators(
    app: Litestar,
) -> None:
    world = await build_world()
    membership_id, relation_id, other_id = await _due(world)
    start = await head_seq()
    async with signed_in(app, world, "coordinator") as c:
        page = await c.get("/review")
        assert page.status_code == 200
        assert "Medlemskap (1)" in page.text
        assert "Relationer (1)" in page.text
        assert world.person_own_code in page.text
        assert SOURCE in page.text
        assert "Polisen bekräftar eller avslutar" in page.text
        assert f"/review/memberships/{membership_id}/confirm" not in page.text  # read only
        api = (await c.get("/api/v1/review")).json()
        assert [m["id"] for m in api["memberships"]] == [membership_id]
        assert [r["id"] for r in api["relations"]] == [relation_id]
        assert other_id not in [m["id"] for m in api["memberships"]]
    async with signed_in(app, world, "police") as c:
        page = await c.get("/review")
        assert f"/review/memberships/{membership_id}/confirm" in page.text
        assert f"/review/relations/{relation_id}/end" in page.text
    for role in ("analyst", "outreach"):
        async with signed_in(app, world, role) as c:
            assert (await c.get("/review")).status_code == 404
            assert (await c.get("/api/v1/review")).status_code == 404
    reads = await audit_rows(start, "person:read", actor_id=world.user_ids["coordinator"])
    assert any(e["details"].get("view") == "review" for e in reads)


async def test_the_review_queue_is_searched_by_group_name(app: Litestar) -> None:
    world = await build_world()
    membership_id, relation_id, _ = await _due(world)
    async with signed_in(app, world, "police") as c:
        # g2 "Rivalerna" holds the membership and is the source of the relation.
        page = await c.get("/review", params={"group": "rival"})
        assert page.status_code == 200
        assert 'value="rival"' in page.text
        assert f"/review/memberships/{membership_id}/confirm" in page.text
        assert f"/review/relations/{relation_id}/end" in page.text
        # The relation's other end (Egengänget) finds the relation, not the membership.
        page = await c.get("/review", params={"group": "egengänget"})
        assert f"/review/relations/{relation_id}/end" in page.text
        assert f"/review/memberships/{membership_id}/confirm" not in page.text
        assert "Inga medlemskap i grupper som matchar sökningen" in page.text
        page = await c.get("/review", params={"group": "finns-inte"})
        assert "Medlemskap (0)" in page.text
        assert "Relationer (0)" in page.text
        api = (await c.get("/api/v1/review", params={"group": "Egengänget"})).json()
        assert api["memberships"] == []
        assert [r["id"] for r in api["relations"]] == [relation_id]
        # LIKE wildcards are text, not patterns.
        api = (await c.get("/api/v1/review", params={"group": "%"})).json()
        assert api["memberships_total"] == 1


async def test_confirm_and_end_take_claims_out_of_the_queue(app: Litestar) -> None:
    world = await build_world()
    membership_id, relation_id, _ = await _due(world)
    start = await head_seq()
    async with signed_in(app, world, "police") as c:
        # A review date in the past is refused, at the row it belongs to.
        r = await form_post(
            c,
            f"/review/memberships/{membership_id}/confirm",
            {"version": "1", "review_by": "2020-01-01"},
        )
        assert r.status_code == 400
        assert "Ange ett nytt granskningsdatum efter i dag." in r.text
        assert f'id="m{membership_id}-confirm-review_by-error"' in r.text
        r = await form_post(
            c,
            f"/review/memberships/{membership_id}/confirm",
            {"version": "1", "review_by": "2099-01-31"},
        )
        assert r.status_code == 303
        assert "bekräftat" in (await c.get("/review")).text
        # The page still held version 1: a second action on it conflicts.
        r = await form_post(
            c,
            f"/review/memberships/{membership_id}/end",
            {"version": "1", "valid_to": ""},
        )
        assert r.status_code == 409
        assert "Någon annan har ändrat medlemskapet" in r.text
        r = await form_post(
            c,
            f"/review/relations/{relation_id}/end",
            {"version": "1", "valid_to": "2022-01-01"},
        )
        assert r.status_code == 400  # before valid_from
        r = await form_post(
            c,
            f"/review/relations/{relation_id}/end",
            {"version": "1", "valid_to": "2024-06-30"},
        )
        assert r.status_code == 303
        page = await c.get("/review")
        assert "Medlemskap (0)" in page.text
        assert "Relationer (0)" in page.text
        assert "Inga medlemskap väntar på granskning." in page.text
    m = await row(Membership, membership_id)
    assert (m["review_by"], m["version"]) in ((date(2099, 1, 31), 2), ("2099-01-31", 2))
    rel = await row(GroupRelation, relation_id)
    assert str(rel["valid_to"]) == "2024-06-30"
    assert rel["review_by"] is None
    (confirm,) = await audit_rows(start, "membership:write", target_id=membership_id)
    assert confirm["details"]["op"] == "confirm"
    assert confirm["person_id"] == world.person_own
    (end,) = await audit_rows(start, "relation:write", target_id=relation_id)
    assert end["details"]["op"] == "end"


async def test_confirm_and_end_through_the_api(app: Litestar) -> None:
    world = await build_world()
    membership_id, relation_id, _ = await _due(world)
    async with signed_in(app, world, "police") as c:
        r = await api_post(
            c,
            f"/api/v1/memberships/{membership_id}/confirm",
            {"version": 1, "review_by": "2099-03-01"},
        )
        assert r.status_code == 200, r.text
        assert (r.json()["review_by"], r.json()["version"]) == ("2099-03-01", 2)
        r = await api_post(c, f"/api/v1/memberships/{membership_id}/end", {"version": 2})
        assert r.status_code == 200
        assert r.json()["valid_to"] == clock.today().isoformat()
        assert r.json()["review_by"] is None
        r = await api_post(c, f"/api/v1/relations/{relation_id}/end", {"version": 7})
        assert r.status_code == 409
        r = await api_post(
            c,
            f"/api/v1/relations/{relation_id}/confirm",
            {"version": 1, "review_by": "2099-03-01"},
        )
        assert r.status_code == 200
        assert (await c.get("/api/v1/review")).json()["relations_total"] == 0
