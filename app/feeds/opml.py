"""OPML 2.0 subscription lists: parse (safely, all or nothing) into `Outline` trees and write them back.

Hearth source kinds travel in a `hearth:kind` attribute so an export re-imports losslessly; other
readers simply see ordinary feed outlines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime

from lxml import etree

from app.errors import OPMLError
from app.models import FEED_KIND, Outline

HEARTH_NS = "https://hearth.invalid/ns/opml/1.0"
_KIND = f"{{{HEARTH_NS}}}kind"
_HINT = "fix the file (or export it again from your old reader) and import it again; nothing was imported"
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LOCATION = re.compile(r",? line \d+, column \d+$")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=False,
    )


def parse_opml(data: bytes) -> list[Outline]:
    """The outline tree of an OPML file; duplicate feed URLs keep their first occurrence.

    Raises OPMLError (with `.line`) for malformed XML, entity declarations, or a file that is not OPML.
    """
    return parse_opml_counted(data)[0]


def parse_opml_counted(data: bytes) -> tuple[list[Outline], int]:
    """`parse_opml` plus how many duplicate feed outlines were merged away."""
    if not data or not data.strip():
        raise OPMLError("line 1: the file is empty, not OPML", line=1, hint=_HINT)
    match = _ENTITY_DECL.search(data)
    if match:
        line = data.count(b"\n", 0, match.start()) + 1
        raise OPMLError(f"line {line}: entity declarations are not allowed in OPML", line=line, hint=_HINT)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno
        raw = exc.msg or "malformed XML"
        message = "mismatched tag" if "tag mismatch" in raw.lower() else _LOCATION.sub("", raw).strip()
        raise OPMLError(f"line {line}: {message}", line=line, hint=_HINT) from exc
    if not isinstance(root.tag, str) or etree.QName(root).localname.lower() != "opml":
        raise OPMLError(
            f"line {root.sourceline}: the root element is not <opml>", line=root.sourceline, hint=_HINT
        )
    body = next(
        (c for c in root if isinstance(c.tag, str) and etree.QName(c).localname.lower() == "body"), None
    )
    if body is None:
        raise OPMLError(f"line {root.sourceline}: the file has no <body>", line=root.sourceline, hint=_HINT)
    seen: dict[str, int] = {}
    outlines = _children(body, seen)
    return outlines, sum(seen.values())


def _children(parent: etree._Element, seen: dict[str, int]) -> list[Outline]:
    out: list[Outline] = []
    for node in parent:
        if not isinstance(node.tag, str) or etree.QName(node).localname.lower() != "outline":
            continue
        outline = _outline(node, seen)
        if outline is not None:
            out.append(outline)
    return out


def _outline(node: etree._Element, seen: dict[str, int]) -> Outline | None:
    attrs = {
        etree.QName(k).localname.lower() if not k.startswith("{") else k: v for k, v in node.attrib.items()
    }
    title = (attrs.get("title") or attrs.get("text") or "").strip()
    url = (attrs.get("xmlurl") or "").strip()
    if url:
        kind = attrs.get(_KIND) or FEED_KIND
        key = f"{kind}\n{url}"
        if key in seen:
            seen[key] += 1
            return None
        seen[key] = 0
        return Outline(
            title=title or url, url=url, site_url=(attrs.get("htmlurl") or "").strip() or None, kind=kind
        )
    children = _children(node, seen)
    if not children and not len(node):
        return None if not title else Outline(title=title)  # an empty folder is still a folder
    return Outline(title=title or "Untitled folder", children=tuple(children))


def write_opml(outlines: Sequence[Outline], *, title: str = "Hearth subscriptions") -> bytes:
    """OPML 2.0 bytes for an outline tree (folders nest; feeds carry xmlUrl/htmlUrl/type="rss")."""
    root = etree.Element("opml", version="2.0", nsmap={"hearth": HEARTH_NS})
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = _NOT_XML.sub("", title)
    etree.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC), usegmt=True)
    body = etree.SubElement(root, "body")
    for outline in outlines:
        _write(body, outline)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _write(parent: etree._Element, outline: Outline) -> None:
    node = etree.SubElement(parent, "outline")
    title = _NOT_XML.sub("", outline.title)
    node.set("text", title)
    node.set("title", title)
    if outline.url is None:
        for child in outline.children:
            _write(node, child)
        return
    node.set("type", "rss")
    node.set("xmlUrl", _NOT_XML.sub("", outline.url))
    if outline.site_url:
        node.set("htmlUrl", _NOT_XML.sub("", outline.site_url))
    if outline.kind != FEED_KIND:
        node.set(_KIND, outline.kind)
