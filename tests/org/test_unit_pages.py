"""Units through the admin pages: create, edit, refusals, optimistic locking,
deactivation refused while open cases remain, and the audit row of every change."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from gvi.municipalities.tables import Unit, UnitMunicipality
from tests.admin.support import BASE, audit_rows, head_seq, municipality, new_user, signed_in
from tests.org.support import make_case, make_person, make_unit
from tests.support import csrf_from, reference_municipality


async def _admin() -> tuple[int, str | None]:
    await municipality()
    return await new_user("admin1", "admin")


async def _served_codes(unit_id: int) -> list[str]:
    rows = await UnitMunicipality.select(UnitMunicipality.municipality.code).where(
        UnitMunicipality.unit == unit_id
    )
    return sorted(r["municipality.code"] for r in rows)


async def test_admin_creates_and_edits_a_unit(app: Litestar) -> None:
    admin_id, secret = await _admin()
    start = await head_seq()
    async with signed_in(app, "admin1", secret) as c:
        listing = await c.get("/admin/units")
        assert listing.status_code == 200
        assert "Det finns inga enheter ännu" in listing.text
        form = await c.get("/admin/units/new")
        assert form.status_code == 200
        # Codes keep their leading zero in the form.
        assert 'value="0123"' in form.text
        r = await c.post(
            "/admin/units/new",
            data={
                "name": "Avhopparverksamheten  Nordväst",
                "kind": "joint_defector_unit",
                "agency": "social_services",
                "home": "0123",
                "serves": ["0163", "0191"],
                "csrf_token": csrf_from(form.text),
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        unit = await Unit.objects().where(Unit.name == "Avhopparverksamheten Nordväst").first()
        assert unit is not None
        assert r.headers["location"] == f"/admin/units/{unit.id}"
        # The home municipality is always among those served.
        assert await _served_codes(unit.id) == ["0123", "0163", "0191"]
        page = await c.get(f"/admin/units/{unit.id}")
        assert page.status_code == 200
        assert "Enheten är skapad." in page.text
        r = await c.post(
            f"/admin/units/{unit.id}/edit",
            data={
                "version": str(unit.version),
                "name": "Avhopparverksamheten Nordväst",
                "kind": "joint_defector_unit",
                "agency": "social_services",
                "home": "0123",
                "serves": "0114",
                "csrf_token": csrf_from(page.text),
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        assert await _served_codes(unit.id) == ["0114", "0123"]
        # The page's version is stale now: 409, nothing changes.
        r = await c.post(
            f"/admin/units/{unit.id}/edit",
            data={
                "version": str(unit.version),
                "name": "Annat namn",
                "kind": "joint_defector_unit",
                "agency": "social_services",
                "home": "0123",
                "csrf_token": csrf_from(page.text),
            },
        )
        assert r.status_code == 409
        assert "Någon annan har ändrat enheten" in r.text
    assert (await Unit.select(Unit.name).where(Unit.id == unit.id).first())["name"] == (
        "Avhopparverksamheten Nordväst"
    )
    (created,) = await audit_rows(start, "org:unit:create", target_id=unit.id)
    assert created["actor_id"] == admin_id
    assert created["details"]["serves"] == 3
    (updated,) = await audit_rows(start, "org:unit:update", target_id=unit.id)
    assert updated["details"]["scope_changed"] is True


async def test_bad_input_is_a_400_page_that_keeps_what_was_typed(app: Litestar) -> None:
    _, secret = await _admin()
    await make_unit("Polisen Järfälla", "0123", kind="police", agency="police")
    async with signed_in(app, "admin1", secret) as c:
        form = await c.get("/admin/units/new")
        r = await c.post(
            "/admin/units/new",
            data={
                "name": "polisen järfälla",
                "kind": "spy",
                "agency": "",
                "home": "123",
                "serves": ["0163", "9999"],
                "csrf_token": csrf_from(form.text),
            },
        )
        assert r.status_code == 400
        assert 'value="polisen järfälla"' in r.text
        assert "Det finns redan en enhet med det namnet" in r.text
        assert "Välj vilken sorts enhet det är." in r.text
        assert "Välj vilken verksamhet enheten hör till." in r.text
        assert "Välj en kommun i listan" in r.text
        assert "Välj kommuner i listan" in r.text
        # What was ticked stays ticked.
        assert '<option value="0163" selected>' in r.text
        # Without the CSRF token nothing is accepted.
        r = await c.post(
            "/admin/units/new",
            data={"name": "Ny", "kind": "police", "agency": "police", "home": "0123"},
        )
        assert r.status_code == 403
    assert await Unit.count() == 1


async def test_deactivation_is_refused_while_open_cases_remain_listing_references_only(
    app: Litestar,
) -> None:
    admin_id, secret = await _admin()
    unit_id = await make_unit("Socialtjänsten Sigtuna", "0191")
    person = await make_person("P-ZX9Q", "0191", notes="Bor hos sin moster på Storgatan")
    await make_case("AH-2026-0001", unit_id, person, "0191")
    await make_case("AH-2026-0002", unit_id, person, "0191")
    await make_case("AH-2025-0009", unit_id, person, "0191", closed=True)
    start = await head_seq()
    async with signed_in(app, "admin1", secret) as c:
        page = await c.get(f"/admin/units/{unit_id}")
        token = csrf_from(page.text)
        # Not confirmed: nothing happens.
        r = await c.post(
            f"/admin/units/{unit_id}/deactivate", data={"version": "1", "csrf_token": token}
        )
        assert r.status_code == 400
        r = await c.post(
            f"/admin/units/{unit_id}/deactivate",
            data={"version": "1", "confirm": "yes", "csrf_token": token},
        )
        assert r.status_code == 409
        assert "AH-2026-0001" in r.text
        assert "AH-2026-0002" in r.text
        assert "2 öppna avhopparärenden" in r.text
        # Closed cases are not in the way; case content and person codes are never shown.
        assert "AH-2025-0009" not in r.text
        assert "Hemlig anteckning" not in r.text
        assert "Storgatan" not in r.text
        assert "P-ZX9Q" not in r.text
    assert (await Unit.select(Unit.is_active).where(Unit.id == unit_id).first())["is_active"]
    (refused,) = await audit_rows(start, "org:unit:deactivate_refused", target_id=unit_id)
    assert refused["details"] == {"open_cases": 2}
    assert refused["actor_id"] == admin_id


async def test_a_unit_without_open_cases_is_deactivated_and_its_users_signed_out(
    app: Litestar,
) -> None:
    _, secret = await _admin()
    unit_id = await make_unit("Socialtjänsten Sollentuna", "0163")
    person = await make_person("P-AB12", "0163")
    await make_case("AH-2024-0003", unit_id, person, "0163", closed=True)
    start = await head_seq()
    from tests.support import make_user

    _, member_secret = await make_user("handl1", "outreach", unit_name="Socialtjänsten Sollentuna")
    async with signed_in(app, "handl1", member_secret) as member:
        assert (await member.get("/", follow_redirects=False)).status_code == 200
        async with signed_in(app, "admin1", secret) as c:
            page = await c.get(f"/admin/units/{unit_id}")
            r = await c.post(
                f"/admin/units/{unit_id}/deactivate",
                data={"version": "1", "confirm": "yes", "csrf_token": csrf_from(page.text)},
                follow_redirects=False,
            )
            assert r.status_code == 303, r.text
        assert (await member.get("/", follow_redirects=False)).status_code == 303
    row = await Unit.select(Unit.is_active, Unit.version).where(Unit.id == unit_id).first()
    assert row == {"is_active": False, "version": 2}
    (event,) = await audit_rows(start, "org:unit:deactivate", target_id=unit_id)
    assert event["details"]["sessions_ended"] == 1
    # A deactivated unit is no choice for a user any more.
    home = await reference_municipality("0163")
    assert home.code == "0163"


async def test_a_deactivated_units_cases_leave_its_members_view(app: Litestar) -> None:
    _, secret = await _admin()
    unit_id = await make_unit("Socialtjänsten Sollentuna", "0163")
    person = await make_person("P-AB13", "0163")
    case_id = await make_case("AH-2024-0004", unit_id, person, "0163", closed=True)
    from tests.support import login, make_user

    # An explicit grant keeps Sollentuna in the member's scope after the unit goes.
    _, member_secret = await make_user(
        "handl1", "outreach", unit_name="Socialtjänsten Sollentuna", municipality_codes=["0163"]
    )
    async with signed_in(app, "handl1", member_secret) as member:
        assert (await member.get(f"/api/v1/cases/{case_id}")).status_code == 200
    async with signed_in(app, "admin1", secret) as c:
        page = await c.get(f"/admin/units/{unit_id}")
        r = await c.post(
            f"/admin/units/{unit_id}/deactivate",
            data={"version": "1", "confirm": "yes", "csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
    async with AsyncTestClient(app=app, base_url=BASE) as again:
        await login(again, "handl1", member_secret)
        assert (await again.get(f"/api/v1/people/{person}")).status_code == 200
        assert (await again.get(f"/api/v1/cases/{case_id}")).status_code == 404
        listing = await again.get("/api/v1/cases")
        assert listing.status_code == 200
        assert "AH-2024-0004" not in listing.text
