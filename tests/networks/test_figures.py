"""The pure parts of the views: layouts, figures, and plotly.js under our CSP."""

from __future__ import annotations

import json
import math
from datetime import date

import networkx as nx

from gvi.networks import assets, figures, graph, layout

AS_OF = date(2024, 6, 1)


def _graph(n: int, relations: list[tuple[int, int, str]]) -> nx.Graph:
    groups = [graph.GroupNode(i, f"G{i}", i % 3, f"Kommun {i % 3}", members=i) for i in range(n)]
    rel = [graph.Relation(k, a, b, kind) for k, (a, b, kind) in enumerate(relations)]
    return graph.build_signed_graph(groups, rel, AS_OF)


def test_plotly_text_is_shown_not_interpreted() -> None:
    assert figures.plotly_text("<b>A</b> & <a href='x'>") == (
        "&lt;b&gt;A&lt;/b&gt; &amp; &lt;a href='x'&gt;"
    )


def test_group_layout_is_deterministic_in_range_and_spreads_twins() -> None:
    # A hub with ten leaves (identical distances: PivotMDS puts them on one spot),
    # a separate pair and an isolated group.
    g = _graph(14, [(0, i, "alliance") for i in range(1, 11)] + [(11, 12, "rivalry")])
    pos = layout.group_layout(g)
    assert pos == layout.group_layout(g)
    assert set(pos) == set(g.nodes)
    assert all(-1 <= v <= 1 for p in pos.values() for v in p)
    spots = {(round(x, 4), round(y, 4)) for x, y in pos.values()}
    assert len(spots) == len(pos)
    # The components do not overlap.
    hub = [pos[i] for i in range(11)]
    pair = [pos[11], pos[12]]
    assert min(math.dist(a, b) for a in hub for b in pair) > 0.05


def test_layout_cache_hits_on_the_same_graph() -> None:
    cache = layout.LayoutCache(maxsize=2)
    g = _graph(30, [(i, i + 1, "alliance") for i in range(29)])
    first = layout.cached_group_layout(g, cache)
    again = layout.cached_group_layout(g.copy(), cache)
    assert again is first
    assert (cache.hits, cache.misses) == (1, 1)
    for i in range(3):
        layout.cached_group_layout(_graph(5 + i, []), cache)
    assert layout.cached_group_layout(g, cache) is not first  # evicted, recomputed


def test_shell_layout_puts_rings_by_distance() -> None:
    g = nx.path_graph(5)
    g.add_edges_from([(0, 5), (5, 6)])
    pos = layout.shell_layout(g, 0)
    assert pos[0] == (0.0, 0.0)
    radius = {n: round(math.hypot(*pos[n]), 6) for n in g}
    assert radius[1] == radius[5] < radius[2] == radius[6] < radius[3] < radius[4] == 1.0


def test_group_figure_styles_kinds_apart_and_switches_to_webgl() -> None:
    g = _graph(4, [(0, 1, "alliance"), (1, 2, "rivalry"), (2, 3, "truce")])
    fig = figures.group_figure(g, layout.group_layout(g), communities=graph.communities(g))
    lines = {t["name"]: t for t in fig["data"] if t.get("mode") == "lines"}
    assert lines["Allians"]["line"]["dash"] == "solid"
    assert lines["Rivalitet"]["line"]["dash"] == "dash"
    assert lines["Rivalitet"]["line"]["color"] != lines["Allians"]["line"]["color"]
    assert lines["Vapenvila"]["line"]["dash"] == "dot"
    assert {t["type"] for t in fig["data"]} == {"scatter"}
    nodes = [t for t in fig["data"] if "customdata" in t and t.get("mode") != "lines"]
    assert sum(len(t["x"]) for t in nodes) == 4
    # Size grows with members.
    sizes = {
        cd[4]: s for t in nodes for cd, s in zip(t["customdata"], t["marker"]["size"], strict=True)
    }
    assert sizes[3] > sizes[0]
    json.dumps(fig)  # JSON-ready as it is

    big = _graph(figures.WEBGL_THRESHOLD + 1, [(i, i + 1, "alliance") for i in range(50)])
    fig = figures.group_figure(big, layout.group_layout(big), colour_by="municipality")
    assert {t["type"] for t in fig["data"]} == {"scattergl"}
    names = [t["name"] for t in fig["data"] if t.get("mode") == "markers"]
    assert names == ["Kommun 0", "Kommun 1", "Kommun 2"]


def test_colours_are_capped_with_the_rest_in_grey() -> None:
    g = _graph(30, [(2 * i, 2 * i + 1, "alliance") for i in range(15)])
    fig = figures.group_figure(g, layout.group_layout(g), communities=graph.communities(g))
    node_traces = [t for t in fig["data"] if "customdata" in t]
    assert len(node_traces) == figures.MAX_CATEGORIES + 1
    assert node_traces[0]["name"] == "Gemenskap 1"
    assert node_traces[9]["name"] == "Gemenskap 10"
    assert node_traces[-1]["name"] == figures.OTHER_COMMUNITIES
    assert node_traces[-1]["marker"]["color"] == figures.OTHER_COLOUR
    assert len(node_traces[-1]["x"]) == 10  # five communities of two
    lone = _graph(3, [(0, 1, "alliance")])
    fig = figures.group_figure(lone, layout.group_layout(lone), communities=graph.communities(lone))
    names = [t["name"] for t in fig["data"] if "customdata" in t]
    assert names == ["Gemenskap 1", figures.NO_ALLIANCES]


def test_plotly_css_and_style_placeholders_come_from_the_installed_bundle() -> None:
    rules = dict(assets.plotly_rules())
    assert ".js-plotly-plot .plotly .modebar" in rules
    assert ".plotly-notifier" in rules
    assert assets.plotly_css().count("{") == len(rules)
    assert all(len(i) == 64 for i in assets.injected_style_ids())
    assert assets.plotly_js_version()[0].isdigit()


def test_vendored_bundle_matches_its_manifest_and_draws_our_trace_types() -> None:
    """Fails after a hand edit of the bundle: run `python -m tools.vendor_plotly`."""
    manifest = assets.manifest()
    assert manifest["package"] == "plotly.js-basic-dist-min"
    assert manifest["sha256"] == assets.plotly_js_sha256()
    assert manifest["version"] == assets.plotly_js_version()
    head = assets.PLOTLY_JS.read_text(encoding="utf-8")[:300]
    assert "Licensed under the MIT license" in head
    assert (assets.VENDOR_DIR / "plotly-basic.LICENSE.txt").exists()
    # Every trace type the app builds is in the bundle (scattergl is drawn as scatter).
    assert {"scatter", "bar"} <= set(manifest["traces"].replace(" ", "").split(","))
