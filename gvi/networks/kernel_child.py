"""One share of a large betweenness computation, in a process of its own.

:func:`gvi.networks.kernels.betweenness` starts one of these per CPU for a national
graph: igraph holds the GIL for a whole call, so threads would not add a core, and
the job's worker is a daemonic process that may not fork children of
``multiprocessing``. The protocol on the pipes (no pickle; nothing here runs what
it reads):

- stdin: one JSON line ``{"n": vertices, "m": edges, "sources": [...], "chunk": k}``,
  then ``2·m`` native ``int32`` (the edge list);
- stdout: ``D <sources done>`` after each chunk, then ``R`` and ``n`` native
  doubles, this share's sums.
"""

from __future__ import annotations

import json
import sys
from array import array

import igraph as ig  # type: ignore[import-untyped]


def main() -> None:
    head = json.loads(sys.stdin.buffer.readline())
    n, m, sources, chunk = head["n"], head["m"], head["sources"], head["chunk"]
    flat = array("i")
    flat.frombytes(sys.stdin.buffer.read(8 * m))
    graph = ig.Graph(n=n, edges=list(zip(flat[0::2], flat[1::2], strict=True)), directed=False)
    total = array("d", bytes(8 * n))
    everyone = range(n)
    out = sys.stdout.buffer
    for start in range(0, len(sources), chunk):
        part = sources[start : start + chunk]
        found = graph.betweenness(directed=False, sources=part, targets=everyone)
        for i, value in enumerate(found):
            total[i] += value
        out.write(f"D {min(start + chunk, len(sources))}\n".encode())
        out.flush()
    out.write(b"R\n")
    out.write(total.tobytes())
    out.flush()


if __name__ == "__main__":
    main()
