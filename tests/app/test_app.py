"""The assembled app: health, readiness, headers, default deny, uniform 404."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from gvi.access.guards import route_permission
from tests.clients import NOT_FOUND


async def test_healthz_and_readyz(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    live = await client.get("/healthz")
    assert live.status_code == 200
    assert live.json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


async def test_security_headers_and_fresh_nonce(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    first = await client.get("/login")
    second = await client.get("/login")
    for r in (first, second):
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        assert "default-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["cache-control"] == "no-store"
        assert "max-age=" in r.headers["strict-transport-security"]
        # The sign-in page runs no script of its own: no nonce, so nothing inline.
        assert "nonce-" not in csp
        assert "script-src 'self';" in csp


async def test_every_route_declares_a_permission(app: Litestar, client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    """Default deny: a route without a declared permission fails this test. Litestar
    adds an OPTIONS handler per path by itself; those carry no permission, so the
    guard must refuse them, which is checked by calling each one."""
    missing = []
    auto_options = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if route_permission(handler) is not None:
                continue
            if set(getattr(handler, "http_methods", ())) == {"OPTIONS"}:
                auto_options.append(route.path)
            else:
                missing.append(f"{route.path} {sorted(getattr(handler, 'http_methods', []))}")
    assert missing == []
    assert auto_options
    for path in auto_options:
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        r = await client.options(concrete)
        assert r.status_code == 404, path


async def test_unknown_host_is_refused(app: Litestar) -> None:
    async with AsyncTestClient(app=app, base_url="https://evil.example") as c:
        r = await c.get("/healthz")
    assert r.status_code == 400


async def test_anonymous_page_redirects_to_login_and_api_says_401(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    r = await client.get("/", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login"
    api = await client.get("/api/v1/schema/openapi.json")
    assert api.status_code == 401


async def test_missing_page_is_404_without_detail(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    r = await client.get("/no/such/page")
    assert r.status_code == 404
    api = await client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.json() == NOT_FOUND


async def test_host_with_the_served_port_is_allowed(app: Litestar) -> None:
    async with AsyncTestClient(app=app, base_url="https://testserver.local:8000") as c:
        assert (await c.get("/healthz")).status_code == 200
    async with AsyncTestClient(app=app, base_url="https://testserver.local:8999") as c:
        assert (await c.get("/healthz")).status_code == 400


async def test_refusals_of_the_access_check_are_answered_inside_the_middleware(
    client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    """The access check runs innermost: its refusals (401, 403 CSRF, 404 for no
    route permission) carry the security headers and speak the request's language,
    like any answer from a handler."""
    anonymous_api = await client.get("/api/v1/people", headers={"Accept-Language": "en"})
    assert anonymous_api.status_code == 401
    assert anonymous_api.json()["detail"] == "Sign in to continue."
    anonymous_page = await client.get("/people", follow_redirects=False)
    assert anonymous_page.status_code == 303
    assert anonymous_page.headers["location"] == "/login"
    no_token = await client.post(
        "/login", data={"username": "x", "password": "y"}, headers={"Accept-Language": "en"}
    )
    assert no_token.status_code == 403
    assert "The form has expired or lacks its security token." in no_token.text
    unrouted_method = await client.options("/login")
    assert unrouted_method.status_code == 404
    for r in (anonymous_api, anonymous_page, no_token, unrouted_method):
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-content-type-options"] == "nosniff"
