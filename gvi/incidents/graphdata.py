"""The signed group graph as of a date, for the operations analyses.

Retaliation risk after an incident and the reach and rivalry warnings of a call-in
invite list both need the whole group graph on one day; it is read by the one
group-graph loader, :mod:`gvi.networks.loading`. The group register holds no
person data; members are counted, never listed.

Callers run it inside their own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import networkx as nx

from gvi.groups.tables import Group, GroupRelation
from gvi.networks import loading
from gvi.networks.graph import SIGNED_KINDS, build_signed_graph


@dataclass(frozen=True)
class GroupInfo:
    id: int
    name: str
    municipality_id: int
    municipality: str
    area: str


async def signed_graph(as_of: date) -> tuple[nx.Graph, dict[int, GroupInfo]]:
    """Every unarchived group and the alliances, rivalries and truces on ``as_of``."""
    rows = await loading.group_rows(Group.archived_at.is_null())
    infos = {
        r["id"]: GroupInfo(
            r["id"], r["name"], r["municipality"], r["municipality.name"] or "", r["area"] or ""
        )
        for r in rows
    }
    nodes = await loading.group_nodes(rows, as_of)
    edges = await loading.load_relations(
        GroupRelation.kind.is_in(sorted(SIGNED_KINDS))
        & loading.valid_on(GroupRelation.valid_from, GroupRelation.valid_to, as_of)
    )
    return build_signed_graph(nodes, edges, as_of), infos
