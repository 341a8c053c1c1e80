"""The network export (issue 19): validity on every relation and node, splinter-of
and subgroup-of as directed edges, GEXF 1.3 in dynamic mode with start/end for
Gephi's timeline (valid against the schema), GraphML that igraph and networkx open,
and a node list beside the edge list."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import igraph as ig
import networkx as nx

from gvi.networks.graph import build_export_graph
from gvi.networks.interchange import (
    edges_csv,
    from_gexf,
    from_graphml,
    nodes_csv,
    to_gexf,
    to_graphml,
)
from tests.networks.factories import AS_OF, Relations, groups
from tests.networks.gexf_schema import assert_valid_gexf

NS = {"g": "http://gexf.net/1.3"}
D = date


def _relations() -> Relations:
    rel = Relations()
    rel.add(1, 2, "alliance", valid_from=D(2022, 1, 1))  # 1
    rel.add(3, 2, "rivalry", intensity=4, valid_from=D(2023, 3, 1), valid_to=D(2025, 1, 1))  # 2
    rel.add(3, 1, "splinter_of", valid_from=D(2021, 5, 1))  # 3
    rel.add(1, 3, "rivalry", valid_from=D(2022, 6, 1))  # 4: same pair as the splinter
    rel.add(4, 1, "subgroup_of", valid_from=D(2019, 1, 1), valid_to=D(2020, 1, 1))  # 5: ended
    rel.add(1, 2, "rivalry", valid_from=D(2020, 1, 1), valid_to=D(2021, 1, 1))  # 6: ended
    return rel


def _export(*, history: bool = False) -> nx.MultiDiGraph:
    return build_export_graph(groups(1, 2, 3, 4, 5), _relations().rows, AS_OF, history=history)


def test_the_export_holds_todays_relations_with_direction_and_validity() -> None:
    g = _export()
    assert sorted(g.nodes) == [1, 2, 3, 4, 5]
    edges = {(a, b, k): d for a, b, k, d in g.edges(keys=True, data=True)}
    assert sorted(edges) == [(1, 2, 1), (1, 3, 4), (2, 3, 2), (3, 1, 3)]
    assert edges[2, 3, 2] == {
        "kind": "rivalry",
        "sign": -1,
        "intensity": 4,
        "relation_id": 2,
        "confidence": "medium",
        "valid_from": D(2023, 3, 1),
        "valid_to": D(2025, 1, 1),
        "directed": False,
    }
    splinter = edges[3, 1, 3]
    assert (splinter["kind"], splinter["directed"], "sign" in splinter) == (
        "splinter_of",
        True,
        False,
    )
    # A node's validity spans its edges in the file; open where one of them is.
    assert (g.nodes[3]["valid_from"], g.nodes[3]["valid_to"]) == (D(2021, 5, 1), None)
    assert (g.nodes[5]["valid_from"], g.nodes[5]["valid_to"]) == (None, None)
    assert g.nodes[1]["label"] == "Grupp 1"


def test_the_history_export_holds_every_claim() -> None:
    g = _export(history=True)
    assert sorted(k for *_, k in g.edges(keys=True)) == [1, 2, 3, 4, 5, 6]
    assert (g.nodes[4]["valid_from"], g.nodes[4]["valid_to"]) == (D(2019, 1, 1), D(2020, 1, 1))
    assert g.has_edge(4, 1, key=5)


def test_gexf_is_dynamic_1_3_with_closed_spells_and_a_mixed_graph() -> None:
    data = to_gexf(_export(history=True))
    assert_valid_gexf(data)
    root = ET.fromstring(data)  # noqa: S314 -- our own output
    assert root.get("version") == "1.3"
    graph_el = root.find("g:graph", NS)
    assert graph_el is not None
    assert graph_el.attrib == {
        "mode": "dynamic",
        "timeformat": "date",
        "defaultedgetype": "directed",
    }
    edges = {e.get("id"): e.attrib for e in root.iterfind(".//g:edge", NS)}
    # Half-open validity, closed GEXF intervals: the end is the last day it held.
    assert edges["2"] == {
        "id": "2",
        "source": "2",
        "target": "3",
        "type": "undirected",
        "start": "2023-03-01",
        "end": "2024-12-31",
    }
    assert edges["3"] == {"id": "3", "source": "3", "target": "1", "start": "2021-05-01"}
    nodes = {n.get("id"): n.attrib for n in root.iterfind(".//g:node", NS)}
    assert (nodes["4"]["start"], nodes["4"]["end"]) == ("2019-01-01", "2019-12-31")
    assert "start" not in nodes["5"]
    assert "end" not in nodes["5"]
    titles = {a.get("title") for a in root.iterfind(".//g:attribute", NS)}
    assert {"valid_from", "valid_to", "directed", "kind"} <= titles


def test_gexf_and_graphml_read_back_equal() -> None:
    for g in (_export(), _export(history=True)):
        for back in (from_gexf(to_gexf(g)), from_graphml(to_graphml(g))):
            assert back.is_multigraph()
            assert back.is_directed()
            assert sorted(back.edges(keys=True)) == sorted(g.edges(keys=True))
            assert back.edges[3, 1, 3]["valid_from"] == "2021-05-01"
            assert back.nodes[3]["valid_from"] == "2021-05-01"


def test_igraph_and_networkx_open_the_graphml(tmp_path: Path) -> None:
    path = tmp_path / "natverk.graphml"
    path.write_bytes(to_graphml(_export(history=True)))
    i = ig.Graph.Read_GraphML(str(path))
    assert (i.vcount(), i.ecount(), i.is_directed()) == (5, 6, True)
    by_relation = {e["relation_id"]: e for e in i.es}
    rivalry = by_relation[2]
    assert (rivalry["kind"], rivalry["valid_from"], rivalry["valid_to"]) == (
        "rivalry",
        "2023-03-01",
        "2025-01-01",
    )
    assert rivalry["directed"] is False or rivalry["directed"] == 0
    splinter = by_relation[3]
    assert (i.vs[splinter.source]["id"], i.vs[splinter.target]["id"]) == ("3", "1")
    assert i.vs.find(id="4")["valid_to"] == "2020-01-01"

    n = nx.read_graphml(path, node_type=int)
    assert n.is_directed()
    assert n.number_of_edges() == 6
    assert n.edges[3, 1, 3]["kind"] == "splinter_of"
    assert n.nodes[4]["valid_from"] == "2019-01-01"


def test_node_and_edge_lists_carry_validity() -> None:
    g = _export()
    nodes = list(csv.DictReader(io.StringIO(nodes_csv(g))))
    assert [r["id"] for r in nodes] == ["1", "2", "3", "4", "5"]
    assert nodes[2] == {
        "id": "3",
        "label": "Grupp 3",
        "name": "Grupp 3",
        "municipality_id": "1",
        "municipality": "Järfälla",
        "status": "active",
        "members": "6",
        "valid_from": "2021-05-01",
        "valid_to": "",
    }
    edges = list(csv.DictReader(io.StringIO(edges_csv(g, labels=True))))
    assert [(r["source"], r["target"], r["kind"], r["directed"]) for r in edges] == [
        ("1", "2", "alliance", "false"),
        ("1", "3", "rivalry", "false"),
        ("2", "3", "rivalry", "false"),
        ("3", "1", "splinter_of", "true"),
    ]
    assert (edges[2]["valid_from"], edges[2]["valid_to"]) == ("2023-03-01", "2025-01-01")


def test_node_list_defuses_formulas() -> None:
    g = nx.Graph()
    g.add_node(1, label='=HYPERLINK("x")', members=3, ok=True)
    rows = list(csv.reader(io.StringIO(nodes_csv(g))))
    assert rows == [["id", "label", "members", "ok"], ["1", '\'=HYPERLINK("x")', "3", "true"]]
