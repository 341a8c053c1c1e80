"""Helpers for the group register tests: a small world in two municipalities,
signed-in clients per role, and counts of what is in the tables."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from gvi.access.principal import Principal
from gvi.accounts.tables import Role
from gvi.groups.tables import Group, GroupAlias, GroupRelation, Membership
from gvi.people.services import Identity, create_person
from tests.support import csrf_from, login, make_user, reference_municipality

BASE = "https://testserver.local"
NOTES = "Hemlig anteckning om gruppen"
SOURCE = "Hemlig källa: informatör 17"
RELATION_SOURCE = "Hemlig relationskälla"
OWN_NAME = "Gruppsson Namnsdotter"
ROLES = ("coordinator", "police", "analyst", "outreach")


@dataclass
class World:
    own: int
    other: int
    secrets: dict[str, str | None]
    user_ids: dict[str, int]
    person_own: int
    person_own_code: str
    person_other: int
    person_other_code: str
    group_own: int
    group_own2: int
    group_other: int
    membership_own: int
    relation_own: int


async def build_world() -> World:
    own = await reference_municipality("0123")
    other = await reference_municipality("0191")
    secrets: dict[str, str | None] = {}
    ids: dict[str, int] = {}
    for role in ROLES:
        ids[role], secrets[role] = await make_user(f"g-{role}", role, municipality_codes=["0123"])
    writer = Principal(
        user_id=ids["police"],
        username="g-police",
        role=Role.police,
        municipality_ids=frozenset({own.id, other.id}),
    )
    p_own = await create_person(
        writer, municipality_id=own.id, identity=Identity(OWN_NAME, None, None, None)
    )
    p_other = await create_person(writer, municipality_id=other.id)
    g1 = Group(name="Egengänget", municipality=own.id, area="Torget", notes=NOTES)
    g2 = Group(name="Rivalerna", municipality=own.id, area="Parken", notes=NOTES)
    g3 = Group(name="Annangänget", municipality=other.id, area="Annanstan", notes=NOTES)
    for g in (g1, g2, g3):
        await g.save()
    await GroupAlias(group=g1.id, alias="EG").save()
    m = Membership(
        person=p_own.id,
        group=g1.id,
        role=Membership.Role.core,
        source=SOURCE,
        valid_from=date(2023, 1, 1),
        review_by=date(2099, 1, 1),
        recorded_by=ids["police"],
    )
    await m.save()
    r = GroupRelation(
        source_group=g1.id,
        target_group=g2.id,
        kind=GroupRelation.Kind.rivalry,
        intensity=4,
        source=RELATION_SOURCE,
        valid_from=date(2023, 1, 1),
        review_by=date(2099, 1, 1),
        recorded_by=ids["police"],
    )
    await r.save()
    return World(
        own=own.id,
        other=other.id,
        secrets=secrets,
        user_ids=ids,
        person_own=p_own.id,
        person_own_code=p_own.code,
        person_other=p_other.id,
        person_other_code=p_other.code,
        group_own=g1.id,
        group_own2=g2.id,
        group_other=g3.id,
        membership_own=m.id,
        relation_own=r.id,
    )


@asynccontextmanager
async def signed_in(app: Litestar, world: World, role: str) -> AsyncIterator[Any]:
    async with AsyncTestClient(app=app, base_url=BASE) as client:
        await login(client, f"g-{role}", world.secrets[role])
        yield client


async def token(client: Any, path: str = "/") -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return csrf_from(page.text)


async def api_post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return await client.post(url, json=body, headers={"X-CSRF-Token": await token(client)})


async def form_post(client: Any, url: str, data: dict[str, str], *, page: str = "/") -> Any:
    return await client.post(
        url, data={**data, "csrf_token": await token(client, page)}, follow_redirects=False
    )


async def counts() -> dict[str, int]:
    return {
        "groups": await Group.count(),
        "aliases": await GroupAlias.count(),
        "memberships": await Membership.count(),
        "relations": await GroupRelation.count(),
    }


async def row(table: Any, row_id: int) -> dict[str, Any]:
    found = await table.select().where(table.id == row_id).first()
    assert found is not None
    return dict(found)
