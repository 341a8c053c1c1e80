"""Memberships on the person page and the group page, and through the API: police
write them, every list, read and write is audited, and scope holds at both ends."""

from __future__ import annotations

from litestar import Litestar

from gvi.groups.services import CONFLICT_MEMBERSHIP
from gvi.groups.tables import Membership
from gvi.people.tables import Person, PersonIdentity
from tests.admin.support import audit_rows, head_seq
from tests.clients import api_send, signed_in
from tests.groups.support import OWN_NAME, SOURCE, api_post, build_world, form_post, row


async def test_police_add_edit_and_archive_a_membership_from_the_person_page(
    app: Litestar,
) -> None:
    world = await build_world()
    start = await head_seq()
    async with signed_in(app, world, "police") as c:
        person_page = await c.get(f"/people/{world.person_own}")
        assert "Medlemskap i grupper" in person_page.text
        assert "Egengänget" in person_page.text
        assert SOURCE in person_page.text
        assert f"/memberships/new?person_id={world.person_own}" in person_page.text

        form = await c.get(f"/memberships/new?person_id={world.person_own}")
        assert form.status_code == 200
        assert f'value="{world.person_own_code}"' in form.text
        r = await form_post(
            c,
            "/memberships/new",
            {
                "person_code": world.person_own_code.lower(),
                "group": str(world.group_own2),
                "role": "associate",
                "confidence": "low",
                "valid_from": "2024-02-01",
                "valid_to": "",
                "review_by": "2025-02-01",
                "source": "Spaning 2024-01",
                "back": "person",
            },
        )
        assert r.status_code == 303, r.text
        assert r.headers["location"] == f"/people/{world.person_own}"
        created = await Membership.objects().where(Membership.group == world.group_own2).first()
        assert created is not None
        assert (created.role, created.confidence, created.recorded_by) == (
            "associate",
            "low",
            world.user_ids["police"],
        )
        shown = await c.get(r.headers["location"])
        assert "är registrerat" in shown.text
        assert "Rivalerna" in shown.text

        edit = await c.get(f"/memberships/{created.id}/edit?back=person")
        assert edit.status_code == 200
        assert 'value="Spaning 2024-01"' not in edit.text  # a textarea, not an attribute
        assert "Spaning 2024-01" in edit.text
        r = await form_post(
            c,
            f"/memberships/{created.id}/edit",
            {
                "version": "1",
                "role": "member",
                "confidence": "medium",
                "valid_from": "2024-02-01",
                "valid_to": "2024-01-01",
                "review_by": "",
                "source": "Spaning 2024-01",
                "back": "person",
            },
        )
        assert r.status_code == 400
        assert "Giltig till kan inte ligga före giltig från." in r.text
        assert 'id="valid_to-error"' in r.text
        r = await form_post(
            c,
            f"/memberships/{created.id}/edit",
            {
                "version": "1",
                "role": "member",
                "confidence": "medium",
                "valid_from": "2024-02-01",
                "valid_to": "2024-12-31",
                "review_by": "",
                "source": "Spaning 2024-01",
                "back": "person",
            },
        )
        assert r.status_code == 303
        assert (await row(Membership, created.id))["version"] == 2

        r = await form_post(
            c, f"/memberships/{created.id}/archive", {"version": "2", "back": "group"}
        )
        assert r.status_code == 400  # not confirmed
        r = await form_post(
            c,
            f"/memberships/{created.id}/archive",
            {"version": "2", "confirm": "yes", "back": "group"},
        )
        assert r.status_code == 303
        assert r.headers["location"] == f"/groups/{world.group_own2}"
        assert (await row(Membership, created.id))["archived_at"] is not None
    writes = await audit_rows(start, "membership:write", target_id=created.id)
    assert [w["details"]["op"] for w in writes] == ["create", "update", "archive"]
    assert {w["person_id"] for w in writes} == {world.person_own}
    reads = await audit_rows(start, "person:read", person_id=world.person_own)
    assert any(r["details"].get("view") == "memberships" for r in reads)
    assert any(r["details"].get("view") == "membership" for r in reads)


async def test_membership_form_errors_and_a_name_typed_as_code_is_not_echoed(
    app: Litestar,
) -> None:
    world = await build_world()
    before = await Membership.count()
    async with signed_in(app, world, "police") as c:
        r = await form_post(
            c,
            "/memberships/new",
            {
                "person_code": OWN_NAME,
                "group": str(world.group_other),
                "role": "boss",
                "confidence": "medium",
                "valid_from": "igår",
                "source": "Det jag skrev",
            },
        )
        assert r.status_code == 400
        assert OWN_NAME not in r.text
        assert "Det jag skrev" in r.text
        for key in ("person_code", "group", "role", "valid_from"):
            assert f'id="{key}-error"' in r.text, key
        r = await form_post(
            c,
            "/memberships/new",
            {
                "person_code": world.person_other_code,  # someone outside the scope
                "group": str(world.group_own),
                "role": "member",
                "confidence": "medium",
            },
        )
        assert r.status_code == 400
        assert "Ingen person med den koden finns i dina kommuner" in r.text
        assert world.person_other_code in r.text  # a real code is kept to correct
    assert await Membership.count() == before


async def test_the_api_mirrors_the_pages_with_version_checks(app: Litestar) -> None:
    world = await build_world()
    start = await head_seq()
    async with signed_in(app, world, "police") as c:
        r = await api_post(
            c,
            "/api/v1/memberships",
            {
                "person_code": world.person_own_code,
                "group_id": world.group_own2,
                "role": "leader",
                "confidence": "high",
                "valid_from": "2024-01-01",
                "source": "Förhör",
            },
        )
        assert r.status_code == 201, r.text
        created = r.json()
        assert (created["role"], created["source"], created["recorded_by"]) == (
            "leader",
            "Förhör",
            "g-police",
        )
        r = await api_send(
            c,
            "PATCH",
            f"/api/v1/memberships/{created['id']}",
            {"version": 1, "valid_to": "2023-01-01"},
        )
        assert r.status_code == 400
        assert "valid_to:" in r.json()["detail"]
        r = await api_send(
            c, "PATCH", f"/api/v1/memberships/{created['id']}", {"version": 1, "confidence": "low"}
        )
        assert r.status_code == 200
        assert (r.json()["confidence"], r.json()["source"], r.json()["version"]) == (
            "low",
            "Förhör",
            2,
        )
        stale = await api_send(
            c, "PATCH", f"/api/v1/memberships/{created['id']}", {"version": 1, "role": "member"}
        )
        assert stale.status_code == 412
        assert stale.json()["detail"] == CONFLICT_MEMBERSHIP
        listing = (await c.get(f"/api/v1/memberships?person_id={world.person_own}")).json()
        assert listing["total"] == 2
        assert {m["group"] for m in listing["items"]} == {"Egengänget", "Rivalerna"}
        r = await api_send(c, "DELETE", f"/api/v1/memberships/{created['id']}", {"version": 2})
        assert r.status_code == 204
        assert (await c.get(f"/api/v1/memberships/{created['id']}")).status_code == 404
    assert (await row(Membership, created["id"]))["role"] == "leader"
    lists = await audit_rows(start, "person:read", person_id=world.person_own)
    assert any(e["details"].get("view") == "memberships" for e in lists)


async def test_memberships_outside_the_scope_are_404(app: Litestar) -> None:
    world = await build_world()
    other = Membership(person=world.person_other, group=world.group_other, source=SOURCE)
    await other.save()
    async with signed_in(app, world, "police") as c:
        assert (await c.get(f"/api/v1/memberships/{other.id}")).status_code == 404
        assert (await c.get(f"/memberships/{other.id}/edit")).status_code == 404
        r = await api_send(
            c, "PATCH", f"/api/v1/memberships/{other.id}", {"version": 1, "role": "core"}
        )
        assert r.status_code == 404
        r = await form_post(
            c, f"/memberships/{other.id}/archive", {"version": "1", "confirm": "yes"}
        )
        assert r.status_code == 404
        listing = (await c.get("/api/v1/memberships")).json()
        assert [m["id"] for m in listing["items"]] == [world.membership_own]
    assert (await row(Membership, other.id))["archived_at"] is None


async def test_coordinators_read_memberships_but_do_not_write_them(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "coordinator") as c:
        person = await c.get(f"/people/{world.person_own}")
        assert "Egengänget" in person.text
        assert "Lägg till medlemskap" not in person.text
        assert (await c.get("/memberships/new")).status_code == 404
        r = await api_post(
            c,
            "/api/v1/memberships",
            {"person_code": world.person_own_code, "group_id": world.group_own},
        )
        assert r.status_code == 404


async def test_social_services_see_no_group_intelligence_on_the_person_page(
    app: Litestar,
) -> None:
    world = await build_world()
    async with signed_in(app, world, "outreach") as c:
        page = await c.get(f"/people/{world.person_own}")
        assert page.status_code == 200
        assert "Egengänget" not in page.text
        assert SOURCE not in page.text
        assert (await c.get("/api/v1/memberships")).status_code == 404


async def test_a_new_person_gets_a_code_and_an_encrypted_identity(app: Litestar) -> None:
    world = await build_world()
    start = await head_seq()
    async with signed_in(app, world, "police") as c:
        form = await c.get("/people/new")
        assert form.status_code == 200
        assert f'<option value="{world.own}" selected>' in form.text  # the one municipality
        r = await form_post(
            c,
            "/people/new",
            {
                "municipality": str(world.own),
                "birth_year": "18",
                "protection": "none",
                "name": "Ny Nysson",
                "pin": "12345",
            },
        )
        assert r.status_code == 400
        assert 'id="birth_year-error"' in r.text
        assert 'id="pin-error"' in r.text
        assert 'value="Ny Nysson"' in r.text  # kept for the one who typed it
        r = await form_post(
            c,
            "/people/new",
            {
                "municipality": str(world.own),
                "birth_year": "2006",
                "protection": "skyddad_folkbokforing",
                "name": "Ny Nysson",
                "pin": "20060101-2380",
                "address": "",
                "phone": "",
            },
        )
        assert r.status_code == 303, r.text
        person_id = int(r.headers["location"].rsplit("/", 1)[1])
        page = await c.get(r.headers["location"])
        person = await row(Person, person_id)
        assert f"koden {person['code']}" in page.text
        assert "Ny Nysson" not in page.text
        assert person["home_municipality"] == world.own
        assert person["protection"] == "skyddad_folkbokforing"
        identity = await PersonIdentity.objects().where(PersonIdentity.person == person_id).first()
        assert identity is not None
        assert identity.name_enc is not None
        assert b"Nysson" not in identity.name_enc
        assert identity.pin_index
        r = await form_post(c, "/people/new", {"municipality": str(world.other)})
        assert r.status_code == 400
    (event,) = await audit_rows(start, "person:create", target_id=person_id)
    assert event["details"] == {"identity": True}


async def test_only_people_writers_create_people(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "coordinator") as c:
        assert (await c.get("/people/new")).status_code == 404
        assert "Ny person" not in (await c.get("/people")).text
