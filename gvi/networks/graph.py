"""The signed group graph as of a date, the person–group graph, and their analyses.

Pure: networkx and the standard library only. Callers turn table rows into the
frozen dataclasses below, so every analysis can be checked on a hand-drawn graph
and run unchanged inside a background job.

Conventions every function here keeps:

- Validity is half-open: a claim holds from ``valid_from`` (inclusive, ``None`` =
  always has) until ``valid_to`` (exclusive, ``None`` = still holds). A rivalry that
  ends on the day an alliance starts never overlaps it.
- The group graph (:func:`build_signed_graph`) is undirected with one edge per
  pair: alliance ``sign=+1``, rivalry ``-1``, truce ``0`` (a paused rivalry: it
  joins the groups, but is neither friendly nor hostile). Splinter-of and
  subgroup-of are directed and live in a separate graph (:func:`build_hierarchy`).
- A relation whose endpoint is not among the groups passed in is dropped, so a
  caller that filters groups (by municipality, say) filters the graph with them.
- Functions that take a group id raise :class:`networkx.NodeNotFound` when the
  id is not in the graph; "no answer" (no path) is ``None`` or an empty list.
- Results are sorted, so the same data always gives the same page and export.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import networkx as nx

ALLIANCE = "alliance"
RIVALRY = "rivalry"
TRUCE = "truce"
SPLINTER_OF = "splinter_of"
SUBGROUP_OF = "subgroup_of"

SIGN: dict[str, int] = {ALLIANCE: 1, RIVALRY: -1, TRUCE: 0}
SIGNED_KINDS = frozenset(SIGN)
HIERARCHY_KINDS = frozenset({SPLINTER_OF, SUBGROUP_OF})

GROUP = "g"
PERSON = "p"
PersonGraphNode = tuple[str, int]

EGO_RADII = range(1, 3)
# In the bipartite person graph a step from one person to the next is two hops
# (person → group → person); 1–4 hops is the same "radius 1–2" in people.
PERSON_EGO_RADII = range(1, 5)


@dataclass(frozen=True, slots=True)
class GroupNode:
    id: int
    name: str
    municipality_id: int
    municipality: str
    status: str = "active"
    members: int = 0


@dataclass(frozen=True, slots=True)
class Relation:
    """A claimed relation; alliance, rivalry and truce are symmetric, splinter_of and
    subgroup_of point from ``source`` to ``target``."""

    id: int
    source: int
    target: int
    kind: str
    intensity: int = 1
    valid_from: date | None = None
    valid_to: date | None = None
    confidence: str = "medium"


@dataclass(frozen=True, slots=True)
class MemberTie:
    person_id: int
    person_code: str
    group_id: int
    role: str = "member"
    confidence: str = "medium"
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass
class GraphDiff:
    """What changed between two dates. A flip (alliance ↔ rivalry for one pair) is
    reported once, under ``flipped``, and its two relations are left out of
    ``appeared`` and ``ended``."""

    appeared: list[Relation] = field(default_factory=list)
    ended: list[Relation] = field(default_factory=list)
    flipped: list[tuple[Relation, Relation]] = field(default_factory=list)


def is_active(valid_from: date | None, valid_to: date | None, as_of: date) -> bool:
    return (valid_from is None or valid_from <= as_of) and (valid_to is None or as_of < valid_to)


# --- building -------------------------------------------------------------------


def _recency(relation: Relation) -> tuple[date, int]:
    # The later claim wins; with equal (or unknown) start dates, the later recorded
    # row, whose id is higher.
    return (relation.valid_from or date.min, relation.id)


def _current_per_pair(
    relations: Iterable[Relation], kinds: frozenset[str], as_of: date, *, directed: bool
) -> dict[tuple[int, int], Relation]:
    """The relation that holds for each pair on ``as_of``: of several active claims
    on one pair, the most recent (latest ``valid_from``) — a rivalry reported after
    an alliance supersedes it even if nobody closed the alliance."""
    current: dict[tuple[int, int], Relation] = {}
    for relation in relations:
        if relation.kind not in kinds or relation.source == relation.target:
            continue
        if not is_active(relation.valid_from, relation.valid_to, as_of):
            continue
        a, b = relation.source, relation.target
        key = (a, b) if directed or a <= b else (b, a)
        held = current.get(key)
        if held is None or _recency(relation) > _recency(held):
            current[key] = relation
    return current


def _group_attrs(group: GroupNode) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "label": group.name,  # what Gephi and i2 show on the node
        "municipality_id": group.municipality_id,
        "municipality": group.municipality,
        "status": group.status,
        "members": group.members,
    }


def build_signed_graph(
    groups: Iterable[GroupNode], relations: Iterable[Relation], as_of: date
) -> nx.Graph:
    """Every group as a node, every alliance/rivalry/truce that holds on ``as_of`` as
    an edge with ``sign``, ``kind``, ``intensity``, ``relation_id`` and ``confidence``.

    Node attributes are the :class:`GroupNode` fields plus ``label`` (the name).
    Where two active relations join the same pair, the most recent one (latest
    ``valid_from``, then highest id) is the edge.
    """
    g = nx.Graph()
    g.add_nodes_from((group.id, _group_attrs(group)) for group in groups)
    current = _current_per_pair(relations, SIGNED_KINDS, as_of, directed=False)
    g.add_edges_from(
        (
            a,
            b,
            {
                "sign": SIGN[r.kind],
                "kind": r.kind,
                "intensity": r.intensity,
                "relation_id": r.id,
                "confidence": r.confidence,
            },
        )
        for (a, b), r in current.items()
        if a in g and b in g
    )
    return g


def build_hierarchy(
    groups: Iterable[GroupNode], relations: Iterable[Relation], as_of: date
) -> nx.DiGraph:
    """Splinter-of and subgroup-of edges ``source → target`` (child → parent) on
    ``as_of``, one per ordered pair (the most recent, as in the signed graph)."""
    h = nx.DiGraph()
    h.add_nodes_from((group.id, _group_attrs(group)) for group in groups)
    current = _current_per_pair(relations, HIERARCHY_KINDS, as_of, directed=True)
    h.add_edges_from(
        (
            a,
            b,
            {
                "kind": r.kind,
                "intensity": r.intensity,
                "relation_id": r.id,
                "confidence": r.confidence,
            },
        )
        for (a, b), r in current.items()
        if a in h and b in h
    )
    return h


def _span(relations: list[Relation]) -> tuple[date | None, date | None]:
    """From the earliest start to the latest end of these claims; open on a side
    where any of them is (or where there are none)."""
    starts = [r.valid_from for r in relations]
    ends = [r.valid_to for r in relations]
    start = None if not starts or None in starts else min(s for s in starts if s is not None)
    end = None if not ends or None in ends else max(e for e in ends if e is not None)
    return start, end


def build_export_graph(
    groups: Iterable[GroupNode],
    relations: Iterable[Relation],
    as_of: date,
    *,
    history: bool = False,
) -> nx.MultiDiGraph:
    """What a network export holds: every group, and as edges the alliances,
    rivalries and truces (``directed=False``, low id → high id) and splinter-of /
    subgroup-of (``directed=True``, child → parent) that hold on ``as_of`` — one per
    pair as in :func:`build_signed_graph` and :func:`build_hierarchy` — or, with
    ``history``, every claim whatever its dates (for a timeline).

    Edges are keyed by relation id and carry ``kind``, ``sign`` (signed kinds only),
    ``intensity``, ``relation_id``, ``confidence``, ``valid_from``, ``valid_to`` and
    ``directed``. Groups have no recorded dates of their own: a node's
    ``valid_from``/``valid_to`` is the span of its edges in the export (open where
    one of them is open; open both ways for a group without edges).
    """
    nodes = list(groups)
    rows = list(relations)
    if history:
        chosen = [r for r in rows if r.source != r.target]
    else:
        signed = _current_per_pair(rows, SIGNED_KINDS, as_of, directed=False)
        hierarchy = _current_per_pair(rows, HIERARCHY_KINDS, as_of, directed=True)
        chosen = [*signed.values(), *hierarchy.values()]
    ids = {group.id for group in nodes}
    chosen = sorted((r for r in chosen if r.source in ids and r.target in ids), key=lambda r: r.id)
    touching: dict[int, list[Relation]] = {}
    for r in chosen:
        touching.setdefault(r.source, []).append(r)
        touching.setdefault(r.target, []).append(r)
    out = nx.MultiDiGraph()
    for group in nodes:
        start, end = _span(touching.get(group.id, []))
        out.add_node(group.id, **_group_attrs(group), valid_from=start, valid_to=end)
    for r in chosen:
        directed = r.kind in HIERARCHY_KINDS
        a, b = (r.source, r.target) if directed else sorted((r.source, r.target))
        sign = {} if directed else {"sign": SIGN[r.kind]}
        validity = {"valid_from": r.valid_from, "valid_to": r.valid_to, "directed": directed}
        out.add_edge(
            a,
            b,
            key=r.id,
            kind=r.kind,
            **sign,
            intensity=r.intensity,
            relation_id=r.id,
            confidence=r.confidence,
            **validity,
        )
    return out


# --- derived graphs, each built once per analysis in one pass over the edges ---------


def _edges_where(g: nx.Graph, keep: frozenset[int]) -> Iterator[tuple[int, int]]:
    for a, b, sign in g.edges(data="sign", default=0):
        if sign in keep:
            yield a, b


def _unsigned(g: nx.Graph) -> nx.Graph:
    """All groups, joined by alliances and rivalries alike; truces left out.

    Who sits between whom is about reach — a message, a favour or a retaliation
    travels along a rivalry as well as along an alliance — so both count. A truce
    is a rivalry on hold, not a channel, and would otherwise let a paused
    conflict shorten every path it touches.
    """
    u = nx.Graph()
    u.add_nodes_from(g)
    u.add_edges_from(_edges_where(g, frozenset({1, -1})))
    return u


# --- analyses --------------------------------------------------------------------


def conflicts_of(g: nx.Graph, group_id: int) -> list[int]:
    """The group's active rivals, strongest rivalry first, then by id."""
    if group_id not in g:
        raise nx.NodeNotFound(f"group {group_id} is not in the graph")
    rivals = [
        (-int(data.get("intensity", 1)), other)
        for other, data in g.adj[group_id].items()
        if data.get("sign") == -1
    ]
    return [other for _, other in sorted(rivals)]


def conflict_clusters(g: nx.Graph) -> list[set[int]]:
    """Groups tied together by chains of rivalries (each cluster ≥ 2 groups),
    largest first, then by lowest id."""
    rivalries = nx.Graph()
    rivalries.add_edges_from(_edges_where(g, frozenset({-1})))
    clusters = [set(c) for c in nx.connected_components(rivalries)]
    return sorted(clusters, key=lambda c: (-len(c), min(c)))


def centrality(g: nx.Graph) -> dict[int, float]:
    """Normalized betweenness of every group on the unsigned alliance + rivalry graph.

    Hop counts, not intensity: intensity says how strong a tie is, not how far
    apart two groups are, and as a distance it would make the strongest ties the
    longest. Truces are left out (see ``_unsigned``). Normalization is over all
    groups in ``g``, isolated ones included, so figures compare across one graph.
    """
    return dict(nx.betweenness_centrality(_unsigned(g), normalized=True))


def bridging_groups(g: nx.Graph) -> list[int]:
    """Groups whose removal splits the alliance + rivalry graph (articulation points)."""
    return sorted(nx.articulation_points(_unsigned(g)))


def bridges(g: nx.Graph) -> list[tuple[int, int]]:
    """Alliances or rivalries whose loss splits the alliance + rivalry graph, each
    as ``(low id, high id)``."""
    found = ((min(a, b), max(a, b)) for a, b in nx.bridges(_unsigned(g)))
    return sorted(found)


def communities(g: nx.Graph, *, seed: int = 1) -> list[set[int]]:
    """Louvain communities on alliances only, weighted by intensity.

    Louvain maximises modularity, which assumes non-negative weights: a rivalry
    is not "less of an alliance", so rivalries and truces never enter the
    algorithm, nor does an alliance with a non-positive intensity. Groups
    without alliances come back as singletons. Largest first, then by lowest id.
    """
    positive = nx.Graph()
    positive.add_nodes_from(g)
    positive.add_weighted_edges_from(
        (a, b, data.get("intensity", 1))
        for a, b, data in g.edges(data=True)
        if data.get("sign") == 1 and data.get("intensity", 1) > 0
    )
    found = nx.community.louvain_communities(positive, weight="weight", seed=seed)
    return sorted((set(c) for c in found), key=lambda c: (-len(c), min(c)))


def unbalanced_triads(g: nx.Graph, *, weak: bool = False) -> list[tuple[int, int, int]]:
    """Triangles of alliances and rivalries whose sign product is negative.

    That is strong structural balance: "an ally of my ally is my rival" (+ + −) and
    three mutual rivals (− − −). With ``weak=True`` only the first kind counts
    (Davis's weak balance, where a three-way war is stable). Truces have no sign
    and close no triad. Each triad sorted, the list sorted.
    """
    signs: dict[int, dict[int, int]] = {}
    for a, b, sign in g.edges(data="sign", default=0):
        if sign == 1 or sign == -1:
            signs.setdefault(a, {})[b] = sign
            signs.setdefault(b, {})[a] = sign
    found: list[tuple[int, int, int]] = []
    # Each triangle once, from its lowest node, through ordered neighbour pairs.
    for u, u_signs in signs.items():
        for v, uv in u_signs.items():
            if v <= u:
                continue
            for w, vw in signs[v].items():
                if w <= v:
                    continue
                uw = u_signs.get(w)
                if uw is None:
                    continue
                negatives = (uv < 0) + (vw < 0) + (uw < 0)
                if negatives == 1 or (negatives == 3 and not weak):
                    found.append((u, v, w))
    found.sort()
    return found


def relation_path(g: nx.Graph, a: int, b: int) -> list[int] | None:
    """A shortest chain of active relations (any kind, truces included) from ``a`` to
    ``b``, or ``None`` when none joins them."""
    try:
        path: list[int] = nx.shortest_path(g, a, b)
    except nx.NetworkXNoPath:
        return None
    return path


def _check_radius(radius: int, allowed: range) -> None:
    if isinstance(radius, bool) or radius not in allowed:
        raise ValueError(f"radius must be {allowed.start}–{allowed.stop - 1}, not {radius!r}")


def ego_network(g: nx.Graph, center: int, radius: int = 1) -> nx.Graph:
    """The groups within ``radius`` (1 or 2) relations of ``center``, with every edge
    among them; a copy, attributes included."""
    _check_radius(radius, EGO_RADII)
    return nx.ego_graph(g, center, radius=radius)


def diff(relations: Iterable[Relation], date_a: date, date_b: date) -> GraphDiff:
    """Relations that hold on ``date_b`` but not ``date_a`` (appeared), the reverse
    (ended), and pairs whose alliance/rivalry sign changed between the two dates
    (flipped, as ``(relation on date_a, relation on date_b)``).

    A pair's sign on a date is the one its graph edge would carry (the most
    recent claim), so a flip is seen even when the old alliance was never closed.
    """
    rows = list(relations)
    on_a = {r.id for r in rows if is_active(r.valid_from, r.valid_to, date_a)}
    on_b = {r.id for r in rows if is_active(r.valid_from, r.valid_to, date_b)}
    pairs_a = _current_per_pair(rows, SIGNED_KINDS, date_a, directed=False)
    pairs_b = _current_per_pair(rows, SIGNED_KINDS, date_b, directed=False)
    flipped = [
        (before, pairs_b[pair])
        for pair, before in sorted(pairs_a.items())
        if pair in pairs_b and SIGN[before.kind] * SIGN[pairs_b[pair].kind] == -1
    ]
    in_flip = {r.id for pair in flipped for r in pair}
    by_id = sorted(rows, key=lambda r: r.id)
    return GraphDiff(
        appeared=[r for r in by_id if r.id in on_b and r.id not in on_a and r.id not in in_flip],
        ended=[r for r in by_id if r.id in on_a and r.id not in on_b and r.id not in in_flip],
        flipped=flipped,
    )


def summary(g: nx.Graph) -> dict[str, int]:
    counts = {"nodes": g.number_of_nodes(), "alliances": 0, "rivalries": 0, "truces": 0}
    names = {1: "alliances", -1: "rivalries", 0: "truces"}
    for _, _, sign in g.edges(data="sign"):
        name = names.get(sign)
        if name is not None:
            counts[name] += 1
    return counts


# --- people ---------------------------------------------------------------------


def person_graph(groups: Iterable[GroupNode], ties: Iterable[MemberTie], as_of: date) -> nx.Graph:
    """Bipartite: ``("g", group id)`` and ``("p", person id)`` nodes, an edge for each
    membership that holds on ``as_of`` (attributes ``role``, ``confidence``).

    Group nodes carry ``kind="group"``, ``label`` (the name) and the other
    :class:`GroupNode` fields but ``id``; person nodes ``kind="person"`` and
    ``label`` (the pseudonymous code — never a name). A person appears only
    through an active membership of a group passed in. Of two active ties
    between one person and one group the most recent (latest ``valid_from``,
    then the later in ``ties``) gives the edge.
    """
    pg = nx.Graph()
    pg.add_nodes_from(
        (
            (GROUP, group.id),
            {
                "kind": "group",
                "label": group.name,
                "name": group.name,
                "municipality_id": group.municipality_id,
                "municipality": group.municipality,
                "status": group.status,
                "members": group.members,
            },
        )
        for group in groups
    )
    current: dict[tuple[int, int], MemberTie] = {}
    for tie in ties:
        if not is_active(tie.valid_from, tie.valid_to, as_of) or (GROUP, tie.group_id) not in pg:
            continue
        key = (tie.person_id, tie.group_id)
        held = current.get(key)
        if held is None or (tie.valid_from or date.min) >= (held.valid_from or date.min):
            current[key] = tie
    people: dict[int, str] = {}
    for tie in current.values():
        people.setdefault(tie.person_id, tie.person_code)
    pg.add_nodes_from(
        ((PERSON, person_id), {"kind": "person", "label": code})
        for person_id, code in people.items()
    )
    pg.add_edges_from(
        (
            (PERSON, tie.person_id),
            (GROUP, tie.group_id),
            {"role": tie.role, "confidence": tie.confidence},
        )
        for tie in current.values()
    )
    return pg


def person_ego(pg: nx.Graph, person_id: int, radius: int = 2) -> nx.Graph:
    """The part of a person graph within ``radius`` hops (1–4) of the person: 1 their
    groups, 2 also their co-members, 3 and 4 one more group and person step."""
    _check_radius(radius, PERSON_EGO_RADII)
    return nx.ego_graph(pg, (PERSON, person_id), radius=radius)
