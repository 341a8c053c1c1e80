"""Validation of GEXF files against tests/networks/schemas/gexf-1.3-subset.xsd (see
its header: authored from the GEXF 1.3 specification, as no package ships the
official schema), with lxml."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

SCHEMA = Path(__file__).parent / "schemas" / "gexf-1.3-subset.xsd"


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def assert_valid_gexf(data: bytes) -> None:
    schema = _schema()
    document = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    if not schema.validate(document):
        raise AssertionError(f"GEXF not valid: {schema.error_log}")
