"""Shared factories for tests: rows made the way the app makes them (accounts
through the real service, people through ``create_person`` so identities are
encrypted), with defaults that keep a test to what it is about.

- primitives every package uses: :func:`make_user`, :func:`principal`,
  :func:`writer`, :func:`unit`, :func:`group`, :func:`relation`,
  :func:`new_person`, :func:`member`, :func:`audit_mark`;
- the operations world (:class:`OpsWorld`, :func:`build_world`): two
  municipalities, users per role, a social-services and a police unit — the
  callins, incidents, enforcement, tasks, access, i18n and security tests share it.

Package worlds (tests/groups/support.py, tests/networks/world.py,
tests/defectors/factories.py) are built from the same primitives; each world has
``login(name)`` so :func:`tests.clients.signed_in` signs its users in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from gvi.access.principal import Principal
from gvi.accounts.tables import Role
from gvi.audit.tables import AuditEvent
from gvi.callins.tables import CallIn
from gvi.groups.tables import Group, GroupRelation, Membership
from gvi.municipalities.tables import Agency, Unit, UnitMunicipality
from gvi.people.services import Identity, create_person
from gvi.people.tables import Protection
from tests.clients import PASSWORD
from tests.database import reference_municipality

ROLES = ("coordinator", "outreach", "police", "analyst", "admin")
SECRET_NAME = "Operativa Hemligsson"
SECRET_PIN = "19880808-2380"


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


def principal(
    user_id: int,
    username: str,
    role: Role | str,
    *,
    municipalities: Iterable[int] = (),
    units: Iterable[int] = (),
    unit_id: int | None = None,
    ip: str = "",
    user_agent: str = "",
) -> Principal:
    """The principal ``load_principal`` would build, for calling services directly."""
    return Principal(
        user_id=user_id,
        username=username,
        role=Role(role),
        unit_id=unit_id,
        municipality_ids=frozenset(municipalities),
        unit_ids=frozenset(units),
        ip=ip,
        user_agent=user_agent,
    )


def writer(user_id: int, *municipalities: int, username: str = "writer") -> Principal:
    """A police principal over these municipalities: it may record people."""
    return principal(user_id, username, Role.police, municipalities=municipalities)


async def unit(
    name: str,
    kind: Unit.Kind,
    agency: Agency,
    home: int,
    *,
    serves: Iterable[int] = (),
) -> int:
    """A unit with its home municipality and the municipalities it serves."""
    row = Unit(name=name, kind=kind, agency=agency, municipality=home)
    await row.save()
    for municipality in serves:
        await UnitMunicipality(unit=row.id, municipality=municipality).save()
    return int(row.id)


async def group(name: str, municipality: int, *, area: str = "", notes: str = "") -> int:
    row = Group(name=name, municipality=municipality, area=area, notes=notes)
    await row.save()
    return int(row.id)


async def relation(
    a: int,
    b: int,
    kind: str,
    *,
    intensity: int = 1,
    valid_from: date | None = date(2020, 1, 1),
    valid_to: date | None = None,
    **fields: Any,
) -> int:
    """A relation from group ``a`` to group ``b``; ``fields`` sets the other columns
    (``source``, ``review_by``, ``recorded_by``)."""
    row = GroupRelation(
        source_group=a,
        target_group=b,
        kind=kind,
        intensity=intensity,
        valid_from=valid_from,
        valid_to=valid_to,
        **fields,
    )
    await row.save()
    return int(row.id)


async def new_person(
    by: Principal,
    municipality: int,
    *,
    protection: Protection = Protection.none,
    identity: Identity | None = None,
) -> tuple[int, str]:
    """A person recorded through the service (identity encrypted): (id, code)."""
    created = await create_person(
        by, municipality_id=municipality, protection=protection, identity=identity
    )
    return int(created.id), str(created.code)


async def member(
    person_id: int,
    group_id: int,
    *,
    role: str = "member",
    valid_from: date | None = date(2020, 1, 1),
    **fields: Any,
) -> int:
    """A membership; ``fields`` sets the other columns (``source``, ``review_by``…)."""
    row = Membership(person=person_id, group=group_id, role=role, valid_from=valid_from, **fields)
    await row.save()
    return int(row.id)


async def call_in(municipality: int, title: str, *, days_ahead: int = 3, **fields: Any) -> int:
    """A planned two-hour call-in ``days_ahead`` days from now; ``fields`` sets the
    other columns (``status``, ``message``…)."""
    start = datetime.now(tz=UTC) + timedelta(days=days_ahead)
    row = CallIn(
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        venue=fields.pop("venue", "Medborgarhuset"),
        municipality=municipality,
        **{"status": CallIn.Status.planned, **fields},
    )
    await row.save()
    return int(row.id)


async def audit_mark() -> int:
    """The trail's head now: the trail outlives the tests, and ids are reused after a
    test empties the tables, so a test reads only the rows after its mark."""
    last = await AuditEvent.select(AuditEvent.seq).order_by(AuditEvent.seq, ascending=False).first()
    return int(last["seq"]) if last else 0


@dataclass
class OpsWorld:
    """Egenby (0123, in scope) and Annanby (0191): users per role in Egenby, a
    police officer and a coordinator in Annanby, for scoping."""

    own: int
    other: int
    user_ids: dict[str, int]
    secrets: dict[str, str | None]
    principals: dict[str, Principal]
    units: dict[str, int] = field(default_factory=dict)

    def principal(self, role: str) -> Principal:
        return self.principals[role]

    def login(self, role: str) -> tuple[str, str | None]:
        return self.principals[role].username, self.secrets[role]


async def build_world(prefix: str = "o") -> OpsWorld:
    own = await reference_municipality("0123")
    other = await reference_municipality("0191")
    units = {
        name: await unit(name, kind, agency, own.id)
        for name, kind, agency in (
            ("Socialtjänst Egenby", Unit.Kind.social_services, Agency.social_services),
            ("Polis Egenby", Unit.Kind.police, Agency.police),
        )
    }
    unit_of = {"outreach": "Socialtjänst Egenby", "police": "Polis Egenby"}
    ids: dict[str, int] = {}
    secrets: dict[str, str | None] = {}
    principals: dict[str, Principal] = {}
    for role in ROLES:
        ids[role], secrets[role] = await make_user(
            f"{prefix}-{role}",
            role,
            municipality_codes=["0123"] if role != "admin" else [],
            unit_name=unit_of.get(role),
        )
        principals[role] = principal(
            ids[role],
            f"{prefix}-{role}",
            role,
            unit_id=units.get(unit_of.get(role, "")),
            municipalities=[own.id] if role != "admin" else [],
            units=[units[unit_of[role]]] if role in unit_of else [],
            ip="192.0.2.9",
            user_agent="pytest",
        )
    # A police officer and a coordinator of the other municipality, for scoping.
    for key, role in (("police_other", "police"), ("coordinator_other", "coordinator")):
        username = f"{prefix}-{role}-other"
        ids[key], secrets[key] = await make_user(username, role, municipality_codes=["0191"])
        principals[key] = principal(ids[key], username, role, municipalities=[other.id])
    return OpsWorld(own.id, other.id, ids, secrets, principals, units)


async def person(
    world: OpsWorld,
    municipality: int | None = None,
    *,
    protection: Protection = Protection.none,
    name: str | None = None,
) -> tuple[int, str]:
    """A person in the operations world (Egenby unless told), with a name if given."""
    return await new_person(
        writer(world.user_ids["police"], world.own, world.other),
        municipality or world.own,
        protection=protection,
        identity=Identity(name, None, None, None) if name else None,
    )


async def members(world: OpsWorld, group_id: int, count: int) -> list[tuple[int, str]]:
    found = []
    for _ in range(count):
        pid, code = await person(world)
        await member(pid, group_id)
        found.append((pid, code))
    return found


async def audit_rows(actor_id: int, action: str, *, since: int) -> list[dict[str, Any]]:
    rows = (
        await AuditEvent.select(
            AuditEvent.seq,
            AuditEvent.action,
            AuditEvent.target_type,
            AuditEvent.target_id,
            AuditEvent.person_id,
            AuditEvent.details,
        )
        .where(
            (AuditEvent.actor_id == actor_id)
            & (AuditEvent.action == action)
            & (AuditEvent.seq > since)
        )
        .order_by(AuditEvent.seq)
    )
    for r in rows:
        r["details"] = json.loads(r["details"]) if isinstance(r["details"], str) else r["details"]
    return rows
