"""The network picture is readable (issue 20.1): on the demo data and on generated
50-, 150- and 300-group graphs, and in ego views, no two written labels overlap,
nodes sit apart, communities sit together, rivalries beside alliances are curved
and the legend lies below the plot.

Label boxes are computed from the figure alone: the text positions, the font size,
the plot area the figure declares (``layout.meta.label_canvas``) and the axis
ranges give pixels; a label is ``len(text) × CHAR_WIDTH × size`` wide and
``LINE_HEIGHT × size`` high, centred above its marker (``top center``).
"""

from __future__ import annotations

import html
import math
from datetime import date
from itertools import combinations
from typing import Any

import msgspec
import pytest

from gvi.access.principal import Principal
from gvi.accounts.tables import Role
from gvi.municipalities.tables import Municipality
from gvi.networks import figures, graph, labels, layout, services
from gvi.networks.graph import GroupNode, Relation
from gvi.networks.services import ALL_KINDS, NetworkData, NetworkFilter, build_group_view
from tests.bench.bench_graph import AS_OF, group_case


def _nodes(figure: dict[str, Any]) -> list[dict[str, Any]]:
    """Every drawn node: pixel centre, marker radius, written text, trace name."""
    lay = figure["layout"]
    width, height = lay["meta"]["label_canvas"]
    (x0, x1), (y0, y1) = lay["xaxis"]["range"], lay["yaxis"]["range"]
    # One data unit is as long on both axes (scaleanchor): the ranges say so too.
    assert (x1 - x0) / width == pytest.approx((y1 - y0) / height, rel=1e-3)
    out = []
    for trace in figure["data"]:
        if trace.get("mode") == "lines" or "hovertext" not in trace:
            continue
        size = trace["marker"]["size"]
        font = trace.get("textfont", {}).get("size", 0)
        for i, (x, y) in enumerate(zip(trace["x"], trace["y"], strict=True)):
            out.append(
                {
                    "px": (x - x0) / (x1 - x0) * width,
                    "py": (y1 - y) / (y1 - y0) * height,
                    "r": (size[i] if isinstance(size, list) else size) / 2,
                    "text": html.unescape(trace["text"][i]),
                    "font": font,
                    "trace": trace["name"],
                    "width": width,
                    "height": height,
                }
            )
    return out


def _label_box(n: dict[str, Any]) -> tuple[float, float, float, float]:
    w = len(n["text"]) * labels.CHAR_WIDTH * n["font"]
    h = labels.LINE_HEIGHT * n["font"]
    bottom = n["py"] - n["r"] - labels.GAP
    return (n["px"] - w / 2, bottom - h, n["px"] + w / 2, bottom)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 0.01 and min(a[3], b[3]) - max(a[1], b[1]) > 0.01


def _label_overlaps(figure: dict[str, Any]) -> list[tuple[str, str]]:
    written = [n for n in _nodes(figure) if n["text"]]
    boxes = [(n["text"], _label_box(n)) for n in written]
    return [(a, b) for (a, ba), (b, bb) in combinations(boxes, 2) if _overlap(ba, bb)]


def _marker_overlaps(figure: dict[str, Any]) -> int:
    nodes = _nodes(figure)
    return sum(
        1
        for a, b in combinations(nodes, 2)
        if math.dist((a["px"], a["py"]), (b["px"], b["py"])) < a["r"] + b["r"] - 0.5
    )


def _written(figure: dict[str, Any]) -> tuple[int, int]:
    nodes = _nodes(figure)
    return sum(1 for n in nodes if n["text"]), len(nodes)


def _generated(n: int) -> tuple[NetworkData, NetworkFilter]:
    groups, relations = group_case()
    data = NetworkData(
        [g for g in groups if g.id <= n],
        [r for r in relations if r.source <= n and r.target <= n],
    )
    return data, NetworkFilter(AS_OF, frozenset(range(1, 7)), frozenset(ALL_KINDS))


@pytest.mark.parametrize("size", [50, 150, 300])
def test_generated_networks_have_no_overlapping_labels(size: int) -> None:
    data, flt = _generated(size)
    figure = build_group_view(data, flt, "community", None, 1).figure
    msgspec.json.encode(figure)  # plain numbers only (no numpy scalars) for the API
    assert _label_overlaps(figure) == []
    written, total = _written(figure)
    assert total == size
    # Most names are written; the rest are on hover (every node has its hovertext).
    assert written >= {50: 45, 150: 90, 300: 100}[size], (written, total)
    # Nodes apart: none on 50, next to none in the crowd of 300 (pushed in pixels).
    assert _marker_overlaps(figure) <= {50: 0, 150: 2, 300: 15}[size]
    # Every written label lies inside the plot area.
    for n in _nodes(figure):
        if n["text"]:
            x0, y0, x1, _ = _label_box(n)
            assert min(x0, y0) >= 0, n["text"]
            assert x1 <= n["width"], n["text"]


@pytest.mark.parametrize("radius", [1, 2])
def test_ego_views_have_no_overlapping_labels(radius: int) -> None:
    data, flt = _generated(300)
    view = build_group_view(data, flt, "community", 1, radius)
    assert _label_overlaps(view.figure) == []
    written, total = _written(view.figure)
    assert total == view.graph.number_of_nodes()
    assert written >= min(total, 20)
    assert "Grupp 1" in [n["text"] for n in _nodes(view.figure)]  # the centre's, always


def test_person_ego_view_has_no_overlapping_labels() -> None:
    view = nx_person_view()
    figure = figures.person_ego_figure(view, layout.shell_layout(view, ("p", 1)), ("p", 1))
    assert _label_overlaps(figure) == []
    assert "P-0001" in [n["text"] for n in _nodes(figure)]


def nx_person_view() -> Any:
    import networkx as nx

    g = nx.Graph()
    g.add_node(("p", 1), label="P-0001")
    for gid in range(1, 7):
        g.add_node(("g", gid), label=f"Gruppen med långt namn {gid}")
        g.add_edge(("p", 1), ("g", gid), role="member")
        for p in range(2, 12):
            pid = gid * 100 + p
            g.add_node(("p", pid), label=f"P-{pid:04d}")
            g.add_edge(("p", pid), ("g", gid), role="member")
    return g


def test_communities_sit_together() -> None:
    data, flt = _generated(150)
    figure = build_group_view(data, flt, "community", None, 1).figure
    nodes = [n for n in _nodes(figure) if n["trace"].startswith("Gemenskap")]
    same = [
        math.dist((a["px"], a["py"]), (b["px"], b["py"]))
        for a, b in combinations(nodes, 2)
        if a["trace"] == b["trace"]
    ]
    other = [
        math.dist((a["px"], a["py"]), (b["px"], b["py"]))
        for a, b in combinations(nodes, 2)
        if a["trace"] != b["trace"]
    ]
    assert sum(same) / len(same) < 0.8 * sum(other) / len(other)


def test_rivalries_beside_alliances_are_curved_and_the_legend_is_below() -> None:
    # A hub allied with B and rival of C, B and C almost in line from the hub.
    groups = [GroupNode(i, f"G{i}", 1, "K", members=5) for i in range(4)]
    rel = [
        Relation(1, 0, 1, "alliance"),
        Relation(2, 0, 2, "rivalry"),
        Relation(3, 2, 3, "rivalry"),
    ]
    g = graph.build_signed_graph(groups, rel, date(2024, 6, 1))
    pos = {0: (0.0, 0.0), 1: (1.0, 0.0), 2: (0.9, 0.1), 3: (0.9, 1.0)}
    figure = figures.group_figure(g, pos)
    rivalry = next(t for t in figure["data"] if t["mode"] == "lines" and t["name"] == "Rivalitet")
    segments: list[list[float]] = [[]]
    for x in rivalry["x"]:
        if x is None:
            segments.append([])
        else:
            segments[-1].append(x)
    lengths = sorted(len(s) for s in segments if s)
    assert lengths == [2, figures.CURVE_POINTS]  # the one beside the alliance is curved
    assert rivalry["line"]["dash"] != "solid"
    legend = figure["layout"]["legend"]
    assert legend["orientation"] == "h"
    assert legend["y"] < 0
    assert legend["title"]["side"] == "top"


def test_layout_is_deterministic_and_cached_by_content() -> None:
    data, _ = _generated(150)
    first = layout.group_layout(data.layout_graph())
    assert first == layout.group_layout(data.layout_graph())
    cache = layout.LayoutCache()
    a = layout.cached_group_layout(data.layout_graph(), cache)
    assert layout.cached_group_layout(data.layout_graph(), cache) is a
    assert (cache.hits, cache.misses) == (1, 1)
    # The label pass is cached by its inputs too: a repeated view reuses it.
    _, flt = _generated(150)
    first_figure = build_group_view(data, flt, "community", None, 1).figure
    hits = labels.PLACEMENTS.hits
    assert build_group_view(data, flt, "community", None, 1).figure == first_figure
    assert labels.PLACEMENTS.hits == hits + 1


async def test_demo_network_has_no_overlapping_labels(db: None) -> None:
    from seeds.demo import load_demo

    await load_demo()
    ids = frozenset(r["id"] for r in await Municipality.select(Municipality.id))
    analyst = Principal(user_id=1, username="t", role=Role.analyst, municipality_ids=ids)
    flt = services.make_filter(analyst)
    view = await services.group_view(analyst, flt)
    assert view.graph.number_of_nodes() >= 12  # the demo's groups (15, archived ones not drawn)
    for figure in (
        view.figure,
        (await services.group_view(analyst, flt, colour_by="municipality")).figure,
    ):
        assert _label_overlaps(figure) == []
        assert _marker_overlaps(figure) == 0
        written, total = _written(figure)
        assert written == total  # every demo group's name is written
