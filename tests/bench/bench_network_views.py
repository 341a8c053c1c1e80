"""The network views: figure payloads and the cost of an ego view, from the pure
modules on the data of ``bench_graph`` (in memory, no database).

Issue 4 bounds: the 300-group / 1,200-relation figure as the API sends it
(``FigureOut`` JSON) ≤ 150 KiB; a person ego view of about 5,000 nodes ≤ 800 KiB,
and built — graph build, ego, layout, figure and its JSON — in at most 2× the time
of networkx's graph build + ``ego_graph`` on the same data in the same run. Also
reported: the group layout of 5,000 groups (PivotMDS, ≤ 5 s: well above its ~0.3 s) and a
repeated group view served from the layout cache.
"""

from __future__ import annotations

import random
import time
from functools import partial
from typing import Any

import msgspec

from gvi.networks import graph, layout
from gvi.networks.graph import GroupNode, MemberTie, Relation
from gvi.networks.schemas import FigureOut, PersonFigureOut
from gvi.networks.services import (
    ALL_KINDS,
    NetworkData,
    NetworkFilter,
    build_group_view,
    build_person_view,
)
from tests.bench.bench_graph import (
    AS_OF,
    baseline_ego,
    best_of,
    group_case,
    person_case,
)
from tests.bench.bench_graph import row as timing_row

KIB = 1024
FIGURE_BOUND_KIB, EGO_PAYLOAD_BOUND_KIB, EGO_BUILD_BOUND = 150, 800, 2.0
LAYOUT_GROUPS, LAYOUT_BOUND_S = 5_000, 5.0  # about 0.3 s on an idle machine
EGO_RADIUS = 2  # in people: co-members of co-members (4 hops in the person graph)


def size_row(name: str, size_bytes: int, bound_kib: float) -> dict[str, Any]:
    kib = size_bytes / KIB
    return {
        "name": name,
        "value": kib,
        "ours_s": kib,
        "baseline_s": None,
        "ratio": None,
        "bound": bound_kib,
        "unit": "KiB",
        "ok": kib <= bound_kib,
    }


def _filter() -> NetworkFilter:
    return NetworkFilter(as_of=AS_OF, municipality_ids=frozenset({1}), kinds=frozenset(ALL_KINDS))


def group_payload(groups: list[GroupNode], relations: list[Relation]) -> bytes:
    """What GET /api/v1/network/groups sends for this graph."""
    view = build_group_view(NetworkData(groups, relations), _filter(), "community", None, 1)
    return msgspec.json.encode(
        FigureOut(
            figure=view.figure,
            webgl=view.webgl,
            as_of=AS_OF.isoformat(),
            summary=view.analysis.summary,
        )
    )


def ego_view(groups: list[GroupNode], ties: list[MemberTie], person: int) -> bytes:
    """What GET /api/v1/network/person/{id}?radius=2 sends, built from the same lists
    the baseline gets (the service's database reads aside)."""
    view = build_person_view(person, f"P-{person:05d}", EGO_RADIUS, _filter(), groups, ties, [])
    return msgspec.json.encode(
        PersonFigureOut(
            person_code=view.code,
            radius=view.radius,
            figure=view.figure,
            webgl=view.webgl,
            as_of=AS_OF.isoformat(),
            groups=[],
            co_members=view.people,
        )
    )


def layout_case(n: int = LAYOUT_GROUPS, seed: int = 2) -> Any:
    rng = random.Random(seed)  # noqa: S311 -- reproducible data, not secrets
    groups = [GroupNode(i, f"G{i}", 1, "Stockholm") for i in range(n)]
    relations = [
        Relation(i, *rng.sample(range(n), 2), rng.choice(["alliance", "rivalry"]))
        for i in range(n * 2)
    ]
    return NetworkData(groups, relations).layout_graph()


def main() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    groups, relations = group_case()
    payload = group_payload(groups, relations)
    rows.append(
        size_row(
            f"group figure JSON: {len(groups)} groups, {len(relations)} relations",
            len(payload),
            FIGURE_BOUND_KIB,
        )
    )

    people_groups, ties = person_case()
    pg = graph.person_graph(people_groups, ties, AS_OF)
    center = max(
        (n for n, kind in pg.nodes(data="kind") if kind == "person"), key=lambda n: pg.degree(n)
    )[1]
    body = ego_view(people_groups, ties, center)
    nodes = len(graph.person_ego(pg, center, 2 * EGO_RADIUS))
    rows.append(size_row(f"person ego view JSON: {nodes} nodes", len(body), EGO_PAYLOAD_BOUND_KIB))
    rows.append(
        timing_row(
            f"person ego view built ({nodes} nodes): build + ego + layout + figure + JSON "
            "vs networkx build + ego_graph",
            *best_of(
                partial(ego_view, people_groups, ties, center),
                partial(baseline_ego, people_groups, ties, center, 2 * EGO_RADIUS),
            ),
            EGO_BUILD_BOUND,
        )
    )

    u = layout_case()
    started = time.perf_counter()
    layout.group_layout(u)
    took = time.perf_counter() - started
    rows.append(
        {
            "name": f"group layout (PivotMDS): {u.number_of_nodes()} groups, "
            f"{u.number_of_edges()} pairs",
            "ours_s": took,
            "baseline_s": None,
            "ratio": None,
            "bound": LAYOUT_BOUND_S,
            "ok": took <= LAYOUT_BOUND_S,
        }
    )
    layout.GROUP_LAYOUTS.clear()
    data = NetworkData(groups, relations)
    first = time.perf_counter()
    build_group_view(data, _filter(), "community", None, 1)
    first_s = time.perf_counter() - first
    again = time.perf_counter()
    build_group_view(data, _filter(), "community", None, 1)
    again_s = time.perf_counter() - again
    rows.append(
        {
            "name": "300-group view again (layout and analyses cached) vs first",
            "ours_s": again_s,
            "baseline_s": first_s,
            "ratio": again_s / first_s,
            "bound": None,
            "ok": True,
        }
    )
    return rows


if __name__ == "__main__":
    for r in main():
        print(r)
