"""The audit trail's views for admins: who worked with a person (by code),
what a user read, who read unusually much, and the check of the chain.

Every look is itself audited in the same transaction; a person appears as its
code, never its identity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.accounts.tables import User
from gvi.audit import services as audit
from gvi.audit.events import AuditAction
from gvi.core.clock import now
from gvi.core.failures import FormErrors
from gvi.core.forms import PERSON_CODE
from gvi.db import writing
from gvi.i18n import gettext
from gvi.people.tables import Person

UNUSUAL_DEFAULT_THRESHOLD = 50
UNUSUAL_DEFAULT_DAYS = 30
TRAIL_LIMIT = 200


@dataclass(frozen=True)
class TrailRow:
    seq: int
    occurred_at: datetime
    actor_username: str
    action: str
    target_type: str
    target_id: str
    person_code: str | None


# The columns of a trail row that are the entry's own.
_FROM_ENTRY = tuple(f.name for f in fields(TrailRow) if f.name != "person_code")


async def person_codes(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await Person.select(Person.id, Person.code).where(Person.id.is_in(wanted))
    return {r["id"]: r["code"] for r in rows}


async def _trail_rows(entries: Sequence[audit.AuditEntry]) -> list[TrailRow]:
    codes = await person_codes(e.person_id for e in entries)
    return [
        TrailRow(
            person_code=codes.get(e.person_id) if e.person_id is not None else None,
            **{name: getattr(e, name) for name in _FROM_ENTRY},
        )
        for e in entries
    ]


def clean_person_code(code: str) -> str:
    """The code in canonical form; FormErrors if it does not look like a person code."""
    cleaned = code.strip().upper()
    if not PERSON_CODE.fullmatch(cleaned):
        raise FormErrors(
            {
                "code": gettext(
                    "Skriv en personkod, till exempel P-7Q4K. "
                    "Skriv aldrig namn eller personnummer här."
                )
            }
        )
    return cleaned


async def _looked(
    principal: Principal,
    target_type: str,
    view: str,
    target_id: int | str = "",
    *,
    person_id: int | None = None,
    **details: Any,
) -> None:
    """The audit event of a look at the trail (itself a reading, in the same transaction)."""
    await audit.record(
        AuditAction.audit_read,
        actor=principal,
        target_type=target_type,
        target_id=target_id,
        person_id=person_id,
        details={"view": view, **details},
    )


async def person_trail(principal: Principal, code: str) -> list[TrailRow] | None:
    """Everyone who read or changed the person with this code, newest first; None
    when no person has the code. The person's identity is never looked at."""
    require(principal, Permission.audit_read)
    cleaned = clean_person_code(code)
    async with writing():
        person = await Person.select(Person.id).where(Person.code == cleaned).first()
        if person is None:
            await _looked(principal, "person", "person_trail", found=False)
            return None
        person_id: int = person["id"]
        entries = await audit.who_accessed_person(person_id, limit=TRAIL_LIMIT)
        # Looking at who worked with a person is itself a look at that person.
        await _looked(
            principal, "person", "person_trail", person_id, person_id=person_id, rows=len(entries)
        )
    return await _trail_rows(entries)


async def user_reads(principal: Principal, username: str) -> list[TrailRow] | None:
    """The person-level reads of the user with this username, newest first; None if
    there is no such user."""
    require(principal, Permission.audit_read)
    name = username.strip().lower()
    if not name:
        raise FormErrors({"username": gettext("Skriv ett användarnamn.")})
    async with writing():
        user = await User.select(User.id).where(User.username == name).first()
        if user is None:
            await _looked(principal, "user", "user_reads", found=False)
            return None
        entries = await audit.what_user_read(user["id"], limit=TRAIL_LIMIT)
        await _looked(principal, "user", "user_reads", user["id"], rows=len(entries))
    return await _trail_rows(entries)


async def unusual(
    principal: Principal,
    *,
    threshold: int = UNUSUAL_DEFAULT_THRESHOLD,
    days: int = UNUSUAL_DEFAULT_DAYS,
) -> list[audit.UnusualReading]:
    """Users who read more than *threshold* distinct persons in one hour, in the
    last *days* days."""
    require(principal, Permission.audit_read)
    errors: dict[str, str] = {}
    if not 1 <= threshold <= 100_000:
        errors["threshold"] = gettext("Ange ett gränsvärde mellan 1 och 100 000.")
    if not 1 <= days <= 3660:
        errors["days"] = gettext("Ange ett antal dagar mellan 1 och 3 660.")
    if errors:
        raise FormErrors(errors)
    since = now() - timedelta(days=days)
    async with writing():
        rows = await audit.unusual_reading(threshold, since=since)
        await _looked(principal, "audit", "unusual", threshold=threshold, days=days, rows=len(rows))
    return rows


async def verify_chain(principal: Principal) -> audit.VerifyResult:
    """Walk the whole hash chain; the check itself is recorded."""
    require(principal, Permission.audit_read)
    result = await audit.verify()
    await audit.record(
        AuditAction.audit_verify, actor=principal, target_type="audit", details=result.summary
    )
    return result
