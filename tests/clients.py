"""Signing in for tests: one signed-in client helper, CSRF tokens, TOTP codes.

``signed_in(app, username, secret)`` opens a test client on the app and signs in
through the real pages (password, then a fresh TOTP code); every test package
uses it instead of its own copy. A world that names its users by role (the
builders in :mod:`tests.factories` and the packages' ``support`` modules) passes
itself and the role: ``signed_in(app, world, "police")`` — any object with a
``login(name) -> (username, secret)`` method will do.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

BASE = "https://testserver.local"

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SESSION_COOKIE = "__Host-gvi"
PASSWORD = "korrekt-hast-batteri-häftklammer"


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


_used_offsets: dict[str, int] = {}


def fresh_code(secret: str) -> str:
    """A TOTP code not used before: codes are single-use, so a second login in the
    same 30 s takes the next step (the server accepts one step of clock drift)."""
    import time

    import pyotp

    offset = _used_offsets.get(secret, -30) + 30
    assert offset <= 30, "at most two logins per user and test within one TOTP window"
    _used_offsets[secret] = offset
    return pyotp.TOTP(secret).at(time.time() + offset)


async def login(
    client: object, username: str, secret: str | None, password: str = PASSWORD
) -> None:
    """Sign in through the real pages: password, then a fresh TOTP code."""

    c: object = client
    page = await c.get("/login")  # type: ignore[attr-defined]
    r = await c.post(  # type: ignore[attr-defined]
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    if r.headers["location"] == "/login/totp":
        assert secret
        page = await c.get("/login/totp")  # type: ignore[attr-defined]
        r = await c.post(  # type: ignore[attr-defined]
            "/login/totp",
            data={"code": fresh_code(secret), "csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
    assert r.headers["location"] == "/"


class SignsIn(Protocol):
    """A test world that knows each of its users' username and TOTP secret."""

    def login(self, name: str) -> tuple[str, str | None]: ...


@asynccontextmanager
async def signed_in(app: Any, who: str | SignsIn, secret_or_name: str | None) -> AsyncIterator[Any]:
    """A test client signed in as ``who`` (a username, with its TOTP secret) or as
    the user a world calls ``secret_or_name``; closed when the block ends."""
    from litestar.testing import AsyncTestClient

    if isinstance(who, str):
        username, secret = who, secret_or_name
    else:
        assert secret_or_name is not None
        username, secret = who.login(secret_or_name)
    async with AsyncTestClient(app=app, base_url=BASE) as client:
        await login(client, username, secret)
        yield client


async def token(client: Any, path: str = "/") -> str:
    """The CSRF token of the page at ``path`` (which must answer 200)."""
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return csrf_from(page.text)


async def api_send(client: Any, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    """A PATCH or DELETE on /api/v1 (gvi/core/rest.py): the body's ``version``
    travels in If-Match, the rest (for PATCH) as the JSON body."""
    fields = dict(body or {})
    headers = {"X-CSRF-Token": await token(client)}
    if "version" in fields:
        headers["If-Match"] = f'"{fields.pop("version")}"'
    content = None if method == "DELETE" else fields
    return await client.request(method, url, json=content, headers=headers)


NOT_FOUND = {
    "type": "about:blank",
    "title": "Hittades inte",
    "status": 404,
    "status_code": 404,
    "detail": "Hittades inte",
}
"""The one body of a JSON 404 (problem+json), missing and forbidden alike."""
