"""The XML form of Open311 answers (the specification's reference form; JSON maps it). Pure:
builds text from plain values (mappings, lists, strings, numbers, booleans, date-times).

A list inside an element repeats a child element whose name is the singular of the list's
name (``attributes`` → ``attribute``, ``values`` → ``value``, ``endpoints`` → ``endpoint``,
``formats`` → ``format``), as the specification's examples do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final
from xml.etree.ElementTree import Element, SubElement, tostring

CHILD_NAMES: Final = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _fill(element: Element, value: object) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _fill(SubElement(element, str(key)), inner)
    elif isinstance(value, list | tuple):
        child = CHILD_NAMES.get(element.tag, element.tag.removesuffix("s"))
        for inner in value:
            _fill(SubElement(element, child), inner)
    else:
        element.text = _text(value)


def _document(root: Element) -> bytes:
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(root, encoding="unicode").encode()


def render_list(root: str, item: str, rows: Sequence[Mapping[str, object]]) -> bytes:
    """``<root><item>…</item>…</root>`` (services, service_requests, errors, …)."""
    element = Element(root)
    for row in rows:
        _fill(SubElement(element, item), row)
    return _document(element)


def render_object(root: str, value: Mapping[str, object]) -> bytes:
    """``<root>…</root>`` for one object (discovery, service_definition)."""
    element = Element(root)
    _fill(element, value)
    return _document(element)
