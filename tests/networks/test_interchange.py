"""GraphML, GEXF and CSV: what we write reads back equal, with our readers and with
plain networkx, and carries only what Gephi, i2 and igraph understand."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import date
from enum import StrEnum
from typing import Any

import networkx as nx
import pytest

from gvi.networks.graph import (
    GroupNode,
    build_hierarchy,
    build_signed_graph,
    ego_network,
    person_graph,
)
from gvi.networks.interchange import (
    decode_node,
    edges_csv,
    encode_node,
    from_gexf,
    from_graphml,
    to_gexf,
    to_graphml,
)
from tests.networks.factories import AS_OF, Relations, groups, tie
from tests.networks.gexf_schema import assert_valid_gexf

GEXF_NS = {"g": "http://gexf.net/1.3"}
GRAPHML_NS = {"g": "http://graphml.graphdrawing.org/xmlns"}


def _group_graph() -> nx.Graph:
    rel = Relations()
    rel.add(1, 2, "alliance", intensity=3, confidence="high", valid_from=date(2022, 1, 1))
    rel.add(2, 3, "rivalry", intensity=5)
    rel.add(3, 1, "truce")
    grps = groups(1, 2, 3, 4)
    # Names that trip XML and spreadsheets: Swedish letters, markup, a formula.
    grps[0] = GroupNode(1, "Söderbröderna & Co <Ö>", 1, "Södertälje", "dormant", 12)
    grps[3] = GroupNode(4, '=HYPERLINK("x")', 2, "Malmö")
    return build_signed_graph(grps, rel.rows, AS_OF)


def _person_graph() -> nx.Graph:
    ties = [tie(10, 1, role="leader"), tie(10, 2), tie(11, 2)]
    return person_graph(groups(1, 2, 3), ties, AS_OF)


def _hierarchy() -> nx.DiGraph:
    rel = Relations()
    rel.add(5, 1, "splinter_of")
    rel.add(6, 5, "subgroup_of", intensity=2)
    return build_hierarchy(groups(1, 5, 6), rel.rows, AS_OF)


def _assert_same(a: nx.Graph, b: nx.Graph) -> None:
    """Equal nodes, edges, attributes — and attribute types (1 == 1.0 in Python)."""
    assert a.is_directed() == b.is_directed()
    assert nx.utils.graphs_equal(a, b)
    for node, attrs in a.nodes(data=True):
        assert {k: type(v) for k, v in attrs.items()} == {
            k: type(v) for k, v in b.nodes[node].items()
        }
    for u, v, attrs in a.edges(data=True):
        assert {k: type(x) for k, x in attrs.items()} == {
            k: type(x) for k, x in b.edges[u, v].items()
        }


GRAPHS = {"groups": _group_graph, "people": _person_graph, "hierarchy": _hierarchy}


@pytest.mark.parametrize("name", GRAPHS)
def test_graphml_round_trip(name: str) -> None:
    g = GRAPHS[name]()
    _assert_same(g, from_graphml(to_graphml(g)))


@pytest.mark.parametrize("name", GRAPHS)
def test_gexf_round_trip(name: str) -> None:
    g = GRAPHS[name]()
    _assert_same(g, from_gexf(to_gexf(g)))


def test_ego_subgraph_round_trips() -> None:
    ego = ego_network(_group_graph(), 2, radius=1)
    _assert_same(ego, from_graphml(to_graphml(ego)))
    _assert_same(ego, from_gexf(to_gexf(ego)))


def _without(attrs: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in attrs.items() if k not in names}


def test_plain_networkx_reads_our_graphml() -> None:
    g = _group_graph()
    read = nx.read_graphml(io.BytesIO(to_graphml(g)), node_type=int)
    assert sorted(read.nodes) == sorted(g.nodes)
    for node, attrs in g.nodes(data=True):
        # The id is the node's own id in the file, not an attribute.
        assert read.nodes[node] == _without(attrs, "id")
    assert {frozenset(e) for e in read.edges} == {frozenset(e) for e in g.edges}
    for u, v, attrs in g.edges(data=True):
        assert read.edges[u, v] == attrs


def test_our_gexf_is_valid_gexf_1_3_and_reads_back() -> None:
    g = _group_graph()
    data = to_gexf(g)
    assert_valid_gexf(data)
    read = from_gexf(data)
    assert sorted(read.nodes) == sorted(g.nodes)
    for node, attrs in g.nodes(data=True):
        assert read.nodes[node] == attrs
    for u, v, attrs in g.edges(data=True):
        assert read.edges[u, v] == attrs


def test_gexf_node_label_is_the_group_name() -> None:
    root = ET.fromstring(to_gexf(_group_graph()))  # noqa: S314 -- our own output
    labels = {n.get("id"): n.get("label") for n in root.iterfind(".//g:node", GEXF_NS)}
    assert labels["1"] == "Söderbröderna & Co <Ö>"
    assert labels["2"] == "Grupp 2"
    # And the reserved "id" is not declared again as an attribute.
    titles = {a.get("title") for a in root.iterfind(".//g:attribute", GEXF_NS)}
    assert "id" not in titles
    assert {"name", "municipality", "members", "sign", "kind"} <= titles


def test_graphml_declares_label_and_plain_types() -> None:
    root = ET.fromstring(to_graphml(_group_graph()))  # noqa: S314 -- our own output
    keys = {
        (k.get("for"), k.get("attr.name")): k.get("attr.type")
        for k in root.iterfind("g:key", GRAPHML_NS)
    }
    assert keys[("node", "label")] == "string"
    assert keys[("node", "members")] in {"int", "long"}
    assert keys[("edge", "sign")] in {"int", "long"}
    assert ("node", "id") not in keys
    assert set(keys.values()) <= {"string", "int", "long", "double", "float", "boolean"}


def test_person_graph_node_ids_in_files() -> None:
    data = to_graphml(_person_graph())
    read = nx.read_graphml(io.BytesIO(data))
    assert sorted(read.nodes) == ["g:1", "g:2", "g:3", "p:10", "p:11"]
    assert read.nodes["p:10"] == {"kind": "person", "label": "P-0010"}
    assert encode_node(("p", 10)) == "p:10"
    assert decode_node("p:10") == ("p", 10)
    assert decode_node("12") == 12


class Colour(StrEnum):
    red = "red"


def test_dates_enums_and_none_become_portable() -> None:
    g = nx.Graph()
    g.add_node(1, label="A", seen=date(2024, 5, 1), colour=Colour.red, gone=None, ok=True)
    g.add_node(2, label="B", score=0.5)
    g.add_edge(1, 2, since=date(2023, 1, 2), until=None)
    for back in (from_graphml(to_graphml(g)), from_gexf(to_gexf(g))):
        assert back.nodes[1] == {
            "id": 1,
            "label": "A",
            "seen": "2024-05-01",
            "colour": "red",
            "ok": True,
        }
        assert type(back.nodes[1]["colour"]) is str
        assert back.nodes[2]["score"] == 0.5
        assert back.edges[1, 2] == {"since": "2023-01-02"}


def test_unportable_values_and_nodes_are_refused() -> None:
    g = nx.Graph()
    g.add_node(1, pos=(0.0, 1.0))
    with pytest.raises(TypeError, match="pos"):
        to_graphml(g)
    h = nx.Graph()
    h.add_node("twelve")
    with pytest.raises(TypeError, match="twelve"):
        to_gexf(h)


def test_nodes_without_a_label_get_one() -> None:
    g = nx.Graph()
    g.add_node(7, name="Grupp 7")
    g.add_node(8)
    read = nx.read_graphml(io.BytesIO(to_graphml(g)), node_type=int)
    assert read.nodes[7]["label"] == "Grupp 7"
    assert read.nodes[8]["label"] == "8"


def test_edges_csv_parses_with_the_csv_module() -> None:
    g = _group_graph()
    rows = list(csv.DictReader(io.StringIO(edges_csv(g))))
    undated = {"valid_from": "", "valid_to": "", "directed": "false"}
    assert rows == [
        {
            "source": "1",
            "target": "2",
            "kind": "alliance",
            "sign": "1",
            "intensity": "3",
            "relation_id": "1",
            **undated,
        },
        {
            "source": "1",
            "target": "3",
            "kind": "truce",
            "sign": "0",
            "intensity": "1",
            "relation_id": "3",
            **undated,
        },
        {
            "source": "2",
            "target": "3",
            "kind": "rivalry",
            "sign": "-1",
            "intensity": "5",
            "relation_id": "2",
            **undated,
        },
    ]


def test_edges_csv_with_labels_defuses_formulas() -> None:
    g = _group_graph()
    g.add_edge(4, 2, sign=-1, kind="rivalry", intensity=2, relation_id=9, confidence="low")
    rows = list(csv.reader(io.StringIO(edges_csv(g, labels=True))))
    assert rows[0] == [
        "source",
        "target",
        "kind",
        "sign",
        "intensity",
        "relation_id",
        "valid_from",
        "valid_to",
        "directed",
        "source_label",
        "target_label",
    ]
    assert rows[4][:2] == ["2", "4"]
    assert rows[4][9:] == ["Grupp 2", '\'=HYPERLINK("x")']
    assert rows[1][9] == "Söderbröderna & Co <Ö>"


def test_edges_csv_of_the_hierarchy_keeps_direction() -> None:
    rows = list(csv.DictReader(io.StringIO(edges_csv(_hierarchy()))))
    assert [(r["source"], r["target"], r["kind"], r["sign"], r["directed"]) for r in rows] == [
        ("5", "1", "splinter_of", "", "true"),
        ("6", "5", "subgroup_of", "", "true"),
    ]
