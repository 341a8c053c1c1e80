"""Helpers for the admin tests: users, versions, audit rows, failed logins."""

from __future__ import annotations

import json
import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from gvi.accounts.tables import User
from gvi.audit.tables import AuditEvent
from tests.clients import BASE, PASSWORD, csrf_from, signed_in, token
from tests.database import reference_municipality
from tests.factories import make_user

MUNICIPALITY_CODE = "0114"

Client = AsyncTestClient  # type: ignore[type-arg]


async def municipality(code: str = MUNICIPALITY_CODE) -> int:
    """The id of the reference municipality with this kommunkod (migrate loads them)."""
    return int((await reference_municipality(code)).id)


async def new_user(username: str, role: str) -> tuple[int, str | None]:
    return await make_user(username, role, municipality_codes=[MUNICIPALITY_CODE])


async def version(user_id: int) -> int:
    row = await User.select(User.version).where(User.id == user_id).first()
    assert row is not None
    return int(row["version"])


async def user_row(user_id: int) -> dict[str, Any]:
    row = await User.select().where(User.id == user_id).first()
    assert row is not None
    return dict(row)


async def head_seq() -> int:
    """The trail persists across tests: each test reads only rows after this."""
    row = await AuditEvent.select(AuditEvent.seq).order_by(AuditEvent.seq, ascending=False).first()
    return int(row["seq"]) if row else 0


async def audit_rows(since_seq: int, action: str, **where: Any) -> list[dict[str, Any]]:
    rows = await AuditEvent.select().where(
        (AuditEvent.seq > since_seq) & (AuditEvent.action == action)
    )
    result = []
    for row in rows:
        details = row["details"]
        row["details"] = json.loads(details) if isinstance(details, str) else details
        if all(str(row[k]) == str(v) for k, v in where.items()):
            result.append(row)
    return result


_SECRET = re.compile(r'id="totp-secret">([A-Z2-7]+)<')
_CODES = re.compile(r"<li><code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code></li>")


def shown_secret(html: str) -> str:
    match = _SECRET.search(html)
    assert match, "page shows no TOTP secret"
    return match.group(1)


def shown_recovery_codes(html: str) -> list[str]:
    return _CODES.findall(html)


async def fail_logins(app: Litestar, username: str, times: int = 5) -> None:
    async with AsyncTestClient(app=app, base_url=BASE) as client:
        for _ in range(times):
            page = await client.get("/login")
            await client.post(
                "/login",
                data={
                    "username": username,
                    "password": "fel-lösenord-123",
                    "csrf_token": csrf_from(page.text),
                },
            )


# tests/org (and older imports) take these from here; they live in tests.clients.
__all__ = ["BASE", "PASSWORD", "make_user", "signed_in", "token"]
