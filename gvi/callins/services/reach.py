"""Reach and rivalry warnings of an invite list, read off the signed group graph
(pure: the graph and the group facts come in, views go out).

A rival group's area "lies between" when its turf is the venue, read simply: the
rival's home municipality is the call-in's municipality, or the rival's area
(e.g. "Norra Exempelby") is named in the venue text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import networkx as nx

from gvi.callins.services.views import ReachRow, WarningView
from gvi.incidents import graphdata
from gvi.networks.risk import InviteWarning, invite_reach


def turf_groups(
    infos: dict[int, graphdata.GroupInfo], municipality_id: int, venue: str
) -> set[int]:
    """Groups whose turf is the venue: home municipality of the call-in, or an area
    named in the venue text."""
    venue_text = venue.casefold()
    return {
        i.id
        for i in infos.values()
        if i.municipality_id == municipality_id
        or (len(i.area.strip()) >= 3 and i.area.strip().casefold() in venue_text)
    }


def warning_views(
    warnings: Sequence[InviteWarning], infos: dict[int, graphdata.GroupInfo]
) -> list[WarningView]:
    def name(group_id: int) -> str:
        info = infos.get(group_id)
        return info.name if info else f"grupp {group_id}"

    return [
        WarningView(
            kind=w.kind,
            invited_group_id=w.invited_group,
            invited_group=name(w.invited_group),
            other_group_id=w.other_group,
            other_group=name(w.other_group),
            other_municipality=infos[w.other_group].municipality if w.other_group in infos else "",
            intensity=w.intensity,
        )
        for w in warnings
    ]


def reach_rows(
    g: nx.Graph, infos: dict[int, graphdata.GroupInfo], invited: Counter[int]
) -> list[ReachRow]:
    rows = []
    for r in invite_reach(g, invited):
        info = infos.get(r.group_id)
        rows.append(
            ReachRow(
                group_id=r.group_id,
                name=info.name if info else f"grupp {r.group_id}",
                municipality=info.municipality if info else "",
                level=r.level,
                invited=r.invited,
                members=r.members,
                needed=r.needed,
                via=[infos[v].name for v in r.via if v in infos],
            )
        )
    return rows
