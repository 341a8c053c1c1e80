"""API tokens: shown once, stored hashed, a subset of the owner's rights at every
request, bearer on /api/v1 only, no CSRF for bearer, rate-limited, audited."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from gvi.accounts.tables import User, UserMunicipality
from gvi.app import create_app
from gvi.callins.tables import CallIn
from gvi.settings import get_settings
from gvi.tokens.tables import ApiToken
from tests.admin.support import BASE, audit_rows, head_seq, municipality, signed_in, token
from tests.support import PASSWORD, make_user

HOME, OTHER = "0114", "0180"  # Upplands Väsby, Stockholm


async def _callin(municipality_id: int, title: str) -> int:
    start = datetime.now(tz=UTC) + timedelta(days=3)
    row = CallIn(
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        venue="Medborgarhuset",
        municipality=municipality_id,
        message="Budskapet som aldrig får läcka",
    )
    await row.save()
    return int(row.id)


async def _coordinator(username: str = "samordnare") -> tuple[int, str | None]:
    return await make_user(username, "coordinator", municipality_codes=[HOME, OTHER])


async def _new_token(client: Any, csrf: str, **body: Any) -> Any:
    payload = {"name": "Statistikjobb", "permissions": ["callins:read"], "days": 30, **body}
    return await client.post("/api/v1/tokens", json=payload, headers={"X-CSRF-Token": csrf})


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def test_a_token_is_shown_once_and_only_its_hash_is_kept(app: Litestar) -> None:
    home = await municipality(HOME)
    _, secret_totp = await _coordinator()
    start = await head_seq()
    async with signed_in(app, "samordnare", secret_totp) as c:
        csrf = await token(c)
        made = await _new_token(c, csrf, municipality_ids=[home])
        assert made.status_code == 201, made.text
        secret = made.json()["secret"]
        assert secret.startswith("gvi_")
        assert len(secret) > 50
        listing = await c.get("/api/v1/tokens")
        assert listing.status_code == 200
        assert secret not in listing.text
        assert listing.json()[0]["status"] == "active"
        page = await c.get("/account/tokens")
        assert page.status_code == 200
        assert "Statistikjobb" in page.text
        assert secret not in page.text
    row = await ApiToken.select().first()
    assert row is not None
    assert row["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert all(secret not in str(value) for value in row.values())
    created = await audit_rows(start, "api_token:create")
    assert len(created) == 1
    assert created[0]["details"]["municipalities"] == [home]


async def test_a_token_never_gets_more_than_its_owner_has(app: Litestar) -> None:
    stockholm = await municipality(OTHER)
    await make_user("samordnare", "coordinator", municipality_codes=[HOME])
    _, totp = await make_user("s2", "coordinator", municipality_codes=[HOME])
    async with signed_in(app, "s2", totp) as c:
        csrf = await token(c)
        role = await _new_token(c, csrf, permissions=["callins:read", "cases:read"])
        assert role.status_code == 400
        assert "behörigheter som kontot har" in role.json()["detail"]
        scope = await _new_token(c, csrf, municipality_ids=[stockholm])
        assert scope.status_code == 400
        assert "kommuner" in scope.json()["detail"]
        long = await _new_token(c, csrf, days=91)
        assert long.status_code == 400
        missing = await c.post(
            "/api/v1/tokens",
            json={"name": "x", "permissions": ["callins:read"]},
            headers={"X-CSRF-Token": csrf},
        )
        assert missing.status_code == 400
        # The page says the same and keeps what was typed.
        page = await c.post(
            "/account/tokens",
            data={
                "csrf_token": csrf,
                "name": "Mitt jobb",
                "permissions": "callins:read",
                "days": "91",
            },
        )
        assert page.status_code == 400
        assert "högst 90 dagar" in page.text
        assert 'value="Mitt jobb"' in page.text
    assert await ApiToken.count() == 0


async def test_bearer_reads_the_api_within_the_token_and_opens_no_page(app: Litestar) -> None:
    home, other = await municipality(HOME), await municipality(OTHER)
    mine = await _callin(home, "Call-in Väsby")
    await _callin(other, "Call-in Stockholm")
    _, totp = await _coordinator()
    async with signed_in(app, "samordnare", totp) as c:
        made = await _new_token(c, await token(c), municipality_ids=[home])
        secret = made.json()["secret"]
    async with AsyncTestClient(app=app, base_url=BASE) as bare:
        listing = await bare.get("/api/v1/callins", headers=_bearer(secret))
        assert listing.status_code == 200, listing.text
        ids = [item["id"] for item in listing.json()["items"]]
        assert ids == [mine]
        # Not among the token's permissions, though the role has it.
        assert (await bare.get("/api/v1/groups", headers=_bearer(secret))).status_code == 404
        # No pages, and no token management with a token.
        for path in ("/callins", "/account/tokens", "/"):
            page = await bare.get(path, headers=_bearer(secret), follow_redirects=False)
            assert page.status_code == 404, path
        assert (await bare.get("/api/v1/tokens", headers=_bearer(secret))).status_code == 404
        wrong = await bare.get("/api/v1/callins", headers=_bearer(secret[:-2] + "xx"))
        assert wrong.status_code == 401
        assert "API-nyckeln gäller inte" in wrong.json()["detail"]
        assert wrong.headers["www-authenticate"].startswith("Bearer")
    row = await ApiToken.select(ApiToken.last_used_at).first()
    assert row is not None
    assert row["last_used_at"] is not None


async def test_bearer_posts_need_no_csrf_but_sessions_still_do(app: Litestar) -> None:
    home = await municipality(HOME)
    owner, totp = await _coordinator()
    start = await head_seq()
    body = {
        "title": "Ny call-in",
        "starts_at": (datetime.now(tz=UTC) + timedelta(days=5)).isoformat(),
        "ends_at": (datetime.now(tz=UTC) + timedelta(days=5, hours=2)).isoformat(),
        "venue": "Biblioteket",
        "municipality_id": home,
    }
    async with signed_in(app, "samordnare", totp) as c:
        made = await _new_token(
            c,
            await token(c),
            permissions=["callins:read", "callins:write"],
            municipality_ids=[home],
        )
        secret, token_id = made.json()["secret"], made.json()["token"]["id"]
        refused = await c.post("/api/v1/callins", json=body)
        assert refused.status_code == 403
    async with AsyncTestClient(app=app, base_url=BASE) as bare:
        created = await bare.post("/api/v1/callins", json=body, headers=_bearer(secret))
        assert created.status_code == 201, created.text
    rows = await audit_rows(start, "callin:write")
    assert len(rows) == 1
    assert rows[0]["actor_id"] == owner
    assert rows[0]["details"]["api_token"] == token_id


async def test_expired_revoked_and_disabled_owners_tokens_are_dead(app: Litestar) -> None:
    home = await municipality(HOME)
    owner, totp = await _coordinator()
    async with signed_in(app, "samordnare", totp) as c:
        csrf = await token(c)
        a = (await _new_token(c, csrf, municipality_ids=[home])).json()
        b = (await _new_token(c, csrf, municipality_ids=[home])).json()
        d = (await _new_token(c, csrf, municipality_ids=[home])).json()
        start = await head_seq()
        revoked = await c.post(
            f"/api/v1/tokens/{b['token']['id']}/revoke", headers={"X-CSRF-Token": csrf}
        )
        assert revoked.status_code == 200
        assert revoked.json()["status"] == "revoked"
        assert len(await audit_rows(start, "api_token:revoke")) == 1
    await ApiToken.update({ApiToken.expires_at: datetime.now(tz=UTC) - timedelta(seconds=1)}).where(
        ApiToken.id == a["token"]["id"]
    )
    async with AsyncTestClient(app=app, base_url=BASE) as bare:
        assert (await bare.get("/api/v1/callins", headers=_bearer(a["secret"]))).status_code == 401
        assert (await bare.get("/api/v1/callins", headers=_bearer(b["secret"]))).status_code == 401
        assert (await bare.get("/api/v1/callins", headers=_bearer(d["secret"]))).status_code == 200
        # Moved out of the municipality: the token sees nothing there at once.
        await _callin(home, "Call-in Väsby")
        await UserMunicipality.delete().where(
            (UserMunicipality.user == owner) & (UserMunicipality.municipality == home)
        )
        moved = await bare.get("/api/v1/callins", headers=_bearer(d["secret"]))
        assert moved.status_code == 200
        assert moved.json()["items"] == []
        await User.update({User.is_active: False}).where(User.id == owner)
        assert (await bare.get("/api/v1/callins", headers=_bearer(d["secret"]))).status_code == 401


async def test_each_token_is_rate_limited(db: None) -> None:
    app = create_app(replace(get_settings(), api_rate_limit=3))
    home = await municipality(HOME)
    _, totp = await _coordinator()
    async with signed_in(app, "samordnare", totp) as c:
        csrf = await token(c)
        first = (await _new_token(c, csrf, municipality_ids=[home])).json()["secret"]
        second = (await _new_token(c, csrf, municipality_ids=[home])).json()["secret"]
    async with AsyncTestClient(app=app, base_url=BASE) as bare:
        answers = [
            (await bare.get("/api/v1/callins", headers=_bearer(first))).status_code
            for _ in range(3)
        ]
        assert answers == [200, 200, 200]
        over = await bare.get("/api/v1/callins", headers=_bearer(first))
        assert over.status_code == 429
        assert 1 <= int(over.headers["retry-after"]) <= 60
        assert "För många anrop" in over.json()["detail"]
        # Per token: another token of the same owner is not held back.
        assert (await bare.get("/api/v1/callins", headers=_bearer(second))).status_code == 200


async def test_an_admin_makes_a_service_account_that_only_reaches_the_api(app: Litestar) -> None:
    home = await municipality(HOME)
    _, admin_totp = await make_user("admin1", "admin", municipality_codes=[HOME])
    mine = await _callin(home, "Call-in Väsby")
    start = await head_seq()
    async with signed_in(app, "admin1", admin_totp) as c:
        csrf = {"X-CSRF-Token": await token(c)}
        made = await c.post(
            "/api/v1/admin/service-accounts",
            json={
                "username": "statistik",
                "display_name": "Statistikjobbet",
                "role": "coordinator",
                "municipality_ids": [home],
            },
            headers=csrf,
        )
        assert made.status_code == 201, made.text
        account = made.json()["id"]
        too_much = await c.post(
            f"/api/v1/admin/service-accounts/{account}/tokens",
            json={"name": "Jobb", "permissions": ["users:manage"], "days": 10},
            headers=csrf,
        )
        assert too_much.status_code == 400
        issued = await c.post(
            f"/api/v1/admin/service-accounts/{account}/tokens",
            json={"name": "Jobb", "permissions": ["callins:read"], "days": 10},
            headers=csrf,
        )
        assert issued.status_code == 400
        assert "Välj minst en kommun" in issued.json()["detail"]
        issued = await c.post(
            f"/api/v1/admin/service-accounts/{account}/tokens",
            json={
                "name": "Jobb",
                "permissions": ["callins:read"],
                "days": 10,
                "municipality_ids": [home],
            },
            headers=csrf,
        )
        assert issued.status_code == 201, issued.text
        assert issued.json()["token"]["municipality_ids"] == [home]
        page = await c.get(f"/admin/service-accounts/{account}")
        assert page.status_code == 200
        assert "Jobb" in page.text
        secret = issued.json()["secret"]
    assert len(await audit_rows(start, "service_account:create")) == 1
    async with AsyncTestClient(app=app, base_url=BASE) as bare:
        listing = await bare.get("/api/v1/callins", headers=_bearer(secret))
        assert [i["id"] for i in listing.json()["items"]] == [mine]
        login = await bare.get("/login")
        assert login.status_code == 200
        from tests.support import csrf_from

        tried = await bare.post(
            "/login",
            data={
                "username": "statistik",
                "password": PASSWORD,
                "csrf_token": csrf_from(login.text),
            },
            follow_redirects=False,
        )
        assert tried.status_code == 400  # no password opens a service account
    await User.update({User.is_active: False}).where(User.id == account)
    async with AsyncTestClient(app=app, base_url=BASE) as bare:
        dead = await bare.get("/api/v1/callins", headers=_bearer(secret))
        assert dead.status_code == 401
    async with signed_in(app, "admin1", admin_totp) as c:
        page = await c.get(f"/admin/service-accounts/{account}")
        assert page.status_code == 200
        assert "Kontot är avstängt" in page.text
        listed = await c.get(f"/api/v1/admin/service-accounts/{account}/tokens")
        assert listed.status_code == 200
        assert len(listed.json()) == 1


async def test_the_schema_declares_both_schemes_on_every_operation(app: Litestar) -> None:
    _, totp = await make_user("analytiker", "analyst")
    async with signed_in(app, "analytiker", totp) as c:
        schema = (await c.get("/api/v1/schema/openapi.json")).json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["session"] == {
        "type": "apiKey",
        "name": "__Host-gvi",
        "in": "cookie",
        "description": schemes["session"]["description"],
    }
    assert schemes["csrfToken"]["in"] == "header"
    assert schemes["csrfToken"]["name"] == "X-CSRF-Token"
    assert schemes["bearerToken"]["type"] == "http"
    assert schemes["bearerToken"]["scheme"] == "bearer"
    checked = 0
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            security = operation.get("security")
            assert security, (method, path)
            session = [s for s in security if "session" in s]
            assert len(session) == 1, (method, path)
            assert ("csrfToken" in session[0]) == (method != "get"), (method, path)
            managing = path.startswith(("/api/v1/tokens", "/api/v1/calendar-feeds")) or (
                "/service-accounts" in path
            )
            assert ({"bearerToken": []} in security) == (not managing), (method, path)
            assert "429" in operation["responses"], (method, path)
            checked += 1
    assert checked > 100
