"""The JSON API mirrors of user administration."""

from __future__ import annotations

from litestar import Litestar

from tests.admin.support import (
    PASSWORD,
    audit_rows,
    head_seq,
    municipality,
    new_user,
    user_row,
    version,
)
from tests.clients import signed_in, token


async def test_list_create_and_disable_through_the_api(app: Litestar) -> None:
    town = await municipality()
    admin_id, admin_secret = await new_user("admin1", "admin")
    start = await head_seq()
    async with signed_in(app, "admin1", admin_secret) as admin:
        csrf = {"X-CSRF-Token": await token(admin)}
        listing = await admin.get("/api/v1/admin/users")
        assert listing.status_code == 200
        body = listing.json()
        assert body["total"] == 1
        assert body["items"][0]["username"] == "admin1"
        assert body["page_size"] == 50

        bad = await admin.post(
            "/api/v1/admin/users",
            json={"username": "x y", "display_name": "", "role": "police", "password": "kort"},
            headers=csrf,
        )
        assert bad.status_code == 400
        assert "username" in bad.json()["detail"]

        created = await admin.post(
            "/api/v1/admin/users",
            json={
                "username": "api-polis",
                "display_name": "Api Polis",
                "role": "police",
                "password": PASSWORD,
                "municipality_ids": [town],
            },
            headers=csrf,
        )
        assert created.status_code == 201, created.text
        new = created.json()
        assert new["totp_secret"]
        assert len(new["recovery_codes"]) == 10
        assert new["user"]["municipality_ids"] == [town]
        user_id = new["user"]["id"]

        stale = await admin.post(
            f"/api/v1/admin/users/{user_id}/disable", json={"version": 0}, headers=csrf
        )
        assert stale.status_code == 409
        assert (await user_row(user_id))["is_active"]
        done = await admin.post(
            f"/api/v1/admin/users/{user_id}/disable",
            json={"version": await version(user_id)},
            headers=csrf,
        )
        assert done.status_code == 200, done.text
        assert done.json()["is_active"] is False
        itself = await admin.post(
            f"/api/v1/admin/users/{admin_id}/disable",
            json={"version": await version(admin_id)},
            headers=csrf,
        )
        assert itself.status_code == 400

        schema = (await admin.get("/api/v1/schema/openapi.json")).json()
        assert "/api/v1/admin/users" in schema["paths"]
        assert "/api/v1/admin/users/{user_id}/disable" in schema["paths"]
        assert not any(p.startswith("/admin") for p in schema["paths"])
    assert await audit_rows(start, "user:create", target_id=user_id, actor_id=admin_id)
    assert await audit_rows(start, "user:disable", target_id=user_id, actor_id=admin_id)
