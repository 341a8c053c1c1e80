"""Only the admin role reaches /admin and /api/v1/admin; everyone else gets the
same 404 as for a page that does not exist. Admins never reach identities."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar

from gvi.access.tables import Alert
from gvi.core.columns import utcnow
from gvi.municipalities.tables import Agency, Unit
from gvi.people.tables import Person, Protection
from tests.admin.support import municipality, new_user
from tests.clients import signed_in, token


async def a_unit() -> int:
    town = await municipality()
    unit = Unit(
        name="Socialtjänsten Testby",
        kind=Unit.Kind.social_services,
        agency=Agency.social_services,
        municipality=town,
    )
    await unit.save()
    return int(unit.id)


def _admin_routes(app: Litestar) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        if not route.path.startswith(("/admin", "/api/v1/admin")):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(getattr(handler, "http_methods", ())):
                if method != "OPTIONS":
                    found.append((method, route.path))
    return found


@pytest.mark.parametrize("role", ["coordinator", "outreach", "police", "analyst"])
async def test_other_roles_get_404_on_every_admin_route(app: Litestar, role: str) -> None:
    await municipality()
    admin_id, _ = await new_user("admin1", "admin")
    _, secret = await new_user("annan1", role)
    alert = Alert(kind=Alert.Kind.lockout, raised_at=utcnow(), subject_user=admin_id)
    await alert.save()
    routes = _admin_routes(app)
    # The walk covers every kind of admin route.
    paths = {path for _, path in routes}
    for expected in (
        "/admin/users",
        "/admin/audit",
        "/admin/alerts",
        "/admin/units",
        "/api/v1/admin/users",
        "/api/v1/admin/units",
        "/api/v1/admin/municipalities",
    ):
        assert any(p.startswith(expected) for p in paths), expected
    assert len(routes) >= 29
    unit_id = await a_unit()
    async with signed_in(app, "annan1", secret) as c:
        csrf = await token(c)
        for method, path in routes:
            # Real ids, so a 404 can only come from the permission check.
            concrete = re.sub(r"\{user_id:int\}", str(admin_id), path)
            concrete = re.sub(r"\{alert_id:int\}", str(alert.id), concrete)
            concrete = re.sub(r"\{unit_id:int\}", str(unit_id), concrete)
            if method == "GET":
                r = await c.get(concrete)
            elif path.startswith("/api/"):
                # The route's own method (PATCH, DELETE, POST): a 405 would mean the
                # walk never reached the permission check.
                r = await c.request(
                    method,
                    concrete,
                    json={"version": 1},
                    headers={"X-CSRF-Token": csrf, "If-Match": '"1"'},
                )
            else:
                r = await c.post(concrete, data={"csrf_token": csrf, "version": "1"})
            assert r.status_code == 404, (method, path, r.status_code)
    assert (await Alert.select(Alert.acknowledged_at).first())["acknowledged_at"] is None
    unit = await Unit.select(Unit.is_active, Unit.version).where(Unit.id == unit_id).first()
    assert unit == {"is_active": True, "version": 1}


async def test_admin_reaches_admin_pages_and_not_people_or_identities(app: Litestar) -> None:
    town = await municipality()
    _, secret = await new_user("admin1", "admin")
    person = Person(code="P-7Q4K", home_municipality=town, protection=Protection.none)
    await person.save()
    async with signed_in(app, "admin1", secret) as c:
        home = await c.get("/")
        for link in ("/admin/users", "/admin/audit", "/admin/alerts"):
            assert f'href="{link}"' in home.text
            assert (await c.get(link)).status_code == 200
        for path in (
            f"/api/v1/people/{person.id}/identity",
            f"/api/v1/people/{person.id}",
            f"/people/{person.id}",
            f"/people/{person.id}/identity",
            "/people",
        ):
            assert (await c.get(path)).status_code == 404, path


async def test_admin_pages_need_a_signed_in_user(app: Litestar) -> None:
    from litestar.testing import AsyncTestClient

    from tests.clients import BASE

    async with AsyncTestClient(app=app, base_url=BASE) as c:
        page = await c.get("/admin/users", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"] == "/login"
        assert (await c.get("/api/v1/admin/users")).status_code == 401
