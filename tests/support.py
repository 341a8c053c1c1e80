"""Helpers for tests: emptying the database between tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gvi.piccolo_app import TABLES

if TYPE_CHECKING:
    from gvi.municipalities.tables import Municipality

# The trail is append-only (a trigger refuses UPDATE/DELETE); tests never empty it.
# Municipalities are reference data that `gvi migrate` loads (SCB's 290): tests
# look them up by code (:func:`reference_municipality`) and never create them.
_KEEP = {"audit_event", "municipality"}


async def empty_database() -> None:
    from gvi.municipalities.reference import reference_by_code, sync_municipalities

    engine = TABLES[0]._meta.db
    names = [t._meta.tablename for t in reversed(TABLES) if t._meta.tablename not in _KEEP]
    if engine.engine_type == "postgres":
        await engine._run_in_new_connection(
            "TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"
        )
    else:
        for name in names:
            # Names come from our own table classes, not from input.
            await engine._run_in_new_connection(f'DELETE FROM "{name}"')  # noqa: S608
    # A test that wrote a municipality row as a generic write probe (the write
    # queue, the pool) leaves a code that is not SCB's: remove it, and undo any
    # rename or archiving of a reference row.
    codes = ", ".join(f"'{c}'" for c in reference_by_code())
    await engine._run_in_new_connection(
        f'DELETE FROM "municipality" WHERE code NOT IN ({codes})'  # noqa: S608 (our own codes)
    )
    await sync_municipalities()


async def reference_municipality(code: str) -> Municipality:
    """The reference row (loaded by migrate) with this kommunkod, e.g. "0123" Järfälla."""
    from gvi.municipalities.tables import Municipality

    row = await Municipality.objects().where(Municipality.code == code).first()
    assert row is not None, f"no reference municipality {code}"
    return row


import re  # noqa: E402

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SESSION_COOKIE = "__Host-gvi"
PASSWORD = "korrekt-hast-batteri-häftklammer"


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def make_user(
    username: str,
    role: str,
    *,
    municipality_codes: list[str] | None = None,
    unit_name: str | None = None,
    totp_secret: str | None = None,
) -> tuple[int, str | None]:
    """Create an account through the real service; returns (user id, TOTP secret)."""
    from gvi.accounts.services import create_user
    from gvi.accounts.tables import Role

    new = await create_user(
        username=username,
        display_name=username.title(),
        role=Role(role),
        password=PASSWORD,
        municipality_codes=municipality_codes or [],
        unit_name=unit_name,
        totp_secret=totp_secret,
    )
    return new.user.id, new.totp_secret


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
