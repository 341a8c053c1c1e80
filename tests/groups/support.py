"""Helpers for the group register tests: a small world in two municipalities
(built from tests.factories), form and API posts, and counts of what is in the tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from gvi.groups.tables import Group, GroupAlias, GroupRelation, Membership
from gvi.people.services import Identity
from tests.clients import token
from tests.database import reference_municipality
from tests.factories import group, make_user, member, new_person, relation, writer

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

    def login(self, role: str) -> tuple[str, str | None]:
        return f"g-{role}", self.secrets[role]


async def build_world() -> World:
    own = await reference_municipality("0123")
    other = await reference_municipality("0191")
    secrets: dict[str, str | None] = {}
    ids: dict[str, int] = {}
    for role in ROLES:
        ids[role], secrets[role] = await make_user(f"g-{role}", role, municipality_codes=["0123"])
    by = writer(ids["police"], own.id, other.id, username="g-police")
    p_own, p_own_code = await new_person(by, own.id, identity=Identity(OWN_NAME, None, None, None))
    p_other, p_other_code = await new_person(by, other.id)
    g1 = await group("Egengänget", own.id, area="Torget", notes=NOTES)
    g2 = await group("Rivalerna", own.id, area="Parken", notes=NOTES)
    g3 = await group("Annangänget", other.id, area="Annanstan", notes=NOTES)
    await GroupAlias(group=g1, alias="EG").save()
    m = await member(
        p_own,
        g1,
        role=Membership.Role.core,
        source=SOURCE,
        valid_from=date(2023, 1, 1),
        review_by=date(2099, 1, 1),
        recorded_by=ids["police"],
    )
    r = await relation(
        g1,
        g2,
        GroupRelation.Kind.rivalry,
        intensity=4,
        source=RELATION_SOURCE,
        valid_from=date(2023, 1, 1),
        review_by=date(2099, 1, 1),
        recorded_by=ids["police"],
    )
    return World(
        own=own.id,
        other=other.id,
        secrets=secrets,
        user_ids=ids,
        person_own=p_own,
        person_own_code=p_own_code,
        person_other=p_other,
        person_other_code=p_other_code,
        group_own=g1,
        group_own2=g2,
        group_other=g3,
        membership_own=m,
        relation_own=r,
    )


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
