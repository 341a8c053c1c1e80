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
Louvain at national scale is one call of about a second. A large betweenness
(:data:`PARALLEL_WORK`) is shared among ``processes`` child processes
(:mod:`gvi.networks.kernel_child`), each taking every k-th source: the sums over
sources add up, so the figures are the same (to rounding). igraph takes its random
numbers from a process-wide generator; the seeded call swaps in its own and puts
the default back.
"""

from __future__ import annotations

import json
import queue
import random
import subprocess
import sys
import threading
from array import array
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import igraph as ig  # type: ignore[import-untyped]
import networkx as nx

from gvi.networks import kernel_child

CHUNK = 8  # sources per igraph call: short calls, so progress and cancelling are seen
# Sources × vertices from which a betweenness is worth child processes (each costs
# about a third of a second to start): a national graph is ~256 × 62,000.
PARALLEL_WORK = 2_000_000

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
    *,
    processes: int = 1,
) -> list[float]:
    """Per vertex (in ``c.nodes`` order): the sum over ``sources`` s and every target t
    of the share of shortest s–t paths through the vertex, halved (each unordered
    pair counted once when every node is a source) — networkx's unnormalised
    ``betweenness_centrality_subset`` on an undirected graph. ``progress(done, total)``
    after each chunk of sources; an exception it raises (a cancelled job) stops the
    work, child processes included. ``processes`` > 1 shares a large computation
    (:data:`PARALLEL_WORK`) among that many child processes."""
    picked = sorted(c.index[s] for s in sources)
    n = c.graph.vcount()
    if not picked or n < 3:
        return [0.0] * n
    # igraph, like networkx, halves the subset sums on an undirected graph: with every
    # node a source each unordered pair counts once.
    if processes > 1 and len(picked) >= 2 * CHUNK and len(picked) * n >= PARALLEL_WORK:
        return _in_processes(c, picked, processes, progress)

    def after_chunk(done: int) -> None:
        if progress is not None:
            progress(done, len(picked))

    return kernel_child.summed(c.graph, picked, CHUNK, after_chunk, guard=_lock)


def _in_processes(
    c: Converted,
    picked: list[int],
    processes: int,
    progress: Callable[[int, int], None] | None,
) -> list[float]:
    n = c.graph.vcount()
    shares = [picked[k::processes] for k in range(processes) if picked[k::processes]]
    with _lock:
        edges = c.graph.get_edgelist()
    payload = array("i", (v for edge in edges for v in edge)).tobytes()
    events: queue.Queue[tuple[int, str, Any]] = queue.Queue()
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "gvi.networks.kernel_child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in shares
    ]
    try:
        for k, (child, share) in enumerate(zip(children, shares, strict=True)):
            head = json.dumps({"n": n, "m": len(edges), "sources": share, "chunk": CHUNK})
            talk = (k, child, head.encode() + b"\n", payload, n, events)
            threading.Thread(target=_talk, args=talk, daemon=True).start()
        done = [0] * len(shares)
        sums: dict[int, array[float]] = {}
        while len(sums) < len(shares):
            k, kind, value = events.get()
            if kind == "error":
                raise RuntimeError(f"betweenness child process failed: {value}")
            if kind == "done":
                done[k] = value
                if progress is not None:
                    progress(sum(done), len(picked))
            else:
                sums[k] = value
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
            child.wait()
    # Added in share order, so the same graph gives the same figures on every run.
    total = list(sums[0])
    for k in range(1, len(shares)):
        for i, value in enumerate(sums[k]):
            total[i] += value
    return total


def _talk(
    k: int,
    child: subprocess.Popen[bytes],
    head: bytes,
    payload: bytes,
    n: int,
    events: queue.Queue[tuple[int, str, Any]],
) -> None:
    """Feed one child its share and pass on what it says (see kernel_child)."""
    assert child.stdin is not None
    assert child.stdout is not None
    assert child.stderr is not None
    try:
        child.stdin.write(head)
        child.stdin.write(payload)
        child.stdin.close()
        while line := child.stdout.readline():
            if line.startswith(b"D "):
                events.put((k, "done", int(line[2:])))
            elif line == b"R\n":
                sums = array("d")
                sums.frombytes(child.stdout.read(8 * n))
                if len(sums) == n:
                    events.put((k, "result", sums))
                    return
                break
            else:
                break
        reason = child.stderr.read().decode(errors="replace").strip().splitlines()
        events.put((k, "error", reason[-1] if reason else f"exit {child.wait()}"))
    except (OSError, ValueError) as exc:
        events.put((k, "error", type(exc).__name__))


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
