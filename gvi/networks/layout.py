"""Node positions for the network views, fast enough for 5,000 nodes.

Pure: networkx (with numpy for its force-directed layout) and the standard library.

- :func:`group_layout` places each connected component of up to
  :data:`FORCE_LIMIT` groups by communities: Louvain (seeded) on the edge weights
  (alliances pull harder than rivalries, see ``weight``), the communities placed by
  a spring layout of the graph between them, then networkx's Fruchterman-Reingold
  layout of the whole component started from there, with edges inside a community
  pulling :data:`INTRA_PULL` times harder, so communities stay visibly together.
  Larger components are placed by PivotMDS (Brandes & Pich, "Eigensolver
  methods for progressive multidimensional scaling of large data", 2006): BFS
  distances from a few pivots, double-centred, projected on their two main axes.
  It costs O(k·(n + m)) for k pivots, against O(n²) per iteration for spring or
  ForceAtlas2 layouts. Components are laid out apart and packed on shelves,
  biggest first; nodes that land on one spot (leaves of one hub) are fanned out.
  Labels and marker overlap are handled in pixels by :mod:`gvi.networks.labels`.
- :func:`shell_layout` places an ego view in rings by BFS distance from the centre,
  each node near the neighbours that lead to it.
- :func:`cached_group_layout` keeps recent layouts in an in-process LRU keyed by a
  hash of the graph's nodes and edges, so a repeated view does not recompute.

Positions are deterministic (no randomness; ties broken by node order) and fall
within [-1, 1] on both axes.
"""

from __future__ import annotations

import hashlib
import math
import operator
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from typing import Any, Generic, TypeVar

import networkx as nx

V = TypeVar("V")
Position = tuple[float, float]
Layout = dict[Any, Position]

LAYOUT_VERSION = "community-fr-1"
FORCE_LIMIT = 500  # components up to this size get the community force layout
FORCE_MIN = 6  # smaller ones are a star or a chain at most: PivotMDS draws them as well
INTRA_PULL = 4.0  # edges inside a community pull this much harder than between
_FR_ITERATIONS = 120
MAX_PIVOTS = 40
_POWER_ITERATIONS = 200


def _ordered(nodes: Iterable[Hashable]) -> list[Any]:
    # Graphs here have int nodes (groups) or ("g"/"p", id) pairs; both sort.
    return sorted(nodes)


def content_hash(g: nx.Graph) -> str:
    """A hash of the node set and edge set with weights: what a layout depends on."""
    digest = hashlib.sha256(LAYOUT_VERSION.encode())
    digest.update(repr(_ordered(g.nodes)).encode())
    edges = _ordered(
        (*(sorted((a, b)) if not g.is_directed() else (a, b)), float(w))
        for a, b, w in g.edges(data="weight", default=1.0)
    )
    digest.update(repr(edges).encode())
    return digest.hexdigest()


# --- PivotMDS ----------------------------------------------------------------------


def _pivots(g: nx.Graph, nodes: list[Any], k: int) -> tuple[list[Any], list[dict[Any, int]]]:
    """Max-min pivots: start at the best-connected node, then each next pivot is the
    node farthest from all chosen so far. Returns the pivots and their BFS distances."""
    index = {n: i for i, n in enumerate(nodes)}
    first = max(nodes, key=lambda n: (g.degree(n), -index[n]))
    pivots = [first]
    dists = [nx.single_source_shortest_path_length(g, first)]
    nearest = dict(dists[0])
    while len(pivots) < k:
        # Farthest from the chosen pivots; on a tie, the earliest in node order.
        candidate = max(nodes, key=lambda n: (nearest[n], -index[n]))
        if nearest[candidate] == 0:
            break
        pivots.append(candidate)
        d = nx.single_source_shortest_path_length(g, candidate)
        dists.append(d)
        for n, value in d.items():
            if value < nearest[n]:
                nearest[n] = value
    return pivots, dists


def _dot(a: list[float], b: list[float]) -> float:
    total: float = sum(map(operator.mul, a, b))
    return total


def _top_eigenvectors(matrix: list[list[float]], count: int) -> list[list[float]]:
    """The ``count`` leading eigenvectors of a small symmetric matrix, by power
    iteration with deflation (k ≤ 40: cheap in pure Python)."""
    size = len(matrix)
    work = [row[:] for row in matrix]
    vectors: list[list[float]] = []
    for number in range(count):
        # A fixed, non-symmetric start so no eigenvector is missed by symmetry.
        v = [1.0 + ((i * 7 + number * 3) % 11) / 10 for i in range(size)]
        eigenvalue = 0.0
        for _ in range(_POWER_ITERATIONS):
            w = [_dot(row, v) for row in work]
            norm = math.sqrt(_dot(w, w))
            if norm == 0:
                break
            w = [x / norm for x in w]
            delta = sum(abs(x - y) for x, y in zip(w, v, strict=True))
            v = w
            eigenvalue = norm
            if delta < 1e-9:
                break
        vectors.append(v)
        for i in range(size):
            for j in range(size):
                work[i][j] -= eigenvalue * v[i] * v[j]
    return vectors


def _pivot_mds(g: nx.Graph, nodes: list[Any]) -> Layout:
    n = len(nodes)
    if n == 1:
        return {nodes[0]: (0.0, 0.0)}
    if n == 2:
        return {nodes[0]: (-0.5, 0.0), nodes[1]: (0.5, 0.0)}
    pivots, dists = _pivots(g, nodes, min(n, MAX_PIVOTS))
    k = len(pivots)
    # Columns: squared distances from each pivot, double-centred.
    columns = [[float(d[node]) ** 2 for node in nodes] for d in dists]
    col_means = [sum(col) / n for col in columns]
    row_means = [sum(col[i] for col in columns) / k for i in range(n)]
    grand = sum(col_means) / k
    centred = [
        [-0.5 * (col[i] - row_means[i] - col_means[j] + grand) for i in range(n)]
        for j, col in enumerate(columns)
    ]
    gram = [[0.0] * k for _ in range(k)]
    for a in range(k):
        for b in range(a, k):
            gram[a][b] = gram[b][a] = _dot(centred[a], centred[b])
    axes = _top_eigenvectors(gram, 2)
    xs = [sum(centred[j][i] * axes[0][j] for j in range(k)) for i in range(n)]
    if len(axes) > 1:
        ys = [sum(centred[j][i] * axes[1][j] for j in range(k)) for i in range(n)]
    else:
        ys = [0.0] * n
    return {node: (xs[i], ys[i]) for i, node in enumerate(nodes)}


def _fan_out(g: nx.Graph, pos: Layout) -> Layout:
    """Spread nodes that share a spot (leaves of one hub, twins) on a small circle."""
    lengths = sorted(math.dist(pos[a], pos[b]) for a, b in g.edges if a != b)
    unit = lengths[len(lengths) // 2] if lengths else 1.0
    unit = unit or 1.0
    cell = unit / 4
    buckets: dict[tuple[int, int], list[Any]] = {}
    for node in _ordered(pos):
        x, y = pos[node]
        buckets.setdefault((round(x / cell), round(y / cell)), []).append(node)
    out = dict(pos)
    for members in buckets.values():
        if len(members) < 2:
            continue
        cx = sum(pos[m][0] for m in members) / len(members)
        cy = sum(pos[m][1] for m in members) / len(members)
        radius = unit * (0.3 + 0.02 * len(members))
        for i, m in enumerate(members):
            angle = 2 * math.pi * i / len(members)
            out[m] = (cx + radius * math.cos(angle), cy + radius * math.sin(angle))
    return out


def _normalise(pos: Layout) -> Layout:
    """Centre on the origin and scale into [-1, 1], keeping the aspect ratio."""
    if not pos:
        return {}
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    half = max(max(xs) - min(xs), max(ys) - min(ys)) / 2 or 1.0
    return {node: ((x - cx) / half, (y - cy) / half) for node, (x, y) in pos.items()}


def _weighted(g: nx.Graph, nodes: list[Any]) -> nx.Graph:
    """The component as a fresh graph in node order (so results do not depend on
    insertion order), weights defaulting to 1."""
    out = nx.Graph()
    out.add_nodes_from(nodes)
    sub = g.subgraph(nodes)
    out.add_weighted_edges_from(
        _ordered((*sorted((a, b)), float(w)) for a, b, w in sub.edges(data="weight", default=1.0))
    )
    return out


def _community_layout(g: nx.Graph, nodes: list[Any]) -> Layout:
    """Communities placed apart, then a force layout of the whole component."""
    w = _weighted(g, nodes)
    found = nx.community.louvain_communities(w, weight="weight", seed=1)
    communities = sorted((_ordered(c) for c in found), key=lambda c: (-len(c), c[0]))
    of = {n: i for i, c in enumerate(communities) for n in c}
    between = nx.Graph()
    between.add_nodes_from(range(len(communities)))
    pull = nx.Graph()
    pull.add_nodes_from(nodes)
    for a, b, weight in w.edges(data="weight"):
        ca, cb = of[a], of[b]
        if ca == cb:
            pull.add_edge(a, b, weight=weight * INTRA_PULL)
            continue
        pull.add_edge(a, b, weight=weight)
        old = between.get_edge_data(ca, cb, {"weight": 0.0})["weight"]
        between.add_edge(ca, cb, weight=old + weight)
    if len(communities) > 1:
        centres = {
            c: (float(x), float(y))
            for c, (x, y) in nx.spring_layout(between, weight="weight", seed=1).items()
        }
    else:
        centres = {0: (0.0, 0.0)}
    start: dict[Any, tuple[float, float]] = {}
    total = math.sqrt(len(nodes))
    for c, members in enumerate(communities):
        cx, cy = centres[c]
        spread = 0.35 * math.sqrt(len(members)) / total
        for i, n in enumerate(members):
            angle = 2 * math.pi * i / len(members)
            start[n] = (cx + spread * math.cos(angle), cy + spread * math.sin(angle))
    placed = nx.spring_layout(
        pull, pos=start, weight="weight", iterations=_FR_ITERATIONS, seed=1, threshold=1e-5
    )
    return {n: (float(x), float(y)) for n, (x, y) in placed.items()}


def group_layout(g: nx.Graph) -> Layout:
    """Positions for every node of ``g`` (edges undirected for this purpose)."""
    u = g.to_undirected(as_view=True) if g.is_directed() else g
    components = sorted(
        (_ordered(c) for c in nx.connected_components(u)), key=lambda c: (-len(c), c[0])
    )
    boxes: list[tuple[float, Layout]] = []
    for nodes in components:
        if len(nodes) <= 2:
            local = _pivot_mds(u, nodes)
        elif FORCE_MIN <= len(nodes) <= FORCE_LIMIT:
            local = _community_layout(u, nodes)
        else:
            local = _fan_out(u.subgraph(nodes), _pivot_mds(u, nodes))
        # Each component gets a square whose side grows with the root of its size.
        side = math.sqrt(len(nodes))
        boxes.append(
            (side, {n: (x * side / 2, y * side / 2) for n, (x, y) in _normalise(local).items()})
        )
    total_area = sum((side + 1) ** 2 for side, _ in boxes)
    shelf_width = max(math.sqrt(total_area) * 1.2, boxes[0][0] + 1 if boxes else 1)
    placed: Layout = {}
    x = y = shelf_height = 0.0
    for side, local in boxes:
        width = side + 1  # one unit of space between components
        if x > 0 and x + width > shelf_width:
            x, y = 0.0, y + shelf_height
            shelf_height = 0.0
        for node, (lx, ly) in local.items():
            placed[node] = (x + width / 2 + lx, -(y + width / 2) + ly)
        x += width
        shelf_height = max(shelf_height, width)
    return _normalise(placed)


_TAU = 2 * math.pi
_RING_TURN = 0.4  # radians each ring is turned, so rings of two do not line up
_MIN_ARC = 0.45  # wanted distance between neighbours on a ring, in ring units


def _circular_mean(angles: list[float], fallback: float) -> float:
    sx = sum(math.cos(a) for a in angles)
    sy = sum(math.sin(a) for a in angles)
    if math.hypot(sx, sy) < 1e-9 * max(len(angles), 1):
        # Parents on opposite sides: go halfway round from the first.
        return (angles[0] + math.pi / 2) % _TAU if angles else fallback
    return math.atan2(sy, sx) % _TAU


def _spread(wanted: list[tuple[float, Any]], min_gap: float) -> dict[Any, float]:
    """Angles as close to the wanted ones as keeps ``min_gap`` between neighbours, in
    the wanted order; evenly spaced when the ring is too full for that."""
    count = len(wanted)
    if count * min_gap >= _TAU:
        start = wanted[0][0]
        return {node: (start + i * _TAU / count) % _TAU for i, (_, node) in enumerate(wanted)}
    angles = [a for a, _ in wanted]
    for i in range(1, count):
        angles[i] = max(angles[i], angles[i - 1] + min_gap)
    # Pushing forward shifts the ring; move it back by half the mean push.
    shift = sum(a - w for a, (w, _) in zip(angles, wanted, strict=True)) / count / 2
    angles = [a - shift for a in angles]
    overlap = angles[0] + _TAU - angles[-1]
    if overlap < min_gap:
        angles = [a - (min_gap - overlap) * i / count for i, a in enumerate(angles)]
    return {node: a % _TAU for a, (_, node) in zip(angles, wanted, strict=True)}


def shell_layout(g: nx.Graph, center: Any) -> Layout:
    """Rings by BFS distance from ``center``; each node sits as near as room allows
    to the nodes one ring in that lead to it, so a hub's members stay together."""
    u = g.to_undirected(as_view=True) if g.is_directed() else g
    distance = nx.single_source_shortest_path_length(u, center)
    shells: dict[int, list[Any]] = {}
    for node, d in distance.items():
        shells.setdefault(d, []).append(node)
    unreachable = _ordered(n for n in u if n not in distance)
    if unreachable:
        shells[max(shells) + 1] = unreachable
    adj = dict(u.adjacency())  # plain dicts: much faster to walk than the views
    angle: dict[Any, float] = {center: 0.0}
    pos: Layout = {center: (0.0, 0.0)}
    for d in sorted(shells):
        if d == 0:
            continue
        ring = _ordered(shells[d])
        turn = d * _RING_TURN
        wanted = []
        for i, node in enumerate(ring):
            # The first ring goes evenly round the centre; later ones follow their parents.
            inner = [angle[p] for p in adj[node] if d > 1 and distance.get(p) == d - 1]
            even = (turn + i * _TAU / len(ring)) % _TAU
            wanted.append((_circular_mean(inner, even) if inner else even, node))
        wanted.sort(key=lambda item: (item[0], item[1]))
        for node, a in _spread(wanted, min(_TAU / len(ring), _MIN_ARC / d)).items():
            angle[node] = a
            pos[node] = (d * math.cos(a), d * math.sin(a))
    outer = max(shells)
    # Scaled, not re-centred: the centre stays in the middle of the view.
    return {node: (x / outer, y / outer) for node, (x, y) in pos.items()} if outer else pos


# --- cache ------------------------------------------------------------------------


class LRUCache(Generic[V]):
    """A small thread-safe LRU by content hash."""

    def __init__(self, maxsize: int = 64) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[str, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: str, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0


class LayoutCache(LRUCache[Layout]):
    """Layouts by graph content hash."""


GROUP_LAYOUTS = LayoutCache()


def cached_group_layout(g: nx.Graph, cache: LayoutCache = GROUP_LAYOUTS) -> Layout:
    key = content_hash(g)
    found = cache.get(key)
    if found is None:
        found = group_layout(g)
        cache.put(key, found)
    return found
