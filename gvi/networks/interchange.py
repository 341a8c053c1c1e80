"""GraphML, GEXF 1.3 and CSV edge and node lists of the group and person graphs, for
Gephi, i2 and igraph, and reading our own GraphML/GEXF back.

Pure: networkx and the standard library only. Files carry only what every reader
understands — string, integer, float and boolean attributes (dates as ISO strings,
``None`` left out) and a ``label`` on every node — and a file read back with
:func:`from_graphml` / :func:`from_gexf` gives a graph equal to the one written
(multigraphs included: their edge keys are the edge ids).

GEXF is written as 1.3 in dynamic mode (``timeformat="date"``): a node or edge with
``valid_from``/``valid_to`` gets ``start``/``end`` for Gephi's timeline. GEXF
intervals are closed, ours half-open, so ``end`` is the last day the claim held
(``valid_to`` − 1 day); the exact ``valid_from``/``valid_to`` are attributes too.
In a directed graph an edge whose ``directed`` attribute is false (an alliance,
say, beside splinter-of edges) is ``type="undirected"``: Gephi shows a mixed graph.

Node ids in files: a group ``12`` is ``"12"``; a person-graph node ``("p", 7)`` is
``"p:7"``. The group's ``id`` attribute is not written (the node id says it, and
Gephi and igraph reserve ``id``); reading restores it. The readers are for files
this module wrote (tests, re-imports of our own exports), not for arbitrary uploads.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

import networkx as nx

from gvi.core.text import strip_for_xml
from gvi.networks.graph import SIGN

EDGE_COLUMNS = (
    "source",
    "target",
    "kind",
    "sign",
    "intensity",
    "relation_id",
    "valid_from",
    "valid_to",
    "directed",
)
GEXF_NS = "http://gexf.net/1.3"
# Spreadsheets run cells that start with these as formulas (CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

Portable = str | int | float | bool
NodeKey = int | tuple[str, int]


def encode_node(node: object) -> str:
    """The id a node has in a file: ``12`` → ``"12"``, ``("p", 7)`` → ``"p:7"``."""
    if isinstance(node, int) and not isinstance(node, bool):
        return str(node)
    if (
        isinstance(node, tuple)
        and len(node) == 2
        and isinstance(node[0], str)
        and ":" not in node[0]
        and isinstance(node[1], int)
    ):
        return f"{node[0]}:{node[1]}"
    raise TypeError(f"node {node!r} is neither a group id nor a (kind, id) pair")


def decode_node(text: str) -> NodeKey:
    kind, colon, number = text.partition(":")
    if colon:
        return (kind, int(number))
    return int(text)


def _portable(value: object, where: str) -> Portable | None:
    # bool before int (bool is an int), and enums to their plain value: the writers
    # look types up exactly and refuse subclasses.
    if value is None:
        return None
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        # Rows written before control characters were refused: XML cannot hold them.
        return strip_for_xml(str(value))
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{where}: {type(value).__name__} cannot go into GraphML or GEXF")


def _portable_attrs(attrs: Mapping[str, Any], where: str) -> dict[str, Portable]:
    out: dict[str, Portable] = {}
    for name, value in attrs.items():
        portable = _portable(value, f"{where} attribute {name!r}")
        if portable is not None:
            out[name] = portable
    return out


def _empty_like(directed: bool, multigraph: bool) -> nx.Graph:
    if multigraph:
        return nx.MultiDiGraph() if directed else nx.MultiGraph()
    return nx.DiGraph() if directed else nx.Graph()


def _for_export(g: nx.Graph) -> nx.Graph:
    out = _empty_like(g.is_directed(), g.is_multigraph())
    out.graph.update(_portable_attrs(g.graph, "graph"))
    for node, attrs in g.nodes(data=True):
        key = encode_node(node)
        data = _portable_attrs(attrs, f"node {key}")
        if data.get("id") == node:
            del data["id"]
        data.setdefault("label", strip_for_xml(str(attrs.get("name", key))))
        out.add_node(key, **data)
    for a, b, key, attrs in _keyed_edges(g):
        ka, kb = encode_node(a), encode_node(b)
        data = _portable_attrs(attrs, f"edge {ka}–{kb}")
        if g.is_multigraph():
            out.add_edge(ka, kb, key=str(key), **data)
        else:
            out.add_edge(ka, kb, **data)
    return out


def _keyed_edges(g: nx.Graph) -> Iterable[tuple[Any, Any, Any, Mapping[str, Any]]]:
    """``(u, v, key, data)``; ``key`` is ``None`` in a graph that is not a multigraph."""
    if g.is_multigraph():
        yield from g.edges(keys=True, data=True)
    else:
        for a, b, attrs in g.edges(data=True):
            yield a, b, None, attrs


def _decode_key(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _from_file(
    read: nx.Graph,
    *,
    reader_extras: tuple[str, ...],
    edge_extras: tuple[str, ...],
    multigraph: bool | None = None,
) -> nx.Graph:
    keyed = read.is_multigraph() if multigraph is None else multigraph
    g = _empty_like(read.is_directed(), keyed)
    g.graph.update((name, value) for name, value in read.graph.items() if name not in reader_extras)
    for text, attrs in read.nodes(data=True):
        node = decode_node(text)
        data = dict(attrs)
        if isinstance(node, int):
            data["id"] = node
        g.add_node(node, **data)
    for a, b, key, attrs in _keyed_edges(read):
        data = {name: value for name, value in attrs.items() if name not in edge_extras}
        if keyed:
            found = attrs.get("id", key)
            g.add_edge(decode_node(a), decode_node(b), key=_decode_key(str(found)), **data)
        else:
            g.add_edge(decode_node(a), decode_node(b), **data)
    return g


def to_graphml(g: nx.Graph) -> bytes:
    buffer = io.BytesIO()
    nx.write_graphml(_for_export(g), buffer, encoding="utf-8", prettyprint=True)
    return buffer.getvalue()


def from_graphml(data: bytes) -> nx.Graph:
    read = nx.read_graphml(io.BytesIO(data), node_type=str)
    # The reader adds empty default-attribute dicts that no writer here sets. Only a
    # multigraph's edges have ids in our files; networkx hands a multigraph without
    # parallel edges back as a simple graph with an ``id`` on each edge.
    keyed = read.is_multigraph() or any("id" in d for _, _, d in read.edges(data=True))
    return _from_file(
        read,
        reader_extras=("node_default", "edge_default"),
        edge_extras=("id",),
        multigraph=keyed,
    )


_GEXF_TYPES: dict[type, str] = {bool: "boolean", int: "long", float: "double", str: "string"}
_FROM_GEXF: dict[str, Any] = {
    "boolean": lambda text: text == "true",
    "long": int,
    "integer": int,
    "double": float,
    "float": float,
    "string": str,
}
_SIMPLE_EDGE_ID = re.compile(r"e[0-9]+")


def _q(tag: str) -> str:
    return f"{{{GEXF_NS}}}{tag}"


def _gexf_text(value: Portable) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _declare(
    parent: ET.Element, cls: str, rows: Iterable[Mapping[str, Portable]]
) -> dict[str, str]:
    """An ``<attributes>`` block for every name in ``rows`` but ``label``; name → id."""
    types: dict[str, str] = {}
    for row in rows:
        for name, value in row.items():
            if name == "label":
                continue
            kind = _GEXF_TYPES[type(value)]
            if types.setdefault(name, kind) != kind:
                raise TypeError(f"{cls} attribute {name!r} is both {types[name]} and {kind}")
    block = ET.SubElement(parent, "attributes", {"class": cls, "mode": "static"})
    ids: dict[str, str] = {}
    for number, (name, kind) in enumerate(types.items()):
        ids[name] = str(number)
        ET.SubElement(block, "attribute", {"id": str(number), "title": name, "type": kind})
    return ids


def _spell(attrs: Mapping[str, Portable]) -> dict[str, str]:
    """``start``/``end`` (closed, in days) from half-open ``valid_from``/``valid_to``."""
    out: dict[str, str] = {}
    start, end = attrs.get("valid_from"), attrs.get("valid_to")
    try:
        if isinstance(start, str):
            out["start"] = date.fromisoformat(start).isoformat()
        if isinstance(end, str):
            out["end"] = (date.fromisoformat(end) - timedelta(days=1)).isoformat()
    except ValueError:
        return {}
    return out


def _attvalues(element: ET.Element, attrs: Mapping[str, Portable], ids: dict[str, str]) -> None:
    values = [(ids[name], value) for name, value in attrs.items() if name != "label"]
    if values:
        block = ET.SubElement(element, "attvalues")
        for key, value in values:
            ET.SubElement(block, "attvalue", {"for": key, "value": _gexf_text(value)})


def to_gexf(g: nx.Graph) -> bytes:
    """GEXF 1.3, dynamic mode, dates as ``YYYY-MM-DD``; see the module docstring."""
    out = _for_export(g)
    root = ET.Element("gexf", {"xmlns": GEXF_NS, "version": "1.3"})
    meta = ET.SubElement(root, "meta")
    ET.SubElement(meta, "creator").text = "GVI"
    graph_el = ET.SubElement(
        root,
        "graph",
        {
            "mode": "dynamic",
            "timeformat": "date",
            "defaultedgetype": "directed" if out.is_directed() else "undirected",
        },
    )
    node_ids = _declare(graph_el, "node", (attrs for _, attrs in out.nodes(data=True)))
    edge_ids = _declare(graph_el, "edge", (attrs for *_, attrs in out.edges(data=True)))
    nodes = ET.SubElement(graph_el, "nodes", {"count": str(out.number_of_nodes())})
    for key, attrs in out.nodes(data=True):
        node = ET.SubElement(
            nodes, "node", {"id": key, "label": str(attrs["label"]), **_spell(attrs)}
        )
        _attvalues(node, attrs, node_ids)
    edges = ET.SubElement(graph_el, "edges", {"count": str(out.number_of_edges())})
    for number, (a, b, key, attrs) in enumerate(_keyed_edges(out)):
        head = {"id": f"e{number}" if key is None else str(key), "source": a, "target": b}
        if out.is_directed() and attrs.get("directed") is False:
            head["type"] = "undirected"
        edge = ET.SubElement(edges, "edge", {**head, **_spell(attrs)})
        _attvalues(edge, attrs, edge_ids)
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def _read_values(element: ET.Element, declared: dict[str, tuple[str, str]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for attvalue in element.iterfind(f"{_q('attvalues')}/{_q('attvalue')}"):
        title, kind = declared[attvalue.attrib["for"]]
        values[title] = _FROM_GEXF[kind](attvalue.attrib["value"])
    return values


def from_gexf(data: bytes) -> nx.Graph:
    """A GEXF 1.3 file of :func:`to_gexf`'s back as the graph written: a multigraph
    when its edge ids are keys (not ``e0``, ``e1``, …)."""
    root = ET.fromstring(data)  # noqa: S314 - files this module wrote, see the module docstring
    graph_el = root.find(_q("graph"))
    if graph_el is None:
        raise ValueError("not a GEXF 1.3 file")
    declared: dict[str, dict[str, tuple[str, str]]] = {"node": {}, "edge": {}}
    for block in graph_el.iterfind(_q("attributes")):
        for attribute in block.iterfind(_q("attribute")):
            declared[block.attrib["class"]][attribute.attrib["id"]] = (
                attribute.attrib["title"],
                attribute.attrib["type"],
            )
    edges = list(graph_el.iterfind(f"{_q('edges')}/{_q('edge')}"))
    keyed = any(not _SIMPLE_EDGE_ID.fullmatch(e.attrib["id"]) for e in edges)
    g = _empty_like(graph_el.get("defaultedgetype") == "directed", keyed)
    for node in graph_el.iterfind(f"{_q('nodes')}/{_q('node')}"):
        key = decode_node(node.attrib["id"])
        attrs = {"label": node.attrib["label"], **_read_values(node, declared["node"])}
        if isinstance(key, int):
            attrs["id"] = key
        g.add_node(key, **attrs)
    for edge in edges:
        a, b = decode_node(edge.attrib["source"]), decode_node(edge.attrib["target"])
        attrs = _read_values(edge, declared["edge"])
        if keyed:
            g.add_edge(a, b, key=_decode_key(edge.attrib["id"]), **attrs)
        else:
            g.add_edge(a, b, **attrs)
    return g


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def edges_csv(g: nx.Graph, *, labels: bool = False) -> str:
    """One row per edge: :data:`EDGE_COLUMNS` (node ids as in :func:`encode_node`; an
    undirected edge low id first; ``directed`` ``true``/``false``, from the edge's
    ``directed`` attribute or else the graph's), sorted; with ``labels=True`` also
    ``source_label,target_label`` for i2, guarded against spreadsheet formulas."""
    rows: list[tuple[Any, Any, Mapping[str, Any]]] = []
    for a, b, _, attrs in _keyed_edges(g):
        if not g.is_directed() and b < a:
            a, b = b, a
        rows.append((a, b, attrs))
    rows.sort(key=lambda row: (row[0], row[1]))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = list(EDGE_COLUMNS)
    if labels:
        header += ["source_label", "target_label"]
    writer.writerow(header)
    for a, b, attrs in rows:
        kind = attrs.get("kind", "")
        sign = attrs.get("sign", SIGN.get(kind, ""))
        line = [
            encode_node(a),
            encode_node(b),
            kind,
            sign,
            attrs.get("intensity", ""),
            attrs.get("relation_id", ""),
            *(_csv_value(attrs.get(name)) for name in ("valid_from", "valid_to")),
            _csv_value(attrs.get("directed", g.is_directed())),
        ]
        if labels:
            line += [_cell(strip_for_xml(str(g.nodes[n].get("label", "")))) for n in (a, b)]
        writer.writerow(line)
    return buffer.getvalue()


def nodes_csv(g: nx.Graph) -> str:
    """One row per node, sorted: ``id`` (as in :func:`encode_node`), ``label``, then
    every other attribute in the order first seen (the node's own ``id`` attribute
    is the ``id`` column); text guarded against spreadsheet formulas."""
    columns: dict[str, None] = {}
    for _, attrs in g.nodes(data=True):
        columns.update(dict.fromkeys(name for name in attrs if name not in ("id", "label")))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "label", *columns])
    for node in sorted(g.nodes):
        attrs = g.nodes[node]
        cells = [attrs.get("label", attrs.get("name", encode_node(node)))]
        cells += [attrs.get(name) for name in columns]
        writer.writerow(
            [
                encode_node(node),
                *(_cell(strip_for_xml(v)) if isinstance(v, str) else _csv_value(v) for v in cells),
            ]
        )
    return buffer.getvalue()
