"""Validating OAI-PMH responses with lxml against the protocol's own XML schemas (``data/xsd``),
metadata included (``OAI-PMH.xsd`` processes it strictly): no network, no entities."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lxml import etree

XSD_DIR = Path(__file__).resolve().parent / "data" / "xsd"
NATIVE_XSD = Path(__file__).resolve().parents[2] / "search_api" / "static" / "chm-record-1.0.xsd"
IMPORTS = {
    "http://www.openarchives.org/OAI/2.0/": XSD_DIR / "OAI-PMH.xsd",
    "http://www.openarchives.org/OAI/2.0/oai_dc/": XSD_DIR / "oai_dc.xsd",
    "urn:x-chm-search:record:1.0": NATIVE_XSD,
}


class _Local(etree.Resolver):  # type: ignore[misc]
    """The schemas' imports by URL (``http://dublincore.org/.../simpledc20021212.xsd``) from here."""

    def resolve(self, url: str, _pubid: str | None, context: object) -> object:
        if url.startswith("file:"):
            return None  # one of ours: lxml reads it
        local = XSD_DIR / url.rsplit("/", 1)[-1]
        if url.endswith(".xsd") and local.exists():
            return self.resolve_filename(str(local), context)
        raise AssertionError(f"a schema imports {url}, which tests/publish/data/xsd does not hold")


def _parser() -> etree.XMLParser:
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(_Local())
    return parser


@lru_cache(maxsize=1)
def oai_schema() -> etree.XMLSchema:
    """One schema for the OAI-PMH envelope and both metadata formats."""
    imports = "".join(f'<xs:import namespace="{ns}" schemaLocation="{path.as_uri()}"/>' for ns, path in IMPORTS.items())
    wrapper = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
    document = etree.fromstring(wrapper.encode(), _parser(), base_url=XSD_DIR.as_uri() + "/")
    return etree.XMLSchema(etree.ElementTree(document))


def validate(xml: bytes) -> etree._Element:
    """The parsed response; AssertionError naming every schema violation if it is not valid."""
    root = etree.fromstring(xml, etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False))
    schema = oai_schema()
    if not schema.validate(root):
        problems = "; ".join(f"line {e.line}: {e.message}" for e in schema.error_log)
        raise AssertionError(f"not valid OAI-PMH: {problems}\n{xml[:2000].decode(errors='replace')}")
    return root
