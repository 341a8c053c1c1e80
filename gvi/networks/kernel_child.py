"""One share of a large betweenness computation, in a process of its own.

:func:`gvi.networks.kernels.betweenness` starts one of these per CPU for a national
graph: igraph holds the GIL for a whole call, so threads would not add a core, and
the job's worker is a daemonic process that may not fork children of
``multiprocessing``. The protocol on the pipes (no pickle; nothing here runs what
it reads):

- stdin: one JSON line ``{"n": vertices, "m": edges, "sources": [...], "chunk": k}``,
  then ``2·m`` native ``int`` (``array('i')``, the edge list);
- stdout: ``D <sources done>`` after each chunk, then ``R`` and ``n`` native
  doubles, this share's sums.
"""

from __future__ import annotations

import json
import sys
from array import array
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext

import igraph as ig  # type: ignore[import-untyped]

_UNGUARDED: AbstractContextManager[object] = nullcontext()  # reusable: it holds nothing


def summed(
    graph: ig.Graph,
    sources: Sequence[int],
    chunk: int,
    after_chunk: Callable[[int], object],
    guard: AbstractContextManager[object] = _UNGUARDED,
) -> list[float]:
    """Per vertex, betweenness summed over ``sources`` (igraph's subset betweenness,
    ``chunk`` sources per call, each call inside ``guard``); ``after_chunk(done)``
    after each call. The one loop of both paths: in the job's process
    (:func:`gvi.networks.kernels.betweenness`) and here."""
    n = graph.vcount()
    total = [0.0] * n
    everyone = range(n)
    for start in range(0, len(sources), chunk):
        part = sources[start : start + chunk]
        with guard:
            found = graph.betweenness(directed=False, sources=part, targets=everyone)
        for i, value in enumerate(found):
            total[i] += value
        after_chunk(min(start + chunk, len(sources)))
    return total


def main() -> None:
    head = json.loads(sys.stdin.buffer.readline())
    n, m, sources, chunk = head["n"], head["m"], head["sources"], head["chunk"]
    flat = array("i")
    flat.frombytes(sys.stdin.buffer.read(2 * m * flat.itemsize))
    graph = ig.Graph(n=n, edges=list(zip(flat[0::2], flat[1::2], strict=True)), directed=False)
    out = sys.stdout.buffer

    def say_done(done: int) -> None:
        out.write(f"D {done}\n".encode())
        out.flush()

    total = summed(graph, sources, chunk, say_done)
    out.write(b"R\n")
    out.write(array("d", total).tobytes())
    out.flush()


if __name__ == "__main__":
    main()
