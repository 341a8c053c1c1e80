"""The igraph kernels give networkx's answers on graphs small enough for networkx:
betweenness equal within 1e-9 (exact, and sampled from the same sources), Louvain
equal on a graph with clear communities and as good (modularity) on a random one."""

from __future__ import annotations

import os
import random
import subprocess
from typing import Any

import networkx as nx
import pytest

from gvi.networks import graph, kernels, person_analyses
from tests.networks.factories import AS_OF


def _person_graph(seed: int, people: int = 400, groups: int = 40) -> nx.Graph:
    rng = random.Random(seed)  # noqa: S311 -- reproducible test data
    nodes = [graph.GroupNode(i, f"G{i}", 1, "Egenby") for i in range(groups)]
    ties = [
        graph.MemberTie(p, f"P-{p:04d}", g)
        for p in range(people)
        for g in rng.sample(range(groups), rng.choice([1, 1, 2, 3]))
    ]
    return graph.person_graph(nodes, ties, AS_OF)


def _largest_gap(ours: list[float], theirs: dict[object, float], c: kernels.Converted) -> float:
    return max(abs(ours[c.index[n]] - value) for n, value in theirs.items())


@pytest.mark.parametrize("seed", [1, 2])
def test_exact_betweenness_equals_networkx(seed: int) -> None:
    pg = _person_graph(seed)
    pg.add_edge(("p", 9000), ("p", 9001))  # a component of its own
    c = kernels.to_igraph(pg)
    ours = kernels.betweenness(c, list(pg))
    assert _largest_gap(ours, nx.betweenness_centrality(pg, normalized=False), c) < 1e-9


def test_sampled_betweenness_equals_networkx_from_the_same_sources() -> None:
    pg = _person_graph(3)
    sources = person_analyses.centrality_sources(sorted(pg), 50)
    assert len(sources) == 50
    c = kernels.to_igraph(pg)
    seen: list[tuple[int, int]] = []
    ours = kernels.betweenness(c, sources, lambda done, total: seen.append((done, total)))
    theirs = nx.betweenness_centrality_subset(pg, sources, list(pg), normalized=False)
    assert _largest_gap(ours, theirs, c) < 1e-9
    step = kernels.CHUNK
    assert seen == [(min(done, 50), 50) for done in range(step, 50 + step, step)]


def test_person_centrality_scores_are_networkx_normalised_betweenness() -> None:
    pg = _person_graph(4, people=150, groups=15)
    result = person_analyses.person_centrality(pg, lambda p, m: None)
    assert result["summary"]["exact"] is True
    expected = nx.betweenness_centrality(pg, normalized=True)
    label = {d["label"]: n for n, d in pg.nodes(data=True) if d["kind"] == "person"}
    for row in result["top"]:
        assert row["score"] == round(expected[label[row["code"]]], 5)
    best = max((n for n in pg if n[0] == "p"), key=lambda n: (expected[n], -int(n[1])))
    assert result["top"][0]["code"] == pg.nodes[best]["label"]


def test_louvain_finds_planted_communities_like_networkx() -> None:
    cliques = nx.Graph()
    for k in range(6):
        members = range(k * 10, k * 10 + 10)
        cliques.add_edges_from((a, b) for a in members for b in members if a < b)
        cliques.add_edge(k * 10, ((k + 1) % 6) * 10 + 1)  # one tie to the next clique
    c = kernels.to_igraph(cliques)
    ours = sorted(map(sorted, kernels.communities(c, seed=1)))
    theirs = sorted(map(sorted, nx.community.louvain_communities(cliques, seed=1)))
    assert ours == theirs
    assert len(ours) == 6


@pytest.mark.parametrize("seed", [5, 6])
def test_louvain_is_as_good_as_networkx_and_reproducible(seed: int) -> None:
    pg = _person_graph(seed)
    c = kernels.to_igraph(pg)
    ours = kernels.communities(c, seed=1)
    assert sorted(n for part in ours for n in part) == sorted(pg)
    assert kernels.communities(kernels.to_igraph(pg), seed=1) == ours
    q_ours = nx.community.modularity(pg, ours)
    q_theirs = nx.community.modularity(pg, nx.community.louvain_communities(pg, seed=1))
    assert q_ours == pytest.approx(q_theirs, abs=0.02)


def test_the_kernels_take_simple_undirected_graphs_only() -> None:
    with pytest.raises(TypeError):
        kernels.to_igraph(nx.DiGraph([(1, 2)]))
    empty = kernels.to_igraph(nx.Graph())
    assert kernels.communities(empty) == []
    assert kernels.betweenness(empty, []) == []


def test_betweenness_shared_among_processes_equals_one_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The national path (child processes, each every k-th source) on a graph small
    enough to check: the same figures as in one process, and progress up to all."""
    monkeypatch.setattr(kernels, "PARALLEL_WORK", 0)
    pg = _person_graph(5)
    sources = person_analyses.centrality_sources(sorted(pg), 60)
    c = kernels.to_igraph(pg)
    seen: list[tuple[int, int]] = []
    shared = kernels.betweenness(c, sources, lambda d, t: seen.append((d, t)), processes=3)
    alone = kernels.betweenness(c, sources)
    assert max(abs(a - b) for a, b in zip(shared, alone, strict=True)) < 1e-9
    assert max(alone) > 0
    assert seen[-1] == (60, 60)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_a_cancel_during_shared_betweenness_stops_the_children(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kernels, "PARALLEL_WORK", 0)
    pg = _person_graph(6)
    c = kernels.to_igraph(pg)
    started: list[int] = []

    class Cancelled(Exception):
        pass

    def cancel(done: int, total: int) -> None:
        raise Cancelled

    real_popen = subprocess.Popen

    def popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        child: subprocess.Popen[bytes] = real_popen(*args, **kwargs)
        started.append(child.pid)
        return child

    monkeypatch.setattr(subprocess, "Popen", popen)
    with pytest.raises(Cancelled):
        kernels.betweenness(c, list(pg), cancel, processes=2)
    assert len(started) == 2
    for pid in started:  # reaped: no such process any more
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
