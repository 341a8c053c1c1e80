"""Signing in: session ids rotate, planted ids never authenticate, CSRF, lockout."""

from __future__ import annotations

import pyotp
from litestar import Litestar
from litestar.testing import AsyncTestClient

from gvi.accounts.tables import User
from tests.clients import BASE, PASSWORD, SESSION_COOKIE, csrf_from, signed_in
from tests.database import reference_municipality
from tests.factories import make_user


async def _municipality() -> None:

    await reference_municipality("0114")


async def test_planted_session_id_never_authenticates_and_id_rotates(app: Litestar) -> None:
    await _municipality()
    _, secret = await make_user("samordnare1", "coordinator", municipality_codes=["0114"])
    planted = "attacker-chosen-session-id-0123456789"
    async with AsyncTestClient(app=app, base_url=BASE) as c:
        c.cookies.set(SESSION_COOKIE, planted, domain="testserver.local")
        page = await c.get("/login")
        # The server never adopts an id it did not issue.
        pre_login = page.cookies.get(SESSION_COOKIE)
        assert pre_login
        assert pre_login != planted
        c.cookies.clear()
        c.cookies.set(SESSION_COOKIE, pre_login, domain="testserver.local")
        r = await c.post(
            "/login",
            data={
                "username": "samordnare1",
                "password": PASSWORD,
                "csrf_token": csrf_from(page.text),
            },
            follow_redirects=False,
        )
        after_password = r.cookies.get(SESSION_COOKIE)
        assert after_password
        assert after_password not in (planted, pre_login)
        page = await c.get("/login/totp")
        r = await c.post(
            "/login/totp",
            data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert r.status_code == 303
        signed_in = r.cookies.get(SESSION_COOKIE)
        assert signed_in
        assert signed_in not in (planted, pre_login, after_password)
        assert (await c.get("/", follow_redirects=False)).status_code == 200
    # Neither the planted id nor any pre-login id opens the account.
    for stale in (planted, pre_login, after_password):
        async with AsyncTestClient(app=app, base_url=BASE) as other:
            other.cookies.set(SESSION_COOKIE, stale, domain="testserver.local")
            r = await other.get("/", follow_redirects=False)
            assert r.status_code == 303
            assert r.headers["location"] == "/login"


async def test_cookie_flags(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    r = await client.get("/login")
    header = r.headers["set-cookie"]
    assert header.startswith(f"{SESSION_COOKIE}=")
    lowered = header.lower()
    for flag in ("secure", "httponly", "samesite=strict", "path=/"):
        assert flag in lowered
    assert "domain=" not in lowered


async def test_logout_and_disabling_end_the_session_at_once(app: Litestar) -> None:
    await _municipality()
    uid, secret = await make_user("polis1", "police", municipality_codes=["0114"])
    async with signed_in(app, "polis1", secret) as c:
        cookie = c.cookies.get(SESSION_COOKIE)
        home = await c.get("/")
        assert home.status_code == 200
        r = await c.post(
            "/logout", data={"csrf_token": csrf_from(home.text)}, follow_redirects=False
        )
        assert r.status_code == 303
    async with AsyncTestClient(app=app, base_url=BASE) as again:
        again.cookies.set(SESSION_COOKIE, cookie, domain="testserver.local")
        assert (await again.get("/", follow_redirects=False)).status_code == 303

    async with signed_in(app, "polis1", secret) as c:
        assert (await c.get("/", follow_redirects=False)).status_code == 200
        await User.update({User.is_active: False}).where(User.id == uid)
        r = await c.get("/", follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/login"


async def test_post_without_csrf_token_or_from_another_site_is_refused(
    client: AsyncTestClient,
) -> None:  # type: ignore[type-arg]
    page = await client.get("/login")
    token = csrf_from(page.text)
    no_token = await client.post("/login", data={"username": "x", "password": "y"})
    assert no_token.status_code == 403
    foreign = await client.post(
        "/login",
        data={"username": "x", "password": "y", "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    # The same host and port over plain http is another origin (scheme compared too).
    for other in (BASE.replace("https://", "http://"), BASE + ":8443"):
        for header in ("Origin", "Referer"):
            downgraded = await client.post(
                "/login",
                data={"username": "x", "password": "y", "csrf_token": token},
                headers={header: other + ("/login" if header == "Referer" else "")},
            )
            assert downgraded.status_code == 403, (header, other)
    ok_origin = await client.post(
        "/login",
        data={"username": "x", "password": "y", "csrf_token": token},
        headers={"Origin": BASE},
    )
    assert ok_origin.status_code == 400  # wrong credentials, but the request itself passed CSRF


async def test_unknown_user_and_wrong_password_look_the_same_and_lockout(
    client: AsyncTestClient,
) -> None:  # type: ignore[type-arg]
    await _municipality()
    _, _secret = await make_user("socsek1", "outreach", municipality_codes=["0114"])

    async def attempt(username: str, password: str) -> tuple[int, str]:
        page = await client.get("/login")
        r = await client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        return r.status_code, r.text

    unknown = await attempt("finns-inte", "fel-lösenord-123")
    wrong = await attempt("socsek1", "fel-lösenord-123")
    assert unknown[0] == wrong[0] == 400
    # The same message whether or not the account exists; the typed username is kept.
    assert "Inloggningen misslyckades" in unknown[1]
    assert "Inloggningen misslyckades" in wrong[1]
    assert 'value="socsek1"' in wrong[1]
    for _ in range(5):
        await attempt("socsek1", "fel-lösenord-123")
    # Locked: even the right password is refused now, with the same answer.
    status, text = await attempt("socsek1", PASSWORD)
    assert status == 400
    assert "Inloggningen misslyckades" in text
