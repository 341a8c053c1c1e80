"""Sign-in through an identity provider, against the loopback provider of
``fake_provider.py``: the app's real client, validation, linking, session and
audit code over real HTTP, with ID tokens the tests sign themselves."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from gvi.accounts.tables import User
from gvi.oidc.tables import OidcLink
from tests.admin.support import audit_rows, head_seq
from tests.oidc.fake_provider import CLIENT_ID, FakeProvider, new_key, s256
from tests.servers import free_port
from tests.support import SESSION_COOKIE, csrf_from, fresh_code, make_user

NOT_COMPLETED = "Inloggningen kunde inte slutföras"


async def start(client: Any) -> dict[str, str]:
    """GET /login/oidc: the query of the address the browser is sent to."""
    r = await client.get("/login/oidc", follow_redirects=False)
    assert r.status_code == 303, r.text
    query = parse_qs(urlsplit(r.headers["location"]).query)
    return {k: v[0] for k, v in query.items()}


async def callback(client: Any, state: str, code: str = "code-1") -> Any:
    return await client.get(
        "/login/oidc/callback", params={"code": code, "state": state}, follow_redirects=False
    )


async def sign_in(client: Any, provider: FakeProvider, **claims: Any) -> Any:
    auth = await start(client)
    provider.next_id_token = provider.sign(provider.claims(auth["nonce"], **claims))
    return await callback(client, auth["state"])


async def signed_in_as(client: Any) -> str | None:
    r = await client.get("/", follow_redirects=False)
    if r.status_code != 200:
        return None
    return r.text


async def test_login_page_offers_the_provider(client: Any, provider: FakeProvider) -> None:
    r = await client.get("/login")
    assert "Logga in med Testkommunens konto" in r.text
    assert 'href="/login/oidc"' in r.text


async def test_two_factor_user_signs_in_without_local_totp(
    client: Any, provider: FakeProvider
) -> None:
    user_id, _ = await make_user("anna", "outreach")
    since = await head_seq()
    auth = await start(client)
    assert auth["response_type"] == "code"
    assert auth["client_id"] == CLIENT_ID
    assert auth["code_challenge_method"] == "S256"
    assert set(auth["scope"].split()) >= {"openid"}
    provider.next_id_token = provider.sign(provider.claims(auth["nonce"], amr=["pwd", "mfa"]))
    r = await callback(client, auth["state"])
    assert r.status_code == 303
    assert r.headers["location"] == "/"
    # PKCE: the verifier sent to the token endpoint is the one the challenge was made from.
    verifier = provider.token_requests[-1]["code_verifier"][0]
    assert s256(verifier) == auth["code_challenge"]
    assert provider.token_requests[-1]["redirect_uri"][0].endswith("/login/oidc/callback")
    assert await signed_in_as(client)
    link = await OidcLink.objects().where(OidcLink.user == user_id).first()
    assert link is not None
    assert (link.issuer, link.subject) == (provider.issuer, "sub-1")
    login = await audit_rows(since, "auth:login", target_id=user_id)
    assert login[0]["details"]["method"] == "oidc"
    assert login[0]["details"]["second_factor"] == "provider"
    assert await audit_rows(since, "auth:oidc_linked", target_id=user_id)


async def test_acr_value_counts_as_two_factors(
    client: Any, provider: FakeProvider, settings_env: pytest.MonkeyPatch
) -> None:
    from gvi.settings import get_settings

    settings_env.setenv("GVI_OIDC_TWO_FACTOR_ACR", "urn:test:loa:2")
    get_settings.cache_clear()
    await make_user("anna", "outreach")
    r = await sign_in(client, provider, acr="urn:test:loa:2", amr=["pwd"])
    assert r.headers["location"] == "/"


async def test_one_factor_user_gets_the_totp_step(client: Any, provider: FakeProvider) -> None:
    user_id, secret = await make_user("anna", "outreach")
    assert secret
    since = await head_seq()
    r = await sign_in(client, provider, amr=["pwd"])
    assert r.status_code == 303
    assert r.headers["location"] == "/login/totp"
    assert await signed_in_as(client) is None
    page = await client.get("/login/totp")
    r = await client.post(
        "/login/totp",
        data={"code": fresh_code(secret), "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"
    assert await signed_in_as(client)
    login = await audit_rows(since, "auth:login", target_id=user_id)
    assert login[0]["details"]["method"] == "oidc"
    assert login[0]["details"]["second_factor"] == "totp"


async def test_later_sign_ins_match_on_subject_not_on_the_claim(
    client: Any, app: Any, provider: FakeProvider
) -> None:
    from litestar.testing import AsyncTestClient

    anna, _ = await make_user("anna", "analyst")
    await make_user("bertil", "analyst")
    r = await sign_in(client, provider, amr=["mfa"])
    assert r.headers["location"] == "/"
    # The provider renamed the person: the link still says who it is.
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as other:
        r = await sign_in(other, provider, preferred_username="bertil", amr=["mfa"])
        assert r.headers["location"] == "/"
        assert 'class="who">anna' in (await signed_in_as(other) or "")
    # Another person at the provider now carries the name "anna": not taken over.
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as third:
        since = await head_seq()
        r = await sign_in(third, provider, sub="sub-2", amr=["mfa"])
        assert r.status_code == 403
        assert await signed_in_as(third) is None
        refused = await audit_rows(since, "auth:login_failed", target_id=anna)
        assert refused[0]["details"]["reason"] == "linked_to_other_subject"


async def test_unknown_person_is_refused_with_an_audit_event(
    client: Any, provider: FakeProvider
) -> None:
    since = await head_seq()
    r = await sign_in(client, provider, preferred_username="okand.person@kommun.se")
    assert r.status_code == 403
    assert "det finns inget aktivt konto i GVI-stöd för dig" in r.text
    assert await signed_in_as(client) is None
    rows = await audit_rows(since, "auth:login_failed")
    assert [row["details"] for row in rows] == [{"reason": "unknown_account", "method": "oidc"}]
    # No personal data from the provider in the trail.
    assert "okand" not in json.dumps(rows, default=str)
    assert await OidcLink.count() == 0


async def test_a_deactivated_account_cannot_sign_in(client: Any, provider: FakeProvider) -> None:
    user_id, _ = await make_user("anna", "analyst")
    r = await sign_in(client, provider)
    assert r.headers["location"] == "/"
    await client.post("/logout", data={"csrf_token": csrf_from((await client.get("/")).text)})
    await User.update({User.is_active: False}).where(User.id == user_id)
    since = await head_seq()
    r = await sign_in(client, provider)
    assert r.status_code == 403
    assert await signed_in_as(client) is None
    rows = await audit_rows(since, "auth:login_failed", target_id=user_id)
    assert rows[0]["details"]["reason"] == "inactive"


def _unsigned(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'kid': 'k1'})}.{part(claims)}."


def _token(provider: FakeProvider, nonce: str, case: str) -> str:
    now = int(time.time())
    if case == "wrong_audience":
        return provider.sign(provider.claims(nonce, aud="another-client"))
    if case == "wrong_issuer":
        return provider.sign(provider.claims(nonce, iss="https://evil.example"))
    if case == "expired":
        return provider.sign(provider.claims(nonce, iat=now - 7200, exp=now - 3600))
    if case == "issued_in_the_future":
        return provider.sign(provider.claims(nonce, iat=now + 3600, exp=now + 7200))
    if case == "nonce_mismatch":
        return provider.sign(provider.claims("another-nonce"))
    if case == "no_nonce":
        claims = provider.claims(nonce)
        del claims["nonce"]
        return provider.sign(claims)
    if case == "bad_signature":
        # The published key's id, another key's signature.
        impostor = new_key(provider.keys[-1].kid or "k1")
        return provider.sign(provider.claims(nonce), key=impostor)
    if case == "unknown_key":
        return provider.sign(provider.claims(nonce), key=new_key("never-published"))
    if case == "alg_none":
        return _unsigned(provider.claims(nonce))
    if case == "alg_hs256":
        # Signed with the client secret as an HMAC key: not an allowed algorithm.
        key = OctKey.import_key(b"gvi-test-secret-gvi-test-secret!")
        return jwt.encode({"alg": "HS256"}, provider.claims(nonce), key, algorithms=["HS256"])
    if case == "garbage":
        return "not-a-token"
    raise AssertionError(case)


REJECTED = {
    "wrong_audience": "token_claim_aud",
    "wrong_issuer": "token_claim_iss",
    "expired": "token_expired",
    "issued_in_the_future": "token_claim_iat",
    "nonce_mismatch": "token_claim_nonce",
    "no_nonce": "token_missing_claim",
    "bad_signature": "token_signature",
    "unknown_key": "token_unknown_key",
    "alg_none": "token_algorithm",
    "alg_hs256": "token_algorithm",
    "garbage": "token_malformed",
}


@pytest.mark.parametrize("case", sorted(REJECTED))
async def test_invalid_id_tokens_are_refused(
    client: Any, provider: FakeProvider, case: str
) -> None:
    await make_user("anna", "analyst")
    since = await head_seq()
    auth = await start(client)
    provider.next_id_token = _token(provider, auth["nonce"], case)
    r = await callback(client, auth["state"])
    assert r.status_code == 400
    assert NOT_COMPLETED in r.text
    assert await signed_in_as(client) is None
    rows = await audit_rows(since, "auth:login_failed")
    assert [row["details"]["reason"] for row in rows] == [REJECTED[case]]
    assert await OidcLink.count() == 0


async def test_expiry_has_a_small_leeway(client: Any, provider: FakeProvider) -> None:
    await make_user("anna", "analyst")
    now = int(time.time())
    r = await sign_in(client, provider, iat=now - 400, exp=now - 30)
    assert r.headers["location"] == "/"


async def test_a_replayed_state_is_refused(client: Any, app: Any, provider: FakeProvider) -> None:
    from litestar.testing import AsyncTestClient

    await make_user("anna", "analyst")
    auth = await start(client)
    provider.next_id_token = provider.sign(provider.claims(auth["nonce"]))
    assert (await callback(client, auth["state"])).headers["location"] == "/"
    since = await head_seq()
    # The same answer again, in the same browser: the state was spent.
    r = await callback(client, auth["state"])
    if r.status_code == 200 and "bounced=1" in r.text:
        r = await client.get(
            "/login/oidc/callback",
            params={"code": "code-1", "state": auth["state"], "bounced": "1"},
            follow_redirects=False,
        )
    assert r.status_code == 400
    assert NOT_COMPLETED in r.text
    # And in another browser, which never started a sign-in.
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as other:
        r = await callback(other, auth["state"])
        assert r.status_code == 200
        assert "bounced=1" in r.text
        assert SESSION_COOKIE not in r.headers.get("set-cookie", "")
        r = await other.get(
            "/login/oidc/callback",
            params={"code": "code-1", "state": auth["state"], "bounced": "1"},
            follow_redirects=False,
        )
        assert r.status_code == 400
        assert await signed_in_as(other) is None
    reasons = [row["details"]["reason"] for row in await audit_rows(since, "auth:login_failed")]
    assert reasons == ["state", "state"]
    # Only the first answer reached the token endpoint.
    assert len(provider.token_requests) == 1


async def test_a_foreign_state_is_refused(client: Any, provider: FakeProvider) -> None:
    await make_user("anna", "analyst")
    auth = await start(client)
    provider.next_id_token = provider.sign(provider.claims(auth["nonce"]))
    r = await callback(client, auth["state"] + "x")
    assert r.status_code == 400
    assert await signed_in_as(client) is None
    # Single use even when wrong: the right state no longer works either.
    r = await client.get(
        "/login/oidc/callback",
        params={"code": "code-1", "state": auth["state"], "bounced": "1"},
        follow_redirects=False,
    )
    assert r.status_code == 400
    assert provider.token_requests == []


async def test_key_rotation_refetches_the_jwks(client: Any, provider: FakeProvider) -> None:
    await make_user("anna", "analyst")
    assert (await sign_in(client, provider)).headers["location"] == "/"
    assert provider.jwks_fetches == 1
    await client.post("/logout", data={"csrf_token": csrf_from((await client.get("/")).text)})
    # The provider publishes a new key and signs with it: one refetch, then accepted.
    provider.keys.append(new_key("k2"))
    assert (await sign_in(client, provider)).headers["location"] == "/"
    assert provider.jwks_fetches == 2
    await client.post("/logout", data={"csrf_token": csrf_from((await client.get("/")).text)})
    # The old key is withdrawn; an hour later the keys are re-read, and a token
    # still signed with it is refused.
    old = provider.keys.pop(0)
    _cached_client(provider)._keys_at -= 3600
    auth = await start(client)
    provider.next_id_token = provider.sign(provider.claims(auth["nonce"]), key=old)
    r = await callback(client, auth["state"])
    assert r.status_code == 400
    # The hourly re-read, then one more for the unknown key id.
    assert provider.jwks_fetches == 4
    # Still-known keys need no fetch.
    assert (await sign_in(client, provider)).headers["location"] == "/"
    assert provider.jwks_fetches == 4


def _cached_client(provider: FakeProvider) -> Any:
    """The app's client for this provider (its discovery and key cache)."""
    from gvi.oidc import client as oidc_client

    return next(c for c in oidc_client._clients.values() if c.issuer == provider.issuer)


async def test_provider_unreachable_gives_a_clear_page_and_no_session(
    client: Any, settings_env: pytest.MonkeyPatch
) -> None:
    from gvi.settings import get_settings

    settings_env.setenv("GVI_OIDC_ISSUER", f"http://127.0.0.1:{free_port()}")
    settings_env.setenv("GVI_OIDC_CLIENT_ID", CLIENT_ID)
    get_settings.cache_clear()
    r = await client.get("/login/oidc", follow_redirects=False)
    assert r.status_code == 503
    assert "Identitetsleverantören svarar inte just nu" in r.text
    # No signed-in session, and no sign-in left pending (the page's form token
    # is all an anonymous visitor holds, as on the login page).
    assert await signed_in_as(client) is None
    r = await client.get(
        "/login/oidc/callback",
        params={"code": "c", "state": "s", "bounced": "1"},
        follow_redirects=False,
    )
    assert r.status_code == 400


async def test_provider_down_at_the_callback(client: Any, provider: FakeProvider) -> None:
    await make_user("anna", "analyst")
    auth = await start(client)
    provider.next_id_token = provider.sign(provider.claims(auth["nonce"]))
    # The discovery document is cached; the token endpoint now fails.
    meta = _cached_client(provider)
    assert meta._metadata is not None
    meta._metadata = type(meta._metadata)(
        **{**meta._metadata.__dict__, "token_endpoint": f"http://127.0.0.1:{free_port()}/token"}
    )
    r = await callback(client, auth["state"])
    assert r.status_code == 503
    assert "Identitetsleverantören svarar inte just nu" in r.text
    assert await signed_in_as(client) is None


async def test_the_session_id_rotates_at_sign_in(
    client: Any, app: Any, provider: FakeProvider
) -> None:
    from litestar.testing import AsyncTestClient

    await make_user("anna", "analyst")
    auth = await start(client)
    before = client.cookies.get(SESSION_COOKIE)
    assert before, "the pre-login session holds state and nonce"
    provider.next_id_token = provider.sign(provider.claims(auth["nonce"]))
    assert (await callback(client, auth["state"])).headers["location"] == "/"
    after = client.cookies.get(SESSION_COOKIE)
    assert after
    assert after != before
    assert await signed_in_as(client)
    # The id the browser held before sign-in opens nothing.
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as planted:
        planted.cookies.set(SESSION_COOKIE, before, domain="testserver.local")
        assert await signed_in_as(planted) is None


async def test_sign_out_ends_the_provider_session_too(client: Any, provider: FakeProvider) -> None:
    await make_user("anna", "analyst")
    auth = await start(client)
    id_token = provider.sign(provider.claims(auth["nonce"]))
    provider.next_id_token = id_token
    assert (await callback(client, auth["state"])).headers["location"] == "/"
    r = await client.post(
        "/logout",
        data={"csrf_token": csrf_from((await client.get("/")).text)},
        follow_redirects=False,
    )
    assert r.status_code == 200
    assert await signed_in_as(client) is None
    url = r.text.split('id="end-session"')[0].rsplit('href="', 1)[1].split('"')[0]
    url = url.replace("&amp;", "&")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{provider.issuer}/session/end"
    query = parse_qs(parts.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["https://testserver.local/login"]
    assert f'http-equiv="refresh" content="0;url={provider.issuer}/session/end' in r.text


async def test_password_login_off_except_break_glass(
    client: Any, provider: FakeProvider, settings_env: pytest.MonkeyPatch
) -> None:
    from gvi.settings import get_settings
    from tests.support import PASSWORD

    settings_env.setenv("GVI_PASSWORD_LOGIN", "false")
    settings_env.setenv("GVI_BREAK_GLASS_ACCOUNT", "nod-admin")
    get_settings.cache_clear()
    await make_user("anna", "analyst")
    await make_user("nod-admin", "admin")
    since = await head_seq()
    page = await client.get("/login")
    assert "Nödinloggning med lösenord" in page.text
    assert "Logga in med Testkommunens konto" in page.text
    r = await client.post(
        "/login",
        data={"username": "anna", "password": PASSWORD, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 400
    assert "Inloggning med lösenord är avstängd" in r.text
    assert 'value="anna"' in r.text
    assert await signed_in_as(client) is None
    rows = await audit_rows(since, "auth:login_failed")
    assert rows[0]["details"] == {"reason": "password_login_off"}
    r = await client.post(
        "/login",
        data={"username": "nod-admin", "password": PASSWORD, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/login/totp"
    # The provider still works for everyone else.
    client.cookies.clear()
    assert (await sign_in(client, provider)).headers["location"] == "/"


async def test_nothing_happens_without_a_provider(client: Any) -> None:
    page = await client.get("/login")
    assert "/login/oidc" not in page.text
    r = await client.get("/login/oidc", follow_redirects=False)
    assert r.headers["location"] == "/login"


def test_production_refuses_unsafe_provider_settings() -> None:
    from gvi.oidc.config import production_problems
    from gvi.settings import Settings

    assert production_problems(Settings()) == []
    good = Settings(
        oidc_issuer="https://login.example/t/v2.0",
        oidc_client_id="c",
        oidc_client_secret="s",
        password_login=False,
        break_glass_account="nod-admin",
    )
    assert production_problems(good) == []
    plain = Settings(oidc_issuer="http://login.example", oidc_client_id="c")
    assert len(production_problems(plain)) == 2
    assert len(production_problems(Settings(password_login=False))) == 2


async def test_serve_refuses_an_http_issuer_in_production(db: None) -> None:
    import asyncio
    import dataclasses

    import click

    from gvi.cli import _refuse_unsafe_production
    from gvi.settings import get_settings
    from tests.test_production_guard import GOOD

    base = dataclasses.replace(
        get_settings(), **GOOD, oidc_issuer="http://idp.example", oidc_client_id="c"
    )
    with pytest.raises(click.ClickException, match="GVI_OIDC_ISSUER must be an https"):
        await asyncio.to_thread(_refuse_unsafe_production, base)


async def test_unlink_lets_the_next_sign_in_link_anew(client: Any, provider: FakeProvider) -> None:
    import asyncio

    from click.testing import CliRunner

    from gvi.cli import main

    user_id, _ = await make_user("anna", "analyst")
    assert (await sign_in(client, provider)).headers["location"] == "/"
    await client.post("/logout", data={"csrf_token": csrf_from((await client.get("/")).text)})
    since = await head_seq()
    result = await asyncio.to_thread(CliRunner().invoke, main, ["oidc-unlink", "anna"])
    assert result.exit_code == 0, result.output
    assert await OidcLink.count() == 0
    assert await audit_rows(since, "auth:oidc_unlinked", target_id=user_id)
    again = await asyncio.to_thread(CliRunner().invoke, main, ["oidc-unlink", "anna"])
    assert again.exit_code != 0
    # A new subject at the provider (another tenant) now links to the account.
    assert (await sign_in(client, provider, sub="new-tenant-sub")).headers["location"] == "/"
    link = await OidcLink.objects().where(OidcLink.user == user_id).first()
    assert link is not None
    assert link.subject == "new-tenant-sub"
