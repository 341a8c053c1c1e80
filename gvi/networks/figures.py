"""Plotly figures (as plain JSON-ready dicts) of the group network and ego views.

Pure: plotly (colour palettes) and networkx only. Figures are built as dicts,
not ``plotly.graph_objects`` (whose validation would cost more than the rest of
a 5,000-node view), and kept small:

- coordinates rounded to 3 decimals (positions are in [-1, 1]);
- hover text through one ``hovertemplate`` per trace with short ``customdata``;
- above :data:`WEBGL_THRESHOLD` nodes every trace is ``scattergl``; edges get
  hover markers only in SVG figures of up to :data:`EDGE_HOVER_LIMIT` edges (the
  tables beside the chart list them all).

Text from the database goes through :func:`plotly_text`: plotly renders a
pseudo-HTML subset (``<b>``, ``<a href>``…) in labels, and a group called
``<b>x</b>`` must show as typed. No tags of our own either, apart from ``<br>``:
``<b>`` becomes an inline ``style`` attribute, which the CSP refuses.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx
from plotly.colors import qualitative

from gvi.i18n import N_, gettext
from gvi.networks import labels
from gvi.networks.layout import Layout

WEBGL_THRESHOLD = 1000
NODE_LABEL_LIMIT = 300  # names written beside nodes (where they fit) up to this many nodes
LABEL_FONT = 11
FULL_SIZE_NODES = 60  # up to this many nodes, markers at full size
BESIDE_ANGLE = 0.45  # radians: a rivalry this close to an alliance at a shared end is curved
CURVE_BEND = 0.18  # the curve's control point, off the straight line, per unit of its length
CURVE_POINTS = 7
EDGE_HOVER_LIMIT = 1500  # hover markers on edge midpoints up to this many edges (SVG only)
MAX_CATEGORIES = 10  # colours in the legend (the palette); the rest share "Övriga"

# Paul Tol's colour-blind-safe set (plotly's "Safe"), darkest first: the nodes sit
# on white and carry a white outline.
_SAFE_ORDER = (4, 3, 8, 6, 5, 7, 1, 9, 0, 2)
PALETTE: tuple[str, ...] = tuple(qualitative.Safe[i] for i in _SAFE_ORDER)
OTHER_COLOUR = "rgb(150, 150, 150)"
NO_ALLIANCES_COLOUR = "rgb(200, 200, 200)"

EDGE_STYLES: dict[str, dict[str, Any]] = {
    # Blue and red differ for red-green colour blindness too; rivalries are dashed
    # as well, so print and greyscale still tell them apart.
    "alliance": {
        "label": N_("Allians"),
        "color": "rgb(31, 95, 168)",
        "dash": "solid",
        "width": 1.6,
    },
    "rivalry": {
        "label": N_("Rivalitet"),
        "color": "rgb(192, 40, 40)",
        "dash": "dash",
        "width": 2.2,
    },
    "truce": {"label": N_("Vapenvila"), "color": "rgb(140, 140, 140)", "dash": "dot", "width": 1.4},
    "splinter_of": {
        "label": N_("Utbrytargrupp av"),
        "color": "rgb(120, 60, 150)",
        "dash": "dashdot",
        "width": 1.4,
    },
    "subgroup_of": {
        "label": N_("Undergrupp till"),
        "color": "rgb(120, 60, 150)",
        "dash": "longdash",
        "width": 1.4,
    },
    "membership": {
        "label": N_("Medlemskap"),
        "color": "rgb(170, 170, 170)",
        "dash": "solid",
        "width": 1,
    },
}
KIND_LABELS = {kind: style["label"] for kind, style in EDGE_STYLES.items()}
COLOUR_BY = ("community", "municipality")


def plotly_text(text: object) -> str:
    """Text as plotly should show it, not interpret it."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _r(value: float) -> float:
    return round(value, 3)


def _rounded(pos: Layout, nodes: list[Any]) -> Layout:
    # Once per node, not once per edge end.
    return {n: (round(pos[n][0], 3), round(pos[n][1], 3)) for n in nodes}


def node_size(members: int, scale: float = 1.0) -> float:
    """Marker diameter in px: area grows with the member count."""
    return round((8 + 3 * math.sqrt(max(members, 0))) * scale, 1)


def size_scale(nodes: int) -> float:
    """Markers shrink in a crowd (down to half) so the nodes fit apart."""
    return max(0.5, min(1.0, math.sqrt(FULL_SIZE_NODES / max(nodes, 1))))


def _scatter(webgl: bool) -> str:
    return "scattergl" if webgl else "scatter"


def _layout(*, legend_title: str = "", placement: labels.Placement | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "showlegend": True,
        # Below the plot, wrapping, with the title on a line of its own: whole on a phone.
        "legend": {
            "orientation": "h",
            "yanchor": "top",
            "y": -0.02,
            "x": 0,
            "title": {"text": legend_title, "side": "top"},
        },
        "hovermode": "closest",
        "dragmode": "pan",
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "xaxis": {"visible": False, "fixedrange": False},
        "yaxis": {"visible": False, "scaleanchor": "x", "scaleratio": 1},
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
        "uirevision": "network",
        "font": {"family": "system-ui, sans-serif", "size": 13},
    }
    if placement is not None:
        out["xaxis"]["range"] = list(placement.x_range)
        out["yaxis"]["range"] = list(placement.y_range)
        # The plot area the labels were placed for (see gvi.networks.labels).
        out["meta"] = {"label_canvas": list(labels.CANVAS), "label_font": LABEL_FONT}
    return out


def _curve(x0: float, y0: float, x1: float, y1: float) -> tuple[list[float], list[float]]:
    """A quadratic curve bending to the left of the direction a → b, as points."""
    cx = (x0 + x1) / 2 - (y1 - y0) * CURVE_BEND
    cy = (y0 + y1) / 2 + (x1 - x0) * CURVE_BEND
    xs, ys = [], []
    for i in range(CURVE_POINTS):
        t = i / (CURVE_POINTS - 1)
        u = 1 - t
        xs.append(_r(u * u * x0 + 2 * u * t * cx + t * t * x1))
        ys.append(_r(u * u * y0 + 2 * u * t * cy + t * t * y1))
    return xs, ys


def beside_alliances(
    edges: Mapping[str, list[tuple[Any, Any, str]]], pos: Layout
) -> set[tuple[Any, Any]]:
    """Rivalries that would run on or beside an alliance: the same pair is also tied
    another way, or an alliance leaves a shared end within BESIDE_ANGLE of it."""
    directions: dict[Any, list[float]] = {}
    pairs: set[frozenset[Any]] = set()
    if not edges.get("rivalry"):
        return set()
    for kind, items in edges.items():
        if kind in ("rivalry", "membership"):
            continue
        for a, b, _ in items:
            pairs.add(frozenset((a, b)))
            if kind != "alliance":
                continue
            for x, y in ((a, b), (b, a)):
                dx, dy = pos[y][0] - pos[x][0], pos[y][1] - pos[x][1]
                directions.setdefault(x, []).append(math.atan2(dy, dx))
    out: set[tuple[Any, Any]] = set()
    for a, b, _ in edges.get("rivalry", []):
        if frozenset((a, b)) in pairs:
            out.add((a, b))
            continue
        for x, y in ((a, b), (b, a)):
            angle = math.atan2(pos[y][1] - pos[x][1], pos[y][0] - pos[x][0])
            if any(
                abs((angle - other + math.pi) % (2 * math.pi) - math.pi) < BESIDE_ANGLE
                for other in directions.get(x, ())
            ):
                out.add((a, b))
                break
    return out


def _edge_traces(
    edges: Mapping[str, list[tuple[Any, Any, str]]],
    pos: Layout,
    *,
    webgl: bool,
    hover: bool,
    curved: set[tuple[Any, Any]] | frozenset[tuple[Any, Any]] = frozenset(),
) -> list[dict[str, Any]]:
    """One line trace per kind (segments split by ``None``), and with ``hover`` an
    invisible marker at each midpoint that names the two ends. ``pos`` is rounded;
    the edges in ``curved`` are drawn as curves (and their midpoints on the curve)."""
    traces: list[dict[str, Any]] = []
    for kind, items in edges.items():
        if not items:
            continue
        style = EDGE_STYLES[kind]
        xs: list[float | None] = []
        ys: list[float | None] = []
        middles: list[tuple[float, float]] = []
        for a, b, _ in items:
            (x0, y0), (x1, y1) = pos[a], pos[b]
            if (a, b) in curved:
                cxs, cys = _curve(x0, y0, x1, y1)
                xs += [*cxs, None]
                ys += [*cys, None]
                middles.append((cxs[CURVE_POINTS // 2], cys[CURVE_POINTS // 2]))
                continue
            xs += (x0, x1, None)
            ys += (y0, y1, None)
            middles.append((_r((x0 + x1) / 2), _r((y0 + y1) / 2)))
        traces.append(
            {
                "type": _scatter(webgl),
                "mode": "lines",
                "name": gettext(str(style["label"])),
                "legendgroup": kind,
                "x": xs,
                "y": ys,
                "line": {"color": style["color"], "dash": style["dash"], "width": style["width"]},
                "hoverinfo": "skip",
            }
        )
        if hover:
            traces.append(
                {
                    "type": _scatter(webgl),
                    "mode": "markers",
                    "name": gettext(str(style["label"])),
                    "legendgroup": kind,
                    "showlegend": False,
                    "x": [x for x, _ in middles],
                    "y": [y for _, y in middles],
                    "text": [text for _, _, text in items],
                    "marker": {"size": 8, "color": style["color"], "opacity": 0},
                    "hovertemplate": "%{text}<extra>" + gettext(str(style["label"])) + "</extra>",
                }
            )
    return traces


def _natural(label: str) -> tuple[Any, ...]:
    # "Gemenskap 2" before "Gemenskap 10".
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", label))


def _categories(
    nodes: list[int],
    key: Mapping[int, str],
    *,
    other: str,
    apart: Mapping[str, str] | None = None,
) -> list[tuple[str, str, list[int]]]:
    """(label, colour, nodes) per category: the biggest first, at most MAX_CATEGORIES
    coloured, the rest together under ``other`` in grey; labels in ``apart`` keep
    the colour given there and come last."""
    apart = apart or {}
    counts = Counter(key[n] for n in nodes)
    named = sorted((x for x in counts if x not in apart), key=lambda x: (-counts[x], _natural(x)))
    coloured = named[:MAX_CATEGORIES]
    rest = set(named[MAX_CATEGORIES:])
    out = [
        (label, PALETTE[i % len(PALETTE)], [n for n in nodes if key[n] == label])
        for i, label in enumerate(coloured)
    ]
    leftover = [n for n in nodes if key[n] in rest]
    if leftover:
        out.append((other, OTHER_COLOUR, leftover))
    for label, colour in apart.items():
        members = [n for n in nodes if key[n] == label]
        if members:
            out.append((label, colour, members))
    return out


def community_labels(communities: Iterable[set[int]]) -> dict[int, str]:
    """ "Gemenskap 1" for the largest alliance community, and so on; groups without
    alliances (singletons) are "Utan allianser"."""
    labels: dict[int, str] = {}
    number = 0
    for community in communities:
        if len(community) < 2:
            for n in community:
                labels[n] = gettext(NO_ALLIANCES)
            continue
        number += 1
        for n in community:
            labels[n] = f"Gemenskap {number}"
    return labels


NO_ALLIANCES = N_("Utan allianser")
OTHER_MUNICIPALITIES = N_("Övriga kommuner")
OTHER_COMMUNITIES = N_("Övriga gemenskaper")


def _placed(
    nodes: list[Any],
    pos: Layout,
    texts: Mapping[Any, str],
    sizes: Mapping[Any, float],
    priority: Mapping[Any, float],
    pinned: frozenset[Any],
) -> tuple[Layout, labels.Placement | None]:
    """Positions after the label pass (rounded), up to NODE_LABEL_LIMIT nodes;
    beyond that the layout as it is and no written labels."""
    if len(nodes) > NODE_LABEL_LIMIT:
        return _rounded(pos, nodes), None
    placement = labels.place(
        nodes,
        pos,
        [texts[n] for n in nodes],
        [sizes[n] for n in nodes],
        [priority[n] for n in nodes],
        font=LABEL_FONT,
        pinned=pinned,
    )
    return _rounded(placement.positions, nodes), placement


def _node_text(
    members: list[Any], texts: Mapping[Any, str], placement: labels.Placement | None
) -> dict[str, Any]:
    """Every name on hover (``hovertext``); written (``text``) only where it fits."""
    shown = placement.labelled if placement is not None else frozenset()
    out: dict[str, Any] = {
        "mode": "markers+text" if any(n in shown for n in members) else "markers",
        "text": [texts[n] if n in shown else "" for n in members],
        "hovertext": [texts[n] for n in members],
    }
    if out["mode"] == "markers+text":
        out["textposition"] = "top center"
        out["textfont"] = {"size": LABEL_FONT}
    return out


def group_figure(
    g: nx.Graph,
    pos: Layout,
    *,
    hierarchy: nx.DiGraph | None = None,
    colour_by: str = "community",
    communities: Iterable[set[int]] = (),
    centrality: Mapping[int, float] | None = None,
    webgl: bool | None = None,
    center: int | None = None,
    pinned: frozenset[int] = frozenset(),
) -> dict[str, Any]:
    """The group network: nodes sized by members and coloured by community or
    municipality; alliances, rivalries and truces (and splinter/subgroup ties from
    ``hierarchy``) as differently styled lines, rivalries beside alliances curved.
    Nodes are pushed apart until they and their written names do not overlap;
    ``pinned`` nodes (a saved view's) stay where ``pos`` puts them."""
    nodes = sorted(g.nodes)
    if webgl is None:
        webgl = len(nodes) > WEBGL_THRESHOLD
    centrality = centrality or {}
    names = {n: plotly_text(g.nodes[n].get("name", n)) for n in nodes}
    scale = size_scale(len(nodes))
    sizes = {n: node_size(int(g.nodes[n].get("members", 0)), scale) for n in nodes}
    priority = {
        n: (1e9 if n == center else 0.0) + centrality.get(n, 0.0) * 1e4 + sizes[n] for n in nodes
    }
    pos, placement = _placed(nodes, pos, names, sizes, priority, pinned)

    edges: dict[str, list[tuple[Any, Any, str]]] = {k: [] for k in EDGE_STYLES}
    for a, b, data in sorted(g.edges(data=True), key=lambda e: (min(e[0], e[1]), max(e[0], e[1]))):
        kind = data.get("kind", "alliance")
        text = f"{names[a]} – {names[b]} (intensitet {data.get('intensity', 1)})"
        edges[kind].append((a, b, text))
    if hierarchy is not None:
        for a, b, data in sorted(hierarchy.edges(data=True)):
            if a in g and b in g:
                kind = data.get("kind", "subgroup_of")
                edges[kind].append((a, b, f"{names[a]} → {names[b]}"))
    hover = not webgl and sum(map(len, edges.values())) <= EDGE_HOVER_LIMIT
    traces = _edge_traces(edges, pos, webgl=webgl, hover=hover, curved=beside_alliances(edges, pos))

    if colour_by == "municipality":
        key = {n: str(g.nodes[n].get("municipality", "")) for n in nodes}
        categories = _categories(nodes, key, other=gettext(OTHER_MUNICIPALITIES))
        legend_title = "Kommun"
    else:
        community = community_labels(communities)
        key = {n: community.get(n, gettext(NO_ALLIANCES)) for n in nodes}
        categories = _categories(
            nodes,
            key,
            other=gettext(OTHER_COMMUNITIES),
            apart={gettext(NO_ALLIANCES): NO_ALLIANCES_COLOUR},
        )
        legend_title = gettext("Gemenskap (allianser)")
    rivals = {n: sum(1 for _, d in g.adj[n].items() if d.get("sign") == -1) for n in nodes}
    for label, colour, members in categories:
        trace: dict[str, Any] = {
            "type": _scatter(webgl),
            "name": plotly_text(label),
            "x": [pos[n][0] for n in members],
            "y": [pos[n][1] for n in members],
            **_node_text(members, names, placement),
            "customdata": [
                [
                    plotly_text(g.nodes[n].get("municipality", "")),
                    int(g.nodes[n].get("members", 0)),
                    rivals[n],
                    round(centrality.get(n, 0.0), 3),
                    n,
                ]
                for n in members
            ],
            "marker": {
                "size": [sizes[n] for n in members],
                "color": colour,
                "line": {"color": "#ffffff", "width": 1},
            },
            "hovertemplate": (
                "%{hovertext}<br>Kommun: %{customdata[0]}<br>Medlemmar: %{customdata[1]}"
                "<br>Rivaler: %{customdata[2]}<br>Centralitet: %{customdata[3]}<extra></extra>"
            ),
        }
        traces.append(trace)
    return {"data": traces, "layout": _layout(legend_title=legend_title, placement=placement)}


PERSON_COLOUR = "rgb(51, 34, 136)"
CENTER_COLOUR = "rgb(0, 0, 0)"
OWN_GROUP_COLOUR = "rgb(221, 170, 51)"
RELATED_GROUP_COLOUR = "rgb(160, 160, 160)"


def person_ego_figure(view: nx.Graph, pos: Layout, center: Any) -> dict[str, Any]:
    """A person's ego view: ``view`` has ``("p", id)`` people (label = code) and
    ``("g", id)`` groups; membership edges carry ``role``, group relations ``kind``.
    Groups the centre belongs to are gold, other groups grey, people purple."""
    nodes = sorted(view.nodes)
    webgl = len(nodes) > WEBGL_THRESHOLD
    texts = {n: plotly_text(label) for n, label in view.nodes(data="label", default="")}
    own_groups = {n for n in view.adj[center] if n[0] == "g"} if center in view else set()
    people = [n for n in nodes if n[0] == "p" and n != center]
    groups = [n for n in nodes if n[0] == "g"]
    kinds = (
        ("Personen", [center] if center in view else [], CENTER_COLOUR, "diamond", 16),
        (
            gettext("Personens grupper"),
            [n for n in groups if n in own_groups],
            OWN_GROUP_COLOUR,
            "square",
            14,
        ),
        (
            gettext("Andra grupper"),
            [n for n in groups if n not in own_groups],
            RELATED_GROUP_COLOUR,
            "square",
            12,
        ),
        (gettext("Personer (kod)"), people, PERSON_COLOUR, "circle", 8),
    )
    sizes = {n: float(size) for _, members, _, _, size in kinds for n in members}
    # The centre first, then its groups, other groups, people; the centre stays put.
    priority = {n: float(sizes[n]) + (100.0 if n == center else 0.0) for n in nodes}
    pinned = frozenset({center}) if center in view else frozenset()
    pos, placement = _placed(nodes, pos, texts, sizes, priority, pinned)
    edges: dict[str, list[tuple[Any, Any, str]]] = {k: [] for k in EDGE_STYLES}
    # No edge hover here (a membership says no more than its two ends), so no text.
    for a, b, kind in view.edges(data="kind"):
        edges[kind if kind in EDGE_STYLES else "membership"].append((a, b, ""))
    for items in edges.values():
        items.sort()
    traces = _edge_traces(edges, pos, webgl=webgl, hover=False, curved=beside_alliances(edges, pos))
    for name, members, colour, symbol, size in kinds:
        if not members:
            continue
        trace: dict[str, Any] = {
            "type": _scatter(webgl),
            "name": name,
            "x": [pos[n][0] for n in members],
            "y": [pos[n][1] for n in members],
            **_node_text(members, texts, placement),
            "customdata": [len(view.adj[n]) for n in members],
            "marker": {
                "size": size,
                "color": colour,
                "symbol": symbol,
                "line": {"color": "#ffffff", "width": 1},
            },
            "hovertemplate": (
                "%{hovertext}<br>Kopplingar i vyn: %{customdata}<extra>" + name + "</extra>"
            ),
        }
        traces.append(trace)
    return {"data": traces, "layout": _layout(placement=placement)}
