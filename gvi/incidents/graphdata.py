"""The signed group graph as of a date, read from the tables for the operations analyses.

Retaliation risk after an incident and the reach and rivalry warnings of a call-in
invite list both need the whole group graph on one day; this module turns the
group, relation and membership rows into :mod:`gvi.networks.graph` values. The
group register holds no person data; members are counted, never listed.

Callers run it inside their own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import networkx as nx
from piccolo.query.functions.aggregate import Count

from gvi.groups.tables import Group, GroupRelation, Membership
from gvi.networks.graph import SIGNED_KINDS, GroupNode, Relation, build_signed_graph


@dataclass(frozen=True)
class GroupInfo:
    id: int
    name: str
    municipality_id: int
    municipality: str
    area: str


def _active_on(table: Any, as_of: date) -> Any:
    return (table.valid_from.is_null() | (table.valid_from <= as_of)) & (
        table.valid_to.is_null() | (table.valid_to > as_of)
    )


async def group_infos() -> dict[int, GroupInfo]:
    rows = await Group.select(
        Group.id, Group.name, Group.municipality, Group.municipality.name, Group.area
    ).where(Group.archived_at.is_null())
    return {
        r["id"]: GroupInfo(
            r["id"], r["name"], r["municipality"], r["municipality.name"] or "", r["area"] or ""
        )
        for r in rows
    }


async def member_counts(as_of: date) -> dict[int, int]:
    rows = (
        await Membership.select(Membership.group, Count(Membership.id, alias="members"))
        .where(Membership.archived_at.is_null() & _active_on(Membership, as_of))
        .group_by(Membership.group)
    )
    return {r["group"]: int(r["members"]) for r in rows}


async def signed_graph(as_of: date) -> tuple[nx.Graph, dict[int, GroupInfo]]:
    """Every unarchived group and the alliances, rivalries and truces on ``as_of``."""
    infos = await group_infos()
    counts = await member_counts(as_of)
    relations = await GroupRelation.select(
        GroupRelation.id,
        GroupRelation.source_group,
        GroupRelation.target_group,
        GroupRelation.kind,
        GroupRelation.intensity,
        GroupRelation.valid_from,
        GroupRelation.valid_to,
        GroupRelation.confidence,
    ).where(
        GroupRelation.archived_at.is_null()
        & GroupRelation.kind.is_in(sorted(SIGNED_KINDS))
        & _active_on(GroupRelation, as_of)
    )
    nodes = [
        GroupNode(
            id=i.id,
            name=i.name,
            municipality_id=i.municipality_id,
            municipality=i.municipality,
            members=counts.get(i.id, 0),
        )
        for i in infos.values()
    ]
    edges = [
        Relation(
            id=r["id"],
            source=r["source_group"],
            target=r["target_group"],
            kind=r["kind"],
            intensity=r["intensity"],
            valid_from=r["valid_from"],
            valid_to=r["valid_to"],
            confidence=r["confidence"],
        )
        for r in relations
    ]
    return build_signed_graph(nodes, edges, as_of), infos
