"""The one loader of the group graph: groups (with member counts), relations and
membership ties read from the tables into :mod:`gvi.networks.graph` values.

The network pages and jobs (:mod:`gvi.networks.services`, :mod:`gvi.networks.jobs`)
read the groups of the user's municipalities; the operations analyses (retaliation
risk after an incident, the reach of a call-in invite list, through
:mod:`gvi.incidents.graphdata`) read the whole signed graph on one day. Both come
through here, so a group counts the same members everywhere: memberships valid on
the day, neither the membership nor the person archived.

Group-level reads only (members are counted, never listed) except
:func:`member_ties`, whose callers audit. Callers run these inside their own
transaction. Pure of HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from piccolo.query.functions.aggregate import Count

from gvi.groups.tables import Group, GroupRelation, Membership
from gvi.networks.graph import GroupNode, MemberTie, Relation
from gvi.people.tables import Person

CHUNK = 500  # ids per IN (…) list: well below every engine's parameter limit

RELATION_COLUMNS = (
    GroupRelation.id,
    GroupRelation.source_group,
    GroupRelation.target_group,
    GroupRelation.kind,
    GroupRelation.intensity,
    GroupRelation.valid_from,
    GroupRelation.valid_to,
    GroupRelation.confidence,
)


def valid_on(column_from: Any, column_to: Any, as_of: date) -> Any:
    """Valid on *as_of*: from inclusive, to exclusive (a claim ending today is over)."""
    return (column_from.is_null() | (column_from <= as_of)) & (
        column_to.is_null() | (column_to > as_of)
    )


def in_municipalities(municipality_ids: Iterable[int]) -> Any:
    """Unarchived groups of these municipalities."""
    return Group.municipality.is_in(sorted(municipality_ids) or [-1]) & (
        Group.archived_at.is_null()
    )


def live_people(municipality_ids: Iterable[int]) -> Any:
    """Unarchived people living in these municipalities."""
    return Person.home_municipality.is_in(sorted(municipality_ids) or [-1]) & (
        Person.archived_at.is_null()
    )


def chunks(ids: Iterable[int]) -> list[list[int]]:
    ordered = sorted(set(ids))
    return [ordered[i : i + CHUNK] for i in range(0, len(ordered), CHUNK)] or [[]]


async def group_rows(where: Any) -> list[dict[str, Any]]:
    """The groups matching *where*, by id."""
    rows: list[dict[str, Any]] = (
        await Group.select(
            Group.id,
            Group.name,
            Group.status,
            Group.area,
            Group.municipality,
            Group.municipality.name,
        )
        .where(where)
        .order_by(Group.id)
    )
    return rows


async def member_counts(group_ids: Sequence[int], as_of: date) -> dict[int, int]:
    members: dict[int, int] = {}
    for chunk in chunks(group_ids):
        counts = (
            await Membership.select(Membership.group, Count(alias="members"))
            .where(
                Membership.group.is_in(chunk or [-1])
                & Membership.archived_at.is_null()
                & Membership.person.archived_at.is_null()
                & valid_on(Membership.valid_from, Membership.valid_to, as_of)
            )
            .group_by(Membership.group)
        )
        members.update((c["group"], int(c["members"])) for c in counts)
    return members


async def group_nodes(rows: Sequence[dict[str, Any]], as_of: date) -> list[GroupNode]:
    """:func:`group_rows` as graph nodes, each with its members on *as_of*."""
    members = await member_counts([r["id"] for r in rows], as_of)
    return [
        GroupNode(
            id=r["id"],
            name=r["name"],
            municipality_id=r["municipality"],
            municipality=r["municipality.name"] or "",
            status=r["status"],
            members=members.get(r["id"], 0),
        )
        for r in rows
    ]


async def load_groups(where: Any, as_of: date) -> list[GroupNode]:
    return await group_nodes(await group_rows(where), as_of)


def relation_of(r: dict[str, Any]) -> Relation:
    return Relation(
        id=r["id"],
        source=r["source_group"],
        target=r["target_group"],
        kind=r["kind"],
        intensity=r["intensity"],
        valid_from=r["valid_from"],
        valid_to=r["valid_to"],
        confidence=r["confidence"],
    )


async def load_relations(where: Any) -> list[Relation]:
    """Unarchived relations matching *where*, by id."""
    rows = (
        await GroupRelation.select(*RELATION_COLUMNS)
        .where(GroupRelation.archived_at.is_null() & where)
        .order_by(GroupRelation.id)
    )
    return [relation_of(r) for r in rows]


async def member_ties(
    people: Any,
    groups: Any,
    as_of: date,
    *,
    by: Any = None,
    ids: Sequence[int] = (),
) -> list[MemberTie]:
    """Memberships valid on *as_of* of the people matching *people* in the groups
    matching *groups*; with *by* (``Membership.person`` or ``Membership.group``),
    only those whose *by* is one of *ids*. Person data: the caller audits."""
    where = (
        Membership.archived_at.is_null()
        & valid_on(Membership.valid_from, Membership.valid_to, as_of)
        & Membership.person.is_in(Person.select(Person.id).where(people))
        & Membership.group.is_in(Group.select(Group.id).where(groups))
    )
    conditions = [where] if by is None else [where & by.is_in(c or [-1]) for c in chunks(ids)]
    ties: list[MemberTie] = []
    for condition in conditions:
        rows = await Membership.select(
            Membership.person,
            Membership.person.code,
            Membership.group,
            Membership.role,
            Membership.confidence,
            Membership.valid_from,
            Membership.valid_to,
        ).where(condition)
        ties.extend(
            MemberTie(
                person_id=r["person"],
                person_code=r["person.code"],
                group_id=r["group"],
                role=r["role"],
                confidence=r["confidence"],
                valid_from=r["valid_from"],
                valid_to=r["valid_to"],
            )
            for r in rows
        )
    return ties
