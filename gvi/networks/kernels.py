"""The heavy kernels of the person-level analyses, on python-igraph.

networkx stays the graph API (building, attributes, exports); this module only turns
a networkx graph into an igraph one (nodes relabelled 0…n-1 in sorted order, one
integer edge list) and runs the two kernels whose pure-Python versions take minutes
at national scale (~62,000 people, ~200,000 memberships):

- :func:`betweenness` — the same quantity the networkx job computed with
  ``betweenness_centrality_subset(G, sources, all nodes, normalized=False)`` summed
  over the sources: unnormalised undirected betweenness, exact when every node is a
  source, otherwise the Brandes–Pich estimate from the chosen sources (the caller
  scales it). For the same sources the figures equal networkx's (to rounding).
- :func:`communities` — Louvain (igraph's ``community_multilevel``, unweighted, the
  last level), seeded so the same graph always gives the same partition.

Pure: igraph, networkx and the standard library only. igraph is not thread-safe
and holds the GIL for the whole of a call: every call here takes one module lock,
betweenness runs in chunks of :data:`CHUNK` sources so the event loop (the job runs
in a worker thread) pauses for a fraction of a second at most between them, and
Louvain at national scale is one call of about a second. igraph takes its random
numbers from a process-wide generator; the seeded call swaps in its own and puts
the default back.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import igraph as ig  # type: ignore[import-untyped]
import networkx as nx

CHUNK = 8  # sources per igraph call: short calls, so progress and cancelling are seen

_lock = threading.Lock()  # one igraph call at a time


@dataclass(frozen=True)
class Converted:
    """An igraph copy of a networkx graph: vertex ``i`` is ``nodes[i]``."""

    graph: ig.Graph
    nodes: list[Any]
    index: dict[Any, int]


def to_igraph(g: nx.Graph) -> Converted:
    """Undirected simple igraph copy of ``g`` (structure only, no attributes); nodes
    in sorted order, so a vertex number means the same node on every run."""
    if g.is_directed() or g.is_multigraph():
        raise TypeError("the kernels take a simple undirected graph")
    nodes = sorted(g.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    edges = [(index[a], index[b]) for a, b in g.edges() if a != b]
    with _lock:
        built = ig.Graph(n=len(nodes), edges=edges, directed=False)
    return Converted(built, nodes, index)


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    with _lock:
        ig.set_random_number_generator(random.Random(seed))  # noqa: S311 - reproducible, not a secret
        try:
            yield
        finally:
            ig.set_random_number_generator(random)


def betweenness(
    c: Converted,
    sources: Sequence[Hashable],
    progress: Callable[[int, int], None] | None = None,
) -> list[float]:
    """Per vertex (in ``c.nodes`` order): the sum over ``sources`` s and every target t
    of the share of shortest s–t paths through the vertex, halved (each unordered
    pair counted once when every node is a source) — networkx's unnormalised
    ``betweenness_centrality_subset`` on an undirected graph. ``progress(done, total)``
    after each chunk of sources."""
    picked = sorted(c.index[s] for s in sources)
    n = c.graph.vcount()
    total = [0.0] * n
    if not picked or n < 3:
        return total
    everyone = range(n)
    for start in range(0, len(picked), CHUNK):
        part = picked[start : start + CHUNK]
        with _lock:
            found = c.graph.betweenness(directed=False, sources=part, targets=everyone)
        for i, value in enumerate(found):
            total[i] += value
        if progress is not None:
            progress(min(start + CHUNK, len(picked)), len(picked))
    # igraph, like networkx, halves the subset sums on an undirected graph: with every
    # node a source each unordered pair counts once.
    return total


def communities(c: Converted, *, seed: int = 1) -> list[set[Any]]:
    """Louvain communities (modularity, unweighted; the last, coarsest level) as sets
    of the networkx nodes."""
    if c.graph.vcount() == 0:
        return []
    with _seeded(seed):
        clustering = c.graph.community_multilevel(return_levels=False)
    found: dict[int, set[Any]] = {}
    for vertex, label in enumerate(clustering.membership):
        found.setdefault(label, set()).add(c.nodes[vertex])
    return list(found.values())
