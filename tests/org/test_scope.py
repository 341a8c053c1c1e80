"""Scope follows units: a user sees the municipalities their home unit and joint
units serve (plus explicit grants), and moving them ends their sessions at once."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from gvi.accounts.tables import User
from tests.admin.support import (
    BASE,
    audit_rows,
    head_seq,
    municipality,
    new_user,
    signed_in,
    token,
    version,
)
from tests.clients import api_send
from tests.org.support import make_person, make_unit
from tests.support import login, make_user


async def _sees(client: AsyncTestClient, person_id: int) -> int:  # type: ignore[type-arg]
    return (await client.get(f"/api/v1/people/{person_id}")).status_code


async def test_a_user_moved_to_a_unit_serving_sigtuna_sees_sigtuna_and_the_old_session_dies(
    app: Litestar,
) -> None:
    await municipality()
    _, admin_secret = await new_user("admin1", "admin")
    await make_unit("Socialtjänsten Järfälla", "0123")
    sigtuna_unit = await make_unit("Avhopparverksamheten Sigtuna", "0191", ("0330",))
    jarfalla = await make_person("P-JRF1", "0123")
    sigtuna = await make_person("P-SGT1", "0191")
    uid, secret = await make_user("handl1", "outreach", unit_name="Socialtjänsten Järfälla")
    start = await head_seq()
    async with AsyncTestClient(app=app, base_url=BASE) as before:
        await login(before, "handl1", secret)
        # No explicit grants: the scope is the home unit's.
        assert await _sees(before, jarfalla) == 200
        assert await _sees(before, sigtuna) == 404
        async with signed_in(app, "admin1", admin_secret) as admin:
            r = await admin.post(
                f"/api/v1/admin/users/{uid}/units",
                json={"version": await version(uid), "unit_id": sigtuna_unit},
                headers={"X-CSRF-Token": await token(admin)},
            )
            assert r.status_code == 200, r.text
            assert r.json()["unit_id"] == sigtuna_unit
        # The old session is dead at once.
        assert await _sees(before, jarfalla) == 401
    async with AsyncTestClient(app=app, base_url=BASE) as after:
        await login(after, "handl1", secret)
        assert await _sees(after, sigtuna) == 200
        assert await _sees(after, jarfalla) == 404
    (moved,) = await audit_rows(start, "user:unit:change", target_id=uid)
    assert moved["details"]["home_to"] == sigtuna_unit
    assert moved["details"]["sessions_ended"] is True


async def test_joint_units_and_explicit_grants_add_to_the_scope(app: Litestar) -> None:
    await municipality()
    _, admin_secret = await new_user("admin1", "admin")
    home_unit = await make_unit("Socialtjänsten Järfälla", "0123")
    joint = await make_unit("Avhopparverksamheten Nordväst", "0191", ("0163",))
    jarfalla = await make_person("P-JRF2", "0123")
    sollentuna = await make_person("P-SLT2", "0163")
    vasby = await make_person("P-UVB2", "0114")
    uid, secret = await make_user(
        "handl2", "outreach", unit_name="Socialtjänsten Järfälla", municipality_codes=["0114"]
    )
    async with AsyncTestClient(app=app, base_url=BASE) as before:
        await login(before, "handl2", secret)
        assert await _sees(before, vasby) == 200  # the explicit grant still works
        assert await _sees(before, sollentuna) == 404
        async with signed_in(app, "admin1", admin_secret) as admin:
            r = await admin.post(
                f"/api/v1/admin/users/{uid}/units",
                json={
                    "version": await version(uid),
                    "unit_id": home_unit,
                    "joint_unit_ids": [joint],
                },
                headers={"X-CSRF-Token": await token(admin)},
            )
            assert r.status_code == 200, r.text
            assert r.json()["joint_units"] == ["Avhopparverksamheten Nordväst"]
        assert await _sees(before, jarfalla) == 401
    async with AsyncTestClient(app=app, base_url=BASE) as after:
        await login(after, "handl2", secret)
        for person in (jarfalla, sollentuna, vasby):
            assert await _sees(after, person) == 200


async def test_changing_what_a_unit_serves_ends_every_members_sessions(app: Litestar) -> None:
    await municipality()
    _, admin_secret = await new_user("admin1", "admin")
    unit = await make_unit("Socialtjänsten Järfälla", "0123")
    sigtuna = await make_person("P-SGT3", "0191")
    await make_user("handl3", "outreach", unit_name="Socialtjänsten Järfälla")
    uid4, secret4 = await make_user("handl4", "outreach")
    uid5, _ = await make_user("handl5", "outreach")
    epochs = {
        r["id"]: r["session_epoch"]
        for r in await User.select(User.id, User.session_epoch).where(User.id.is_in([uid4, uid5]))
    }
    async with signed_in(app, "admin1", admin_secret) as admin:
        csrf = {"X-CSRF-Token": await token(admin)}
        # handl4 joins as a joint member; handl5 stays outside.
        r = await admin.post(
            f"/api/v1/admin/users/{uid4}/units",
            json={"version": await version(uid4), "joint_unit_ids": [unit]},
            headers=csrf,
        )
        assert r.status_code == 200, r.text
        async with AsyncTestClient(app=app, base_url=BASE) as member:
            await login(member, "handl4", secret4)
            assert await _sees(member, sigtuna) == 404
            r = await api_send(
                admin,
                "PATCH",
                f"/api/v1/admin/units/{unit}",
                {
                    "version": 1,
                    "name": "Socialtjänsten Järfälla",
                    "kind": "social_services",
                    "agency": "social_services",
                    "home": "0123",
                    "serves": ["0191"],
                },
            )
            assert r.status_code == 200, r.text
            assert r.json()["sessions_ended"] == 2
            assert await _sees(member, sigtuna) == 401
    after = {
        r["id"]: r["session_epoch"]
        for r in await User.select(User.id, User.session_epoch).where(User.id.is_in([uid4, uid5]))
    }
    assert after[uid5] == epochs[uid5]
