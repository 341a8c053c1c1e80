"""The group network against the database: what a user may see, as the pure types of
:mod:`gvi.networks.graph`, and the analyses, figures and exports built on them.

Scope: groups of the user's municipalities (not archived), relations between two
such groups, and people whose home municipality is in scope. Group-level views
are not person data and are not audited; a person's ego view is, and so is every
export (counts only), each in the same transaction as the reads it describes.

Analyses and layouts are CPU work: they run in a worker thread (never on the
event loop) and are cached by graph content, so a repeated view is cheap.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import anyio.to_thread
import networkx as nx

from gvi.access.permissions import Permission
from gvi.access.principal import Principal, require
from gvi.audit.events import AuditAction
from gvi.audit.services import record
from gvi.core import clock
from gvi.core.failures import NotVisible
from gvi.db import write_transaction
from gvi.groups.tables import Group, GroupRelation, Membership
from gvi.i18n import gettext
from gvi.municipalities.tables import Municipality
from gvi.networks import figures, graph, interchange, layout, loading
from gvi.networks.graph import GroupNode, MemberTie, Relation
from gvi.people.tables import Person

TZ = clock.STOCKHOLM
ALL_KINDS: tuple[str, ...] = tuple(GroupRelation.Kind)
PERSON_RADII = (1, 2)  # in people: 1 = co-members, 2 = co-members of co-members

# How hard a pair ever tied this way pulls in the group layout.
LAYOUT_WEIGHTS = {
    "alliance": 1.0,
    "splinter_of": 0.6,
    "subgroup_of": 0.6,
    "truce": 0.3,
    "rivalry": 0.15,
}

ExportFormat = Literal["graphml", "gexf", "csv", "nodes.csv"]
EXPORT_MEDIA_TYPES: dict[str, str] = {
    "graphml": "application/graphml+xml; charset=utf-8",
    "gexf": "application/gexf+xml; charset=utf-8",
    # Litestar adds "; charset=utf-8" to text/* itself.
    "csv": "text/csv",
    "nodes.csv": "text/csv",
}


today = clock.today


@dataclass(frozen=True)
class NetworkFilter:
    """What to show: the date, municipalities (already within the user's scope) and
    relation kinds."""

    as_of: date
    municipality_ids: frozenset[int]
    kinds: frozenset[str]

    def query(self) -> dict[str, Any]:
        """The filter as query parameters (for links and the page's JS)."""
        return {
            "as_of": self.as_of.isoformat(),
            "municipality": sorted(self.municipality_ids),
            "kinds": sorted(self.kinds),
        }


def make_filter(
    principal: Principal,
    *,
    as_of: date | None = None,
    municipalities: Iterable[int] | None = None,
    kinds: Iterable[str] | None = None,
) -> NetworkFilter:
    """Asked-for municipalities outside the user's scope are dropped, not refused:
    the answer is the same as for a municipality without groups."""
    scope = principal.municipality_ids
    asked = frozenset(municipalities or ()) & scope
    wanted = frozenset(k for k in (kinds or ()) if k in ALL_KINDS)
    return NetworkFilter(
        as_of=as_of or today(),
        municipality_ids=asked or scope,
        kinds=wanted or frozenset(ALL_KINDS),
    )


@dataclass
class NetworkData:
    groups: list[GroupNode]
    relations: list[Relation]  # every claim between two shown groups, any date and kind

    def signed(self, flt: NetworkFilter) -> nx.Graph:
        rel = [r for r in self.relations if r.kind in flt.kinds]
        return graph.build_signed_graph(self.groups, rel, flt.as_of)

    def hierarchy(self, flt: NetworkFilter) -> nx.DiGraph:
        rel = [r for r in self.relations if r.kind in flt.kinds]
        return graph.build_hierarchy(self.groups, rel, flt.as_of)

    def layout_graph(self) -> nx.Graph:
        """Every group and every pair ever related: positions stay put when the date
        or the kinds change, and only edges come and go. A pair ever allied pulls
        hardest (``weight``), so alliance communities sit together."""
        u = nx.Graph()
        u.add_nodes_from(g.id for g in self.groups)
        for r in self.relations:
            if r.source == r.target:
                continue
            w = LAYOUT_WEIGHTS.get(r.kind, 0.5)
            old = u.get_edge_data(r.source, r.target, {"weight": 0.0})["weight"]
            u.add_edge(r.source, r.target, weight=max(old, w))
        return u


def _require(principal: Principal) -> None:
    require(principal, Permission.network_read)


def _engine() -> Any:
    return Group._meta.db


def group_scope(flt: NetworkFilter) -> Any:
    return loading.in_municipalities(flt.municipality_ids)


async def municipality_choices(principal: Principal) -> list[tuple[int, str]]:
    _require(principal)
    rows = (
        await Municipality.select(Municipality.id, Municipality.name)
        .where(Municipality.id.is_in(sorted(principal.municipality_ids) or [-1]))
        .order_by(Municipality.name)
    )
    return [(r["id"], r["name"]) for r in rows]


async def _load_relations_among(flt: NetworkFilter) -> list[Relation]:
    in_scope = Group.select(Group.id).where(group_scope(flt))
    return await loading.load_relations(
        GroupRelation.source_group.is_in(in_scope) & GroupRelation.target_group.is_in(in_scope)
    )


async def load_network(principal: Principal, flt: NetworkFilter) -> NetworkData:
    """Groups and relations in the filter's municipalities (group level: not audited)."""
    _require(principal)
    groups = await loading.load_groups(group_scope(flt), flt.as_of)
    relations = await _load_relations_among(flt)
    return NetworkData(groups=groups, relations=relations)


# --- analyses (pure, cached, off the event loop) ------------------------------------


@dataclass
class GroupFigures:
    group: GroupNode
    allies: int
    rivals: int
    truces: int
    centrality: float
    community: str


@dataclass
class NetworkAnalysis:
    as_of: date
    summary: dict[str, int]
    groups: list[GroupFigures]
    conflicts: list[tuple[GroupNode, GroupNode, int]]  # rivalries, strongest first
    conflict_clusters: list[list[GroupNode]]
    communities: list[list[GroupNode]]
    bridging: list[GroupNode]
    bridges: list[tuple[GroupNode, GroupNode]]
    unbalanced_triads: list[tuple[GroupNode, GroupNode, GroupNode]]
    centrality: dict[int, float] = field(repr=False, default_factory=dict)
    community_sets: list[set[int]] = field(repr=False, default_factory=list)


def graph_key(g: nx.Graph) -> str:
    """A hash of nodes and edges with their data: what an analysis depends on."""
    digest = hashlib.sha256()
    digest.update(repr(sorted((n, sorted(d.items())) for n, d in g.nodes(data=True))).encode())
    edges = sorted((min(a, b), max(a, b), sorted(d.items())) for a, b, d in g.edges(data=True))
    digest.update(repr(edges).encode())
    return digest.hexdigest()


class _LRU:
    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_ANALYSES = _LRU(64)


def analyse(g: nx.Graph, as_of: date) -> NetworkAnalysis:
    """Every group-level analysis of ``g`` at once (pure; cached by graph content)."""
    key = graph_key(g) + as_of.isoformat()
    found: NetworkAnalysis | None = _ANALYSES.get(key)
    if found is not None:
        return found
    node = {n: node_of(g, n) for n in g.nodes}
    central = graph.centrality(g)
    community_sets = graph.communities(g, seed=1)
    community_label = figures.community_labels(community_sets)
    per_group = []
    for n in sorted(g.nodes, key=lambda n: (node[n].name.casefold(), n)):
        signs = [d.get("sign") for d in g.adj[n].values()]
        per_group.append(
            GroupFigures(
                group=node[n],
                allies=signs.count(1),
                rivals=signs.count(-1),
                truces=signs.count(0),
                centrality=round(central.get(n, 0.0), 4),
                community=community_label.get(n, gettext(figures.NO_ALLIANCES)),
            )
        )
    conflicts = sorted(
        (
            (node[min(a, b)], node[max(a, b)], int(d.get("intensity", 1)))
            for a, b, d in g.edges(data=True)
            if d.get("sign") == -1
        ),
        key=lambda c: (-c[2], c[0].name.casefold(), c[1].name.casefold()),
    )
    found = NetworkAnalysis(
        as_of=as_of,
        summary=graph.summary(g),
        groups=per_group,
        conflicts=conflicts,
        conflict_clusters=[_named(c, node) for c in graph.conflict_clusters(g)],
        communities=[_named(c, node) for c in community_sets if len(c) > 1],
        bridging=[node[n] for n in graph.bridging_groups(g)],
        bridges=[(node[a], node[b]) for a, b in graph.bridges(g)],
        unbalanced_triads=[(node[a], node[b], node[c]) for a, b, c in graph.unbalanced_triads(g)],
        centrality=central,
        community_sets=community_sets,
    )
    _ANALYSES.put(key, found)
    return found


def node_of(g: nx.Graph, n: int) -> GroupNode:
    d = g.nodes[n]
    return GroupNode(
        id=n,
        name=d.get("name", str(n)),
        municipality_id=d.get("municipality_id", 0),
        municipality=d.get("municipality", ""),
        status=d.get("status", "active"),
        members=d.get("members", 0),
    )


def _named(ids: Iterable[int], node: dict[int, GroupNode]) -> list[GroupNode]:
    return sorted((node[n] for n in ids), key=lambda x: (x.name.casefold(), x.id))


@dataclass
class GroupView:
    """What the network page and the figure API need."""

    flt: NetworkFilter
    data: NetworkData
    graph: nx.Graph
    analysis: NetworkAnalysis
    figure: dict[str, Any]
    webgl: bool
    center: GroupNode | None = None


def build_group_view(
    data: NetworkData,
    flt: NetworkFilter,
    colour_by: str,
    center: int | None,
    radius: int,
    pins: dict[int, tuple[float, float]] | None = None,
) -> GroupView:
    """Graph, analyses, layout and figure from loaded data: no database, CPU only
    (run in a worker thread; the benches call it directly). ``pins`` (a saved
    view's positions) override the layout for the groups still shown."""
    g = data.signed(flt)
    analysis = analyse(g, flt.as_of)
    hierarchy = data.hierarchy(flt)
    center_node = None
    if center is not None:
        if center not in g:
            raise NotVisible()
        shown = graph.ego_network(g, center, radius)
        pos = layout.shell_layout(shown, center)
        center_node = node_of(g, center)
    else:
        shown = g
        pos = layout.cached_group_layout(data.layout_graph())
    kept = {n: xy for n, xy in (pins or {}).items() if n in shown}
    pinned = frozenset(kept)
    if kept:
        pos = {**pos, **kept}
    figure = figures.group_figure(
        shown,
        pos,
        hierarchy=hierarchy,
        colour_by=colour_by,
        communities=analysis.community_sets,
        centrality=analysis.centrality,
        center=center,
        pinned=pinned,
    )
    webgl = any(t["type"] == "scattergl" for t in figure["data"])
    return GroupView(flt, data, shown, analysis, figure, webgl, center_node)


async def group_view(
    principal: Principal,
    flt: NetworkFilter,
    *,
    colour_by: str = "community",
    center: int | None = None,
    radius: int = 1,
    pins: dict[int, tuple[float, float]] | None = None,
) -> GroupView:
    """The group network (or one group's ego network) with its analyses and figure."""
    data = await load_network(principal, flt)
    if colour_by not in figures.COLOUR_BY:
        colour_by = "community"
    if radius not in graph.EGO_RADII:
        raise NotVisible()
    view: GroupView = await anyio.to_thread.run_sync(
        build_group_view, data, flt, colour_by, center, radius, pins
    )
    return view


@dataclass
class PathAnswer:
    path: list[GroupNode] | None
    kinds: list[str]  # the relation kind of each step


@dataclass
class DiffAnswer:
    date_a: date
    date_b: date
    appeared: list[tuple[Relation, GroupNode, GroupNode]]
    ended: list[tuple[Relation, GroupNode, GroupNode]]
    flipped: list[tuple[Relation, Relation, GroupNode, GroupNode]]


def relation_path(g: nx.Graph, a: int, b: int) -> PathAnswer:
    if a not in g or b not in g:
        raise NotVisible()
    path = graph.relation_path(g, a, b)
    if path is None:
        return PathAnswer(None, [])
    kinds = [g.edges[x, y].get("kind", "") for x, y in itertools.pairwise(path)]
    return PathAnswer([node_of(g, n) for n in path], kinds)


def conflicts_of(g: nx.Graph, group_id: int) -> list[GroupNode]:
    if group_id not in g:
        raise NotVisible()
    return [node_of(g, n) for n in graph.conflicts_of(g, group_id)]


def diff(data: NetworkData, flt: NetworkFilter, date_a: date, date_b: date) -> DiffAnswer:
    by_id = {gr.id: gr for gr in data.groups}
    rel = [r for r in data.relations if r.kind in flt.kinds]
    d = graph.diff(rel, date_a, date_b)

    def ends(r: Relation) -> tuple[GroupNode, GroupNode]:
        return by_id[r.source], by_id[r.target]

    return DiffAnswer(
        date_a,
        date_b,
        appeared=[(r, *ends(r)) for r in d.appeared],
        ended=[(r, *ends(r)) for r in d.ended],
        flipped=[(a, b, *ends(b)) for a, b in d.flipped],
    )


# --- exports ----------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    media_type: str
    filename: str
    nodes: int
    edges: int


def _serialise(g: nx.Graph, fmt: ExportFormat) -> bytes:
    if fmt == "graphml":
        return interchange.to_graphml(g)
    if fmt == "gexf":
        return interchange.to_gexf(g)
    if fmt == "nodes.csv":
        return interchange.nodes_csv(g).encode("utf-8")
    return interchange.edges_csv(g, labels=True).encode("utf-8")


def export_graph(data: NetworkData, flt: NetworkFilter, *, history: bool = False) -> nx.Graph:
    """What an export holds: the relations of the chosen kinds as on screen on the
    date (splinter-of and subgroup-of as directed edges), or with ``history`` every
    claim whatever its dates, each with its validity; groups by name with
    municipality, status and member count; no notes, no sources, no people."""
    rel = [r for r in data.relations if r.kind in flt.kinds]
    return graph.build_export_graph(data.groups, rel, flt.as_of, history=history)


async def export_network(
    principal: Principal, flt: NetworkFilter, fmt: ExportFormat, *, history: bool = False
) -> ExportFile:
    """The group graph as a file; an ``export:create`` event with counts only is
    written in the same transaction as the reads."""
    _require(principal)
    async with write_transaction(_engine()):
        data = await load_network(principal, flt)
        g = export_graph(data, flt, history=history)
        content: bytes = await anyio.to_thread.run_sync(_serialise, g, fmt)
        await record(
            AuditAction.export_create,
            actor=principal,
            target_type="group_network",
            details={
                "format": fmt,
                "as_of": flt.as_of.isoformat(),
                "municipalities": sorted(flt.municipality_ids),
                "kinds": sorted(flt.kinds),
                "history": history,
                "nodes": g.number_of_nodes(),
                "edges": g.number_of_edges(),
            },
        )
    return ExportFile(
        content=content,
        media_type=EXPORT_MEDIA_TYPES[fmt],
        filename=f"gvi-natverk-{flt.as_of.isoformat()}.{fmt}",
        nodes=g.number_of_nodes(),
        edges=g.number_of_edges(),
    )


# --- a person's ego view ----------------------------------------------------------


def person_scope(principal: Principal) -> Any:
    return loading.live_people(principal.municipality_ids)


async def _ties(
    principal: Principal,
    flt: NetworkFilter,
    *,
    persons: Sequence[int] = (),
    groups: Sequence[int] = (),
) -> list[MemberTie]:
    """Active memberships (on ``flt.as_of``) of in-scope people in in-scope groups,
    for the given people or the given groups."""
    return await loading.member_ties(
        person_scope(principal),
        group_scope(flt),
        flt.as_of,
        by=Membership.person if persons else Membership.group,
        ids=persons or groups,
    )


@dataclass
class PersonView:
    person_id: int
    code: str
    radius: int
    flt: NetworkFilter
    graph: nx.Graph
    figure: dict[str, Any]
    groups: list[GroupNode]  # the person's own groups
    related: list[tuple[GroupNode, GroupNode, str]]  # own group, other group, kind
    people: list[str]  # co-members' codes, sorted
    webgl: bool


def person_view_graph(
    groups: Sequence[GroupNode],
    ties: Sequence[MemberTie],
    relations: Sequence[Relation],
    person_id: int,
    hops: int,
    as_of: date,
    code: str = "",
) -> nx.Graph:
    """The person's ego (``hops`` in the bipartite graph) plus the relations of the
    groups in it, and the groups their own groups are allied with or fighting.
    A person with no membership on ``as_of`` (none at all, or none yet) is a
    view of the person alone."""
    pg = graph.person_graph(groups, ties, as_of)
    if (graph.PERSON, person_id) not in pg:
        pg.add_node((graph.PERSON, person_id), kind="person", label=code)
    view = graph.person_ego(pg, person_id, hops)  # a copy already: safe to add to
    signed = graph.build_signed_graph(groups, relations, as_of)
    own = [n[1] for n in view.adj[(graph.PERSON, person_id)] if n[0] == graph.GROUP]
    for gid in own:
        for other in signed.adj[gid] if gid in signed else {}:
            key = (graph.GROUP, other)
            if key not in view:
                view.add_node(key, **pg.nodes[key])
    in_view = {n[1] for n in view if n[0] == graph.GROUP}
    for a, b, d in signed.edges(data=True):
        if a in in_view and b in in_view:
            view.add_edge((graph.GROUP, a), (graph.GROUP, b), kind=d["kind"], sign=d["sign"])
    return view


def build_person_view(
    person_id: int,
    code: str,
    radius: int,
    flt: NetworkFilter,
    groups: list[GroupNode],
    ties: list[MemberTie],
    relations: list[Relation],
) -> PersonView:
    """A person's ego view from loaded lists: no database, CPU only."""
    view = person_view_graph(groups, ties, relations, person_id, 2 * radius, flt.as_of, code)
    center = (graph.PERSON, person_id)
    pos = layout.shell_layout(view, center)
    figure = figures.person_ego_figure(view, pos, center)
    by_id = {gr.id: gr for gr in groups}
    own_ids = sorted(n[1] for n in view.adj[center] if n[0] == graph.GROUP)
    related: list[tuple[GroupNode, GroupNode, str]] = []
    for x, y, d in view.edges(data=True):
        if "kind" not in d:
            continue  # a membership
        # Listed from the person's own group; between two own groups, once.
        a, b = (x, y) if x[1] in own_ids else (y, x)
        if a[1] in own_ids:
            related.append((by_id[a[1]], by_id[b[1]], d["kind"]))
    related.sort(key=lambda t: (t[0].name.casefold(), t[1].name.casefold()))
    people = sorted(view.nodes[n]["label"] for n in view if n[0] == graph.PERSON and n != center)
    return PersonView(
        person_id=person_id,
        code=code,
        radius=radius,
        flt=flt,
        graph=view,
        figure=figure,
        groups=[by_id[i] for i in own_ids],
        related=related,
        people=people,
        webgl=any(t["type"] == "scattergl" for t in figure["data"]),
    )


async def person_view(
    principal: Principal, person_id: int, flt: NetworkFilter, radius: int = 1
) -> PersonView:
    """A person's groups, co-members and the groups' relations, people by code only.
    Reading it is audited (``network:read`` naming the person) in the same
    transaction; a person outside the user's municipalities is a 404."""
    _require(principal)
    if radius not in PERSON_RADII:
        raise NotVisible()
    async with write_transaction(_engine()):
        person = (
            await Person.select(Person.id, Person.code)
            .where(person_scope(principal) & (Person.id == person_id))
            .first()
        )
        if person is None:
            raise NotVisible()
        # Breadth first through memberships: groups, their members, their groups…
        ties: dict[tuple[int, int], MemberTie] = {}
        people: set[int] = {person_id}
        group_ids: set[int] = set()
        frontier_people: set[int] = {person_id}
        for _ in range(radius):
            found = await _ties(principal, flt, persons=sorted(frontier_people))
            new_groups = {t.group_id for t in found} - group_ids
            ties.update(((t.person_id, t.group_id), t) for t in found)
            group_ids |= new_groups
            members = await _ties(principal, flt, groups=sorted(new_groups))
            ties.update(((t.person_id, t.group_id), t) for t in members)
            frontier_people = {t.person_id for t in members} - people
            people |= frontier_people
        all_groups = await loading.load_groups(group_scope(flt), flt.as_of)
        relations = [r for r in await _load_relations_among(flt) if r.kind in flt.kinds]
        tie_list = sorted(ties.values(), key=lambda t: (t.person_id, t.group_id))
        view: PersonView = await anyio.to_thread.run_sync(
            build_person_view,
            person_id,
            person["code"],
            radius,
            flt,
            all_groups,
            tie_list,
            relations,
        )
        await record(
            AuditAction.network_read,
            actor=principal,
            target_type="person",
            target_id=person_id,
            person_id=person_id,
            details={
                "view": "person_ego",
                "radius": radius,
                "as_of": flt.as_of.isoformat(),
                "people": len(view.people) + 1,
                "groups": sum(1 for n in view.graph if n[0] == graph.GROUP),
            },
        )
    return view
