"""The person-level analyses a background job runs (see :mod:`gvi.networks.jobs`):
betweenness of people and Louvain communities of the person–group graph.

Pure: the graph is networkx; the heavy kernels run on igraph
(:mod:`gvi.networks.kernels`), which takes seconds where networkx took minutes at
national scale. Results are pseudonymous: person codes, group names, counts.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import networkx as nx

from gvi.networks import graph, kernels

CENTRALITY_SAMPLES = 256  # BFS sources for sampled betweenness; exact below this many nodes
TOP_PEOPLE = 100
TOP_COMMUNITIES = 20
CODES_PER_COMMUNITY = 50
GROUPS_PER_COMMUNITY = 10

Progress = Callable[[int, str], None]


def _people(pg: nx.Graph) -> list[Any]:
    return sorted(n for n in pg if n[0] == graph.PERSON)


def centrality_sources(nodes: list[Any], samples: int) -> list[Any]:
    """Every node when there are at most ``samples``, else ``samples`` of them drawn
    with a fixed seed from the sorted nodes: the same graph, the same sources."""
    if len(nodes) <= samples:
        return nodes
    return random.Random(1).sample(nodes, samples)  # noqa: S311 - reproducible sampling, not a secret


def person_centrality(
    pg: nx.Graph, progress: Progress, *, samples: int = CENTRALITY_SAMPLES, processes: int = 1
) -> dict[str, Any]:
    """Betweenness of people in the person–group graph: who links groups and people
    that are otherwise apart. Normalised betweenness (unordered pairs over
    ``(n-1)(n-2)/2``), exact for small graphs; at national scale estimated from
    ``samples`` BFS sources (Brandes & Pich 2007) scaled by ``n / samples``, shared
    among ``processes`` child processes (``GVI_ANALYSIS_PROCESSES``)."""
    nodes = sorted(pg.nodes)
    n = len(nodes)
    progress(5, "Beräknar vägar i nätet")
    sources = centrality_sources(nodes, samples)
    converted = kernels.to_igraph(pg)

    def chunk_done(done: int, total: int) -> None:
        progress(5 + 90 * done // total, f"{done} av {total} startpunkter klara")

    values = kernels.betweenness(converted, sources, chunk_done, processes=processes)
    raw = {node: values[converted.index[node]] for node in nodes}
    scale = (n / len(sources)) / ((n - 1) * (n - 2) / 2) if n > 2 and sources else 0.0
    people = _people(pg)
    ranked = sorted(people, key=lambda p: (-raw[p], pg.nodes[p]["label"]))[:TOP_PEOPLE]
    return {
        "summary": {
            "people": len(people),
            "groups": n - len(people),
            "memberships": pg.number_of_edges(),
            "sources": len(sources),
            "exact": len(sources) == n,
        },
        "top": [
            {
                "code": pg.nodes[p]["label"],
                "score": round(raw[p] * scale, 5),
                "groups": pg.degree(p),
            }
            for p in ranked
        ],
    }


def person_communities(pg: nx.Graph, progress: Progress) -> dict[str, Any]:
    """Louvain communities of the person–group graph (memberships only: every weight
    is positive), the biggest by number of people first."""
    progress(10, "Söker gemenskaper")
    partition = kernels.communities(kernels.to_igraph(pg), seed=1)
    progress(90, f"{len(partition)} gemenskaper")
    people_total = len(_people(pg))
    described = []
    for community in partition:
        people = sorted(pg.nodes[n]["label"] for n in community if n[0] == graph.PERSON)
        groups = sorted(pg.nodes[n]["label"] for n in community if n[0] == graph.GROUP)
        if people:
            described.append((len(people), len(groups), people, groups))
    described.sort(key=lambda c: (-c[0], -c[1], c[2][0]))
    return {
        "summary": {
            "people": people_total,
            "groups": pg.number_of_nodes() - people_total,
            "communities": len(described),
            "largest": described[0][0] if described else 0,
        },
        "communities": [
            {
                "people": n_people,
                "groups": n_groups,
                "group_names": groups[:GROUPS_PER_COMMUNITY],
                "codes": people[:CODES_PER_COMMUNITY],
            }
            for n_people, n_groups, people, groups in described[:TOP_COMMUNITIES]
        ],
    }
