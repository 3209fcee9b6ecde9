"""XML from other people's servers, parsed safely: no DTD, hence no entities, and a size limit.

``defusedxml`` refuses a document with a DTD outright (``forbid_dtd``), so neither internal
entity bombs nor external entities can be expanded; the HTTP client has already refused a body
over its size limit.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from record_catalogue.errors import BadInput

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class XmlProblem(BadInput, ValueError):
    """The body is not XML this harvester can read; the message says why."""


def parse_xml(body: bytes) -> Element:
    """The document's root element; XmlProblem for HTML, broken XML or any DTD."""
    head = body[:500].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise XmlProblem("expected XML, got HTML")
    try:
        root: Element = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise XmlProblem(f"refused XML: {exc.__class__.__name__} (DTDs and entities are not accepted)") from None
    except ParseError as exc:
        raise XmlProblem(f"invalid XML: {exc}") from None
    return root


def text_of(element: Element | None) -> str:
    """An element's text content with whitespace runs collapsed ('' for None)."""
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


def language_of(element: Element, inherited: str | None = None) -> str | None:
    """The element's ``xml:lang`` as a primary language subtag (``fr-CA`` -> ``fr``), or ``inherited``."""
    value = element.get(XML_LANG)
    if not value:
        return inherited
    return value.split("-")[0].split("_")[0].strip().lower() or inherited
