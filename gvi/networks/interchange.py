"""GraphML, GEXF and CSV edge lists of the group and person graphs, for Gephi, i2 and
igraph, and reading our own GraphML/GEXF back.

Pure: networkx and the standard library only. Files carry only what every reader
understands — string, integer, float and boolean attributes (dates as ISO strings,
``None`` left out) and a ``label`` on every node — and a file read back with
:func:`from_graphml` / :func:`from_gexf` gives a graph equal to the one written.

Node ids in files: a group ``12`` is ``"12"``; a person-graph node ``("p", 7)`` is
``"p:7"``. The group's ``id`` attribute is not written (the node id says it, and
Gephi and igraph reserve ``id``); reading restores it. The readers are for files
this module wrote (tests, re-imports of our own exports), not for arbitrary uploads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

import networkx as nx

from gvi.core.text import strip_for_xml
from gvi.networks.graph import SIGN

EDGE_COLUMNS = ("source", "target", "kind", "sign", "intensity", "relation_id")
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


def _for_export(g: nx.Graph) -> nx.Graph:
    if g.is_multigraph():
        raise TypeError("multigraphs are not exported: group graphs hold one edge per pair")
    out = nx.DiGraph() if g.is_directed() else nx.Graph()
    out.graph.update(_portable_attrs(g.graph, "graph"))
    for node, attrs in g.nodes(data=True):
        key = encode_node(node)
        data = _portable_attrs(attrs, f"node {key}")
        if data.get("id") == node:
            del data["id"]
        data.setdefault("label", strip_for_xml(str(attrs.get("name", key))))
        out.add_node(key, **data)
    for a, b, attrs in g.edges(data=True):
        ka, kb = encode_node(a), encode_node(b)
        out.add_edge(ka, kb, **_portable_attrs(attrs, f"edge {ka}–{kb}"))
    return out


def _from_file(
    read: nx.Graph, *, reader_extras: tuple[str, ...], edge_extras: tuple[str, ...]
) -> nx.Graph:
    g = nx.DiGraph() if read.is_directed() else nx.Graph()
    g.graph.update((name, value) for name, value in read.graph.items() if name not in reader_extras)
    for text, attrs in read.nodes(data=True):
        node = decode_node(text)
        data = dict(attrs)
        if isinstance(node, int):
            data["id"] = node
        g.add_node(node, **data)
    for a, b, attrs in read.edges(data=True):
        data = {name: value for name, value in attrs.items() if name not in edge_extras}
        g.add_edge(decode_node(a), decode_node(b), **data)
    return g


def to_graphml(g: nx.Graph) -> bytes:
    buffer = io.BytesIO()
    nx.write_graphml(_for_export(g), buffer, encoding="utf-8", prettyprint=True)
    return buffer.getvalue()


def from_graphml(data: bytes) -> nx.Graph:
    read = nx.read_graphml(io.BytesIO(data), node_type=str)
    # The reader adds empty default-attribute dicts that no writer here sets.
    return _from_file(read, reader_extras=("node_default", "edge_default"), edge_extras=())


def to_gexf(g: nx.Graph) -> bytes:
    buffer = io.BytesIO()
    nx.write_gexf(_for_export(g), buffer, encoding="utf-8", prettyprint=True, version="1.2draft")
    return buffer.getvalue()


def from_gexf(data: bytes) -> nx.Graph:
    read = nx.read_gexf(io.BytesIO(data), node_type=None, version="1.2draft")
    # GEXF requires edge ids and a graph mode; the reader hands both back as data.
    return _from_file(
        read,
        reader_extras=("mode", "node_default", "edge_default"),
        edge_extras=("id",),
    )


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def edges_csv(g: nx.Graph, *, labels: bool = False) -> str:
    """One row per edge: ``source,target,kind,sign,intensity,relation_id`` (node ids as
    in :func:`encode_node`; an undirected edge low id first), sorted; with
    ``labels=True`` also ``source_label,target_label`` for i2, guarded against
    spreadsheet formulas."""
    rows: list[tuple[Any, Any, Mapping[str, Any]]] = []
    for a, b, attrs in g.edges(data=True):
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
        ]
        if labels:
            line += [_cell(strip_for_xml(str(g.nodes[n].get("label", "")))) for n in (a, b)]
        writer.writerow(line)
    return buffer.getvalue()
