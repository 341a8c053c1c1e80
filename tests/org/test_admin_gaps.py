"""The organisation admin's remaining gaps (issue 15): joint units chosen when a
user is created (page and API; the command line is in test_first_run), a
deactivated unit reactivated (page and API, audited as ``org:unit:reactivate``),
and the municipality picker grouped by county with a search that needs no
JavaScript."""

from __future__ import annotations

import re

from litestar import Litestar

from gvi.accounts.tables import User, UserMunicipality, UserUnit
from gvi.municipalities.tables import Municipality, Unit
from tests.admin.support import (
    PASSWORD,
    audit_rows,
    head_seq,
    municipality,
    new_user,
    signed_in,
    token,
)
from tests.org.support import make_unit
from tests.support import csrf_from

JOINT = "Avhopparverksamheten Nordväst"


async def _admin() -> str | None:
    await municipality()
    _, secret = await new_user("admin1", "admin")
    return secret


async def _joined(username: str) -> list[int]:
    user = await User.select(User.id).where(User.username == username).first()
    assert user is not None
    return [
        r["unit"] for r in await UserUnit.select(UserUnit.unit).where(UserUnit.user == user["id"])
    ]


async def test_the_new_user_page_takes_joint_units(app: Litestar) -> None:
    secret = await _admin()
    home = await make_unit("Socialtjänsten Järfälla", "0123")
    joint = await make_unit(JOINT, "0123", ("0163",), kind=Unit.Kind.joint_defector_unit)
    start = await head_seq()
    async with signed_in(app, "admin1", secret) as c:
        form = await c.get("/admin/users/new")
        assert form.status_code == 200
        assert f'name="joint_units" value="{joint}"' in form.text
        fields = {
            "username": "handl1",
            "display_name": "Soc Sek",
            "role": "outreach",
            "unit": str(home),
            "joint_units": str(joint),
            "password": PASSWORD,
            "csrf_token": csrf_from(form.text),
        }
        r = await c.post("/admin/users/new", data=fields)
        assert r.status_code == 200, r.text
        assert "otpauth://totp/" in r.text
    assert await _joined("handl1") == [joint]
    (event,) = await audit_rows(start, "user:unit:change")
    assert event["details"] == {
        "home_from": None,
        "home_to": home,
        "joint_units": 1,
        "sessions_ended": False,
    }


async def test_an_inactive_joint_unit_is_refused_and_the_form_keeps_what_was_typed(
    app: Litestar,
) -> None:
    secret = await _admin()
    joint = await make_unit(JOINT, "0123", ("0163",), kind=Unit.Kind.joint_defector_unit)
    await Unit.update({Unit.is_active: False}).where(Unit.id == joint)
    async with signed_in(app, "admin1", secret) as c:
        form = await c.get("/admin/users/new")
        r = await c.post(
            "/admin/users/new",
            data={
                "username": "handl1",
                "display_name": "Soc Sek",
                "role": "outreach",
                "joint_units": str(joint),
                "password": PASSWORD,
                "csrf_token": csrf_from(form.text),
            },
        )
        assert r.status_code == 400
        assert "Välj aktiva enheter i listan." in r.text
        assert 'value="handl1"' in r.text
    assert not await User.exists().where(User.username == "handl1")


async def test_the_api_creates_a_user_with_joint_units(app: Litestar) -> None:
    secret = await _admin()
    joint = await make_unit(JOINT, "0123", ("0163",), kind=Unit.Kind.joint_defector_unit)
    async with signed_in(app, "admin1", secret) as c:
        csrf = {"X-CSRF-Token": await token(c)}
        r = await c.post(
            "/api/v1/admin/users",
            json={
                "username": "api-handl",
                "display_name": "Api Handl",
                "role": "outreach",
                "password": PASSWORD,
                "joint_unit_ids": [joint],
            },
            headers=csrf,
        )
        assert r.status_code == 201, r.text
        assert r.json()["user"]["joint_unit_ids"] == [joint]
        bad = await c.post(
            "/api/v1/admin/users",
            json={
                "username": "api-handl2",
                "display_name": "Api Handl",
                "role": "outreach",
                "password": PASSWORD,
                "joint_unit_ids": [joint + 1000],
            },
            headers=csrf,
        )
        assert bad.status_code == 400
        assert "joint_units" in bad.json()["detail"]
    assert await _joined("api-handl") == [joint]


async def test_a_deactivated_unit_is_reactivated_on_its_page_and_through_the_api(
    app: Litestar,
) -> None:
    secret = await _admin()
    unit_id = await make_unit("Socialtjänsten Sollentuna", "0163")
    await Unit.update({Unit.is_active: False, Unit.version: 2}).where(Unit.id == unit_id)
    start = await head_seq()
    async with signed_in(app, "admin1", secret) as c:
        page = await c.get(f"/admin/units/{unit_id}")
        assert f"/admin/units/{unit_id}/reactivate" in page.text
        assert f"/admin/units/{unit_id}/deactivate" not in page.text
        unconfirmed = await c.post(
            f"/admin/units/{unit_id}/reactivate",
            data={"version": "2", "csrf_token": csrf_from(page.text)},
        )
        assert unconfirmed.status_code == 400
        r = await c.post(
            f"/admin/units/{unit_id}/reactivate",
            data={"version": "2", "confirm": "yes", "csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        row = await Unit.select(Unit.is_active, Unit.version).where(Unit.id == unit_id).first()
        assert row == {"is_active": True, "version": 3}
        csrf = {"X-CSRF-Token": await token(c)}
        again = await c.post(
            f"/api/v1/admin/units/{unit_id}/reactivate", json={"version": 3}, headers=csrf
        )
        assert again.status_code == 400  # already active
        off = await c.post(
            f"/api/v1/admin/units/{unit_id}/deactivate", json={"version": 3}, headers=csrf
        )
        assert off.status_code == 200, off.text
        stale = await c.post(
            f"/api/v1/admin/units/{unit_id}/reactivate", json={"version": 3}, headers=csrf
        )
        assert stale.status_code == 409
        on = await c.post(
            f"/api/v1/admin/units/{unit_id}/reactivate", json={"version": 4}, headers=csrf
        )
        assert on.status_code == 200, on.text
        assert on.json()["unit"]["is_active"] is True
    events = await audit_rows(start, "org:unit:reactivate", target_id=unit_id)
    assert len(events) == 2
    assert events[0]["details"] == {"sessions_ended": 0}


async def test_municipalities_are_picked_by_county_with_a_search_without_javascript(
    app: Litestar,
) -> None:
    secret = await _admin()
    counties = {
        r["county"]
        for r in await Municipality.select(Municipality.county).where(
            Municipality.archived_at.is_null()
        )
    }
    sollentuna = await municipality("0163")
    kiruna = await municipality("2584")
    async with signed_in(app, "admin1", secret) as c:
        form = await c.get("/admin/users/new")
        assert form.status_code == 200
        assert form.text.count('<details class="county"') == len(counties)
        assert "<script>" not in form.text
        assert "onclick" not in form.text
        # A search keeps what was typed and ticked, shows only what matches, and
        # creates nothing.
        r = await c.post(
            "/admin/users/new",
            data={
                "username": "handl1",
                "display_name": "Soc Sek",
                "role": "outreach",
                "municipalities": str(kiruna),
                "municipality_filter": "sollen",
                "action": "filter",
                "password": PASSWORD,
                "csrf_token": csrf_from(form.text),
            },
        )
        assert r.status_code == 200, r.text
        assert not await User.exists().where(User.username == "handl1")
        assert 'value="handl1"' in r.text
        assert f'id="municipality-{sollentuna}"' in r.text
        assert f'id="municipality-{kiruna}"' not in r.text  # not shown by this search …
        assert f'type="hidden" name="municipalities" value="{kiruna}"' in r.text  # … but kept
        assert re.search(r'<details class="county" open>\s*<summary>Stockholms län', r.text)
        # Saved from the filtered page, both are granted.
        done = await c.post(
            "/admin/users/new",
            data={
                "username": "handl1",
                "display_name": "Soc Sek",
                "role": "outreach",
                "municipalities": [str(kiruna), str(sollentuna)],
                "password": PASSWORD,
                "csrf_token": csrf_from(r.text),
            },
        )
        assert done.status_code == 200, done.text
    user = await User.select(User.id).where(User.username == "handl1").first()
    assert user is not None
    granted = await UserMunicipality.select(UserMunicipality.municipality).where(
        UserMunicipality.user == user["id"]
    )
    assert {g["municipality"] for g in granted} == {kiruna, sollentuna}
