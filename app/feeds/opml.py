"""OPML 2.0 subscription lists: read (strictly, else leniently, never expanding entities) into `Outline` trees
with a report of what was skipped, and write them back.

Hearth source kinds travel in a `hearth:kind` attribute so an export re-imports losslessly; other
readers simply see ordinary feed outlines.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

from lxml import etree

from app.errors import OPMLError
from app.feeds.opml_repair import as_utf8, decode_markup, repair_markup
from app.i18n import lazy_gettext
from app.models import FeedKind, Outline
from app.urls import COMMAND_PREFIXES, FILTER_PREFIX, runs_command, unprefixed

log = logging.getLogger(__name__)

HEARTH_NS = "https://hearth.invalid/ns/opml/1.0"
_KIND = f"{{{HEARTH_NS}}}kind"
_HINT = lazy_gettext(
    "fix the file (or export it again from your old reader) and import it again; nothing was imported"
)
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LOCATION = re.compile(r",? line \d+, column \d+$")
_WEB_SCHEMES = ("http", "https")
MAX_DEPTH = 64  # folders nested deeper than this are not read (no reader writes them)


@dataclass(frozen=True, slots=True)
class SkippedOutline:
    """An outline the reader did not take, with the reason a user can act on."""

    title: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line else self.reason


@dataclass(frozen=True, slots=True)
class OPMLReport:
    """What one OPML file held: the tree to import and everything that was set aside on the way.

    `outlines` still contains command outlines (kind "script", url "exec:COMMAND"): whether they are
    imported is the caller's decision (see `split_commands`), never the file's.
    """

    outlines: list[Outline]
    duplicates: int = 0
    skipped: tuple[SkippedOutline, ...] = ()
    repaired: str | None = None  # the strict parser's complaint when the file was read leniently

    @property
    def commands(self) -> list[Outline]:
        return split_commands(self.outlines)[1]

    @property
    def feeds_read(self) -> int:
        """Feed outlines taken, counting duplicates merged into their first occurrence."""
        return count_feeds(self.outlines) + self.duplicates


def _parser(*, recover: bool = False) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=recover,
    )


def parse_opml(data: bytes) -> list[Outline]:
    """The outline tree of an OPML file; duplicate feed URLs keep their first occurrence.

    Raises OPMLError (with `.line`) for entity declarations or a file that is not OPML at all.
    """
    return read_opml(data).outlines


def parse_opml_counted(data: bytes) -> tuple[list[Outline], int]:
    """`parse_opml` plus how many duplicate feed outlines were merged away."""
    report = read_opml(data)
    return report.outlines, report.duplicates


def read_opml(data: bytes) -> OPMLReport:
    """Read an OPML file strictly, else leniently (as other readers do), reporting what was skipped.

    Refused with OPMLError: an empty file, entity declarations (never expanded, never fetched), a
    file whose root is not <opml> or that has no <body>, and bytes no lenient reading makes XML of.
    """
    if not data or not data.strip():
        raise OPMLError("line 1: the file is empty, not OPML", line=1, hint=str(_HINT))
    converted = as_utf8(data)
    for text in (data, converted):  # UTF-16/32 would hide "<!ENTITY" from a search of the bytes
        match = _ENTITY_DECL.search(text)
        if match:
            _refuse_entities(text.count(b"\n", 0, match.start()) + 1)
    data = converted
    repaired: str | None = None
    try:
        root = etree.fromstring(data, _parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 1
        repaired = f"line {line}: {_syntax_message(exc)}"
        root = _read_leniently(data, repaired, line)
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):  # whatever encoding slipped past the search
        _refuse_entities(1)
    if _local(root.tag) != "opml":
        line = root.sourceline or 1
        raise OPMLError(f"line {line}: the root element is not <opml>", line=line, hint=str(_HINT))
    body = next((c for c in root if _local(c.tag) == "body"), None)
    if body is None:
        line = root.sourceline or 1
        raise OPMLError(f"line {line}: the file has no <body>", line=line, hint=str(_HINT))
    seen: dict[str, int] = {}
    skipped: list[SkippedOutline] = []
    outlines = _children(body, seen, skipped, 0)
    return OPMLReport(outlines, sum(seen.values()), tuple(skipped), repaired)


_PLAIN = (  # libxml2's words for the faults real files have, in a user's words
    ("tag mismatch", "mismatched tag"),
    ("entityref", "a raw '&' (it should be written &amp;)"),
    ("attributes construct error", "a quote inside an attribute value, or a broken attribute"),
    ("unescaped '<' not allowed in attributes", "a '<' inside an attribute value"),
)


def _refuse_entities(line: int) -> None:
    raise OPMLError(f"line {line}: entity declarations are not allowed in OPML", line=line, hint=str(_HINT))


def _local(tag: object) -> str:
    """An element's lower-cased local name ("" for comments and PIs); a lenient parse may yield names
    lxml's QName would refuse, so no QName here."""
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _syntax_message(exc: Exception) -> str:
    raw = getattr(exc, "msg", None) or str(exc) or "malformed XML"
    lowered = raw.lower()
    plain = next((words for marker, words in _PLAIN if marker in lowered), None)
    return plain or _LOCATION.sub("", raw).strip()


def _read_leniently(data: bytes, complaint: str, line: int) -> etree._Element:
    text = repair_markup(decode_markup(data))
    try:
        root = etree.fromstring(text.encode("utf-8"), _parser(recover=True))
    except (etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:
        raise OPMLError(f"{complaint} (and it cannot be read leniently)", line=line, hint=str(_HINT))
    log.info("OPML read leniently after: %s", complaint)
    return root


def _children(
    parent: etree._Element, seen: dict[str, int], skipped: list[SkippedOutline], depth: int
) -> list[Outline]:
    out: list[Outline] = []
    for node in parent:
        if _local(node.tag) != "outline":
            continue
        outline = _outline(node, seen, skipped, depth)
        if outline is not None:
            out.append(outline)
    return out


def _attributes(node: etree._Element) -> dict[str, str]:
    """Local names lower-cased; Hearth's kind under "kind" whatever prefix (or none) carried it."""
    attrs: dict[str, str] = {}
    for key, value in node.attrib.items():
        if key == _KIND or key.lower() in ("hearth:kind", "kind") or key.lower().endswith("}kind"):
            attrs.setdefault("kind", value)
        elif not key.startswith("{"):
            attrs.setdefault(key.lower(), value)
    return attrs


def _outline(
    node: etree._Element, seen: dict[str, int], skipped: list[SkippedOutline], depth: int
) -> Outline | None:
    attrs = _attributes(node)
    title = (attrs.get("title") or attrs.get("text") or "").strip()
    url = unprefixed(attrs.get("xmlurl") or "")
    line = node.sourceline
    if url:
        kind = (attrs.get("kind") or "").strip() or FeedKind.FEED
        outline, reason = _feed(title, url, (attrs.get("htmlurl") or "").strip() or None, kind)
        if outline is None:
            skipped.append(SkippedOutline(title or url, reason, line))
            return None
        key = f"{outline.kind}\n{outline.url}"
        if key in seen:
            seen[key] += 1
            return None
        seen[key] = 0
        return outline
    if depth >= MAX_DEPTH:
        skipped.append(SkippedOutline(title, f"folder '{title}' is nested over {MAX_DEPTH} deep", line))
        return None
    children = _children(node, seen, skipped, depth + 1)
    if children or len(node):
        return Outline(title=title or "Untitled folder", children=tuple(children))
    if (attrs.get("type") or "").strip().lower() in ("rss", "atom", "feed") or attrs.get("htmlurl"):
        skipped.append(SkippedOutline(title, f"outline '{title or '(untitled)'}' has no xmlUrl", line))
        return None
    return None if not title else Outline(title=title)  # an empty folder is still a folder


def _feed(title: str, url: str, site_url: str | None, kind: str) -> tuple[Outline | None, str]:
    """The feed outline for an xmlUrl, or None and why it is not taken."""
    name = title or url
    lowered = url.lower()
    for prefix in COMMAND_PREFIXES:
        if lowered.startswith(prefix):
            command = url[len(prefix) :].strip()
            if not command:
                return None, f"outline '{name}' has an empty command"
            return Outline(title=name, url=f"exec:{command}", site_url=site_url, kind=FeedKind.SCRIPT), ""
    if lowered.startswith(FILTER_PREFIX):
        return None, f"outline '{name}' pipes a feed through a command, which Hearth does not do: {url}"
    if kind.lower().startswith(FeedKind.SCRIPT):
        return None, f"outline '{name}' is a script source without an exec: command"
    scheme = urlsplit(url).scheme.lower() if ":" in url else ""
    if scheme == "feed":  # feed://host/path and feed:https://host/path
        rest = url[len("feed:") :]
        url = rest if rest.lower().startswith(("http:", "https:")) else f"http:{rest}"
        scheme = urlsplit(url).scheme.lower()
    if scheme not in _WEB_SCHEMES:
        return None, f"outline '{name}' has xmlUrl '{url[:200]}', not a web address"
    return Outline(title=title or url, url=url, site_url=site_url, kind=kind), ""


def is_command(outline: Outline) -> bool:
    """Whether importing `outline` would add a feed that runs a command on this machine."""
    return runs_command(outline.url, outline.kind)


def split_commands(outlines: Sequence[Outline]) -> tuple[list[Outline], list[Outline]]:
    """The tree without its command outlines, and those outlines (in document order)."""
    commands: list[Outline] = []

    def keep(level: Sequence[Outline]) -> list[Outline]:
        kept: list[Outline] = []
        for outline in level:
            if is_command(outline):
                commands.append(outline)
            elif outline.url is None:
                kept.append(replace(outline, children=tuple(keep(outline.children))))
            else:
                kept.append(outline)
        return kept

    return keep(outlines), commands


def printable(text: str) -> str:
    """`text` with every invisible or control character spelled out (\\r, \\u202e), so a carriage
    return or a bidi override cannot make one command look like another."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def shown_command(outline: Outline) -> str:
    """A command outline's command line as a user must see it before saying yes (see `printable`)."""
    command = (outline.url or "").strip()
    if command.lower().startswith("exec:"):
        command = command[len("exec:") :]
    return printable(command.strip())


def count_feeds(outlines: Sequence[Outline]) -> int:
    return sum(1 if o.url is not None else count_feeds(o.children) for o in outlines)


def count_folders(outlines: Sequence[Outline]) -> int:
    return sum(1 + count_folders(o.children) for o in outlines if o.url is None)


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
    if outline.kind != FeedKind.FEED:
        node.set(_KIND, outline.kind)
