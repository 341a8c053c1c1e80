"""A small operations world in two municipalities: users per role, groups with
relations, people with memberships, and helpers to read the audit trail."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from gvi.access.principal import Principal
from gvi.accounts.tables import Role
from gvi.audit.tables import AuditEvent
from gvi.groups.tables import Group, GroupRelation, Membership
from gvi.municipalities.tables import Agency, Unit
from gvi.people.services import Identity, create_person
from gvi.people.tables import Protection
from tests.support import csrf_from, login, make_user, reference_municipality

BASE = "https://testserver.local"
ROLES = ("coordinator", "outreach", "police", "analyst", "admin")
SECRET_NAME = "Operativa Hemligsson"
SECRET_PIN = "19880808-2380"


@dataclass
class OpsWorld:
    own: int
    other: int
    user_ids: dict[str, int]
    secrets: dict[str, str | None]
    principals: dict[str, Principal]
    units: dict[str, int] = field(default_factory=dict)

    def principal(self, role: str) -> Principal:
        return self.principals[role]


async def build_world(prefix: str = "o") -> OpsWorld:
    own = await reference_municipality("0123")
    other = await reference_municipality("0191")
    units = {}
    for name, kind, agency in (
        ("Socialtjänst Egenby", Unit.Kind.social_services, Agency.social_services),
        ("Polis Egenby", Unit.Kind.police, Agency.police),
    ):
        unit = Unit(name=name, kind=kind, agency=agency, municipality=own.id)
        await unit.save()
        units[name] = unit.id
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
        principals[role] = Principal(
            user_id=ids[role],
            username=f"{prefix}-{role}",
            role=Role(role),
            unit_id=units.get(unit_of.get(role, "")),
            municipality_ids=frozenset({own.id}) if role != "admin" else frozenset(),
            unit_ids=frozenset({units[unit_of[role]]}) if role in unit_of else frozenset(),
            ip="192.0.2.9",
            user_agent="pytest",
        )
    # A police officer of the other municipality, for scoping.
    ids["police_other"], secrets["police_other"] = await make_user(
        f"{prefix}-police-other", "police", municipality_codes=["0191"]
    )
    principals["police_other"] = Principal(
        user_id=ids["police_other"],
        username=f"{prefix}-police-other",
        role=Role.police,
        municipality_ids=frozenset({other.id}),
    )
    ids["coordinator_other"], secrets["coordinator_other"] = await make_user(
        f"{prefix}-coordinator-other", "coordinator", municipality_codes=["0191"]
    )
    principals["coordinator_other"] = Principal(
        user_id=ids["coordinator_other"],
        username=f"{prefix}-coordinator-other",
        role=Role.coordinator,
        municipality_ids=frozenset({other.id}),
    )
    return OpsWorld(own.id, other.id, ids, secrets, principals, units)


async def group(name: str, municipality: int, *, area: str = "") -> int:
    row = Group(name=name, municipality=municipality, area=area)
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
) -> int:
    row = GroupRelation(
        source_group=a,
        target_group=b,
        kind=kind,
        intensity=intensity,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    await row.save()
    return int(row.id)


async def person(
    world: OpsWorld,
    municipality: int | None = None,
    *,
    protection: Protection = Protection.none,
    name: str | None = None,
) -> tuple[int, str]:
    writer = Principal(
        user_id=world.user_ids["police"],
        username="writer",
        role=Role.police,
        municipality_ids=frozenset({world.own, world.other}),
    )
    created = await create_person(
        writer,
        municipality_id=municipality or world.own,
        protection=protection,
        identity=Identity(name, None, None, None) if name else None,
    )
    return int(created.id), str(created.code)


async def member(person_id: int, group_id: int, *, role: str = "member") -> None:
    await Membership(
        person=person_id, group=group_id, role=role, valid_from=date(2020, 1, 1)
    ).save()


async def members(world: OpsWorld, group_id: int, count: int) -> list[tuple[int, str]]:
    found = []
    for _ in range(count):
        pid, code = await person(world)
        await member(pid, group_id)
        found.append((pid, code))
    return found


async def audit_mark() -> int:
    """The trail's head now: the trail outlives the tests, and ids are reused after a
    test empties the tables, so a test reads only the rows after its mark."""
    last = await AuditEvent.select(AuditEvent.seq).order_by(AuditEvent.seq, ascending=False).first()
    return int(last["seq"]) if last else 0


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


@asynccontextmanager
async def signed_in(app: Litestar, world: OpsWorld, role: str) -> AsyncIterator[Any]:
    username = world.principals[role].username
    async with AsyncTestClient(app=app, base_url=BASE) as client:
        await login(client, username, world.secrets[role])
        yield client


async def token(client: Any, path: str = "/") -> str:
    return csrf_from((await client.get(path)).text)
