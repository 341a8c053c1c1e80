"""Shared operations: a joint defector unit serves Järfälla and Sollentuna. A case
belongs to its home municipality; members of the joint unit see it, other units
do not (forbidden and missing are the same 404)."""

from __future__ import annotations

import pytest
from litestar import Litestar

from gvi.accounts.tables import UserUnit
from tests.clients import csrf_from, signed_in
from tests.defectors.factories import JOINT, SOC_JARFALLA, build_world, make_case


async def test_joint_unit_member_sees_a_sollentuna_case_others_get_404(app: Litestar) -> None:
    world = await build_world()
    case_id = await make_case(world, person="sollentuna", municipality="0163", unit=JOINT)
    async with signed_in(app, world, "sofia") as sofia:
        page = await sofia.get(f"/cases/{case_id}")
        assert page.status_code == 200
        assert "Sollentuna" in page.text
        assert (await sofia.get(f"/api/v1/cases/{case_id}")).json()["municipality"] == "Sollentuna"
        listed = (await sofia.get("/api/v1/cases")).json()["items"]
        assert [c["id"] for c in listed] == [case_id]
    for outsider in ("sigge", "jonna"):
        async with signed_in(app, world, outsider) as other:
            for url in (f"/cases/{case_id}", f"/api/v1/cases/{case_id}"):
                r = await other.get(url)
                assert r.status_code == 404, (outsider, url)
                assert "AH-T-0001" not in r.text
            assert (await other.get("/api/v1/cases")).json()["items"] == []
            token = csrf_from((await other.get("/")).text)
            r = await other.post(
                f"/api/v1/cases/{case_id}/status",
                json={"to_status": "motivation_assessment"},
                headers={"X-CSRF-Token": token},
            )
            assert r.status_code == 404


async def test_membership_is_read_on_every_request(app: Litestar) -> None:
    world = await build_world()
    case_id = await make_case(world, unit=JOINT, caseworker=None)
    async with signed_in(app, world, "jonna") as jonna:
        assert (await jonna.get(f"/cases/{case_id}")).status_code == 404
        membership = UserUnit(user=world.user["jonna"], unit=world.unit[JOINT])
        await membership.save()
        assert (await jonna.get(f"/cases/{case_id}")).status_code == 200
        await UserUnit.delete().where(UserUnit.id == membership.id)
        assert (await jonna.get(f"/cases/{case_id}")).status_code == 404


async def test_own_unit_case_is_not_the_joint_units(app: Litestar) -> None:
    world = await build_world()
    own = await make_case(
        world, person="jarfalla", municipality="0123", unit=SOC_JARFALLA, caseworker="jonna"
    )
    async with signed_in(app, world, "jonna") as jonna:
        assert (await jonna.get(f"/cases/{own}")).status_code == 200
    async with signed_in(app, world, "sigge") as sigge:
        assert (await sigge.get(f"/cases/{own}")).status_code == 404


@pytest.mark.parametrize(
    ("unit", "municipality", "ok"),
    [
        (JOINT, "0163", True),  # the joint unit serves Sollentuna
        (SOC_JARFALLA, "0163", False),  # the own unit does not
        (SOC_JARFALLA, "0123", True),
    ],
)
async def test_opening_a_case_for_a_joint_unit(
    app: Litestar, unit: str, municipality: str, ok: bool
) -> None:
    world = await build_world()
    async with signed_in(app, world, "sofia") as sofia:
        page = await sofia.get("/cases/new")
        assert JOINT in page.text
        r = await sofia.post(
            "/cases/new",
            data={
                "person_code": "p-sol1",
                "unit_id": str(world.unit[unit]),
                "municipality_id": str(world.municipality[municipality]),
                "caseworker_id": str(world.user["sofia"]),
                "referral_source": "self",
                "environment": "criminal_network",
                "is_child": "false",
                "opened_on": "2024-05-02",
                "notes": "Första kontakt",
                "csrf_token": csrf_from(page.text),
            },
            follow_redirects=False,
        )
        if ok:
            assert r.status_code == 303, r.text
            shown = await sofia.get(r.headers["location"])
            assert "AH-2024-0001" in shown.text
            assert "Ärendet är öppnat" in shown.text
        else:
            assert r.status_code == 400
            assert "Enheten arbetar inte för den kommunen" in r.text
            assert 'value="Första kontakt"' in r.text or ">Första kontakt<" in r.text


async def test_a_person_outside_reach_cannot_get_a_case(app: Litestar) -> None:
    world = await build_world()
    async with signed_in(app, world, "jonna") as jonna:
        token = csrf_from((await jonna.get("/")).text)
        r = await jonna.post(
            "/api/v1/cases",
            json={
                "person_code": world.code["sigtuna"],
                "unit_id": world.unit[SOC_JARFALLA],
                "referral_source": "self",
            },
            headers={"X-CSRF-Token": token},
        )
        assert r.status_code == 400
        assert "Ingen person med den koden" in r.json()["detail"]
        # A personnummer typed in the code box is refused before any lookup.
        r = await jonna.post(
            "/api/v1/cases",
            json={
                "person_code": "19900101-2383",
                "unit_id": world.unit[SOC_JARFALLA],
                "referral_source": "self",
            },
            headers={"X-CSRF-Token": token},
        )
        assert r.status_code == 400
        assert "19900101" not in r.text
