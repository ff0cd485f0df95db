"""One normaliser for every parser: raw fields (as feedparser reports them) -> sanitised ParsedFeed.

Both the feedparser path and the lxml fast path fill a `RawFeed`; `build_feed` alone decides guids,
UTC dates, absolute URLs and safe HTML, so the two paths cannot drift apart after extraction.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from app.feeds.sanitize import SAFE_DATA_IMAGE, sanitize_html
from app.models import Enclosure, ParsedFeed, ParsedItem
from app.text import html_to_text

log = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain", "text"})
_TITLE_FROM_TEXT = 100  # characters of the text used as a title when an item has none
# Bounds on what one hostile feed can make Hearth store (each counted in characters).
MAX_ITEMS = 500  # items taken from one document: the newest (`fetch.max_items_per_feed`)
MAX_HTML = 1024 * 1024  # one article's HTML; longer is cut at a tag boundary with a visible note
MAX_TITLE = 1000
MAX_LINE = 2000  # an author, an enclosure type
MAX_URL = 8192  # longer links are dropped
MAX_GUID = 1024  # a longer id is kept as its hash
MAX_ENCLOSURES = 64
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(slots=True)
class RawText:
    value: str
    type: str = "text/html"  # a MIME type, as feedparser's *_detail.type
    base: str = ""  # xml:base in scope ('' = the document)


@dataclass(slots=True)
class RawEntry:
    id: str | None = None
    link: str | None = None
    title: RawText | None = None
    author: str | None = None
    published: time.struct_time | None = None
    updated: time.struct_time | None = None
    content: RawText | None = None
    summary: RawText | None = None
    enclosures: list[tuple[str, str, str | None]] = field(default_factory=list)  # (href, type, length)


@dataclass(slots=True)
class RawFeed:
    version: str
    title: RawText | None = None
    link: str | None = None
    self_url: str | None = None
    icon: str | None = None
    subtitle: RawText | None = None
    entries: list[RawEntry] = field(default_factory=list)


def build_feed(raw: RawFeed, url: str, *, max_items: int = MAX_ITEMS) -> ParsedFeed:
    """Turn raw fields into the sanitised, absolute, UTC `ParsedFeed` every layer consumes: at most
    `max_items` items (the newest), each bounded in size."""
    atom = raw.version.startswith("atom")
    entries = newest_entries(raw.entries, max_items)
    if len(entries) < len(raw.entries):
        log.info("%s: took the newest %d of %d items", url, len(entries), len(raw.entries))
    items = tuple(_build_item(entry, url, atom=atom) for entry in entries)
    return ParsedFeed(
        title=plain_title(raw.title),
        site_url=absolute_url(url, raw.link),
        feed_url=absolute_url(url, raw.self_url),
        icon_url=absolute_url(url, raw.icon, allow_data=True),
        description=_cap_text(_plain(raw.subtitle), MAX_HTML // 16),
        items=items,
        format=raw.version,
    )


def newest_entries(entries: list[RawEntry], limit: int) -> list[RawEntry]:
    """The `limit` newest entries in document order: dated ones by date (newest first), then undated
    ones in the order the feed gives them (feeds list their newest first)."""
    limit = max(1, limit)
    if len(entries) <= limit:
        return entries
    dates = [to_datetime(e.published) or to_datetime(e.updated) for e in entries]
    dated = sorted((i for i, d in enumerate(dates) if d is not None), key=lambda i: dates[i], reverse=True)
    undated = [i for i, d in enumerate(dates) if d is None]
    keep = sorted((dated + undated)[:limit])
    return [entries[i] for i in keep]


def _build_item(entry: RawEntry, feed_url: str, *, atom: bool = False) -> ParsedItem:
    raw_link = entry.link
    if (
        atom
        and raw_link
        and raw_link == entry.id
        and not raw_link.lower().startswith(("http://", "https://"))
    ):
        raw_link = None  # feedparser copies an Atom <id> into the link; a relative or urn: id is no link
    link = absolute_url(feed_url, raw_link)
    content = entry.content or entry.summary
    content_html = to_html(content, feed_url)
    summary_html = ""
    if entry.content is not None and entry.summary is not None and entry.summary.value != entry.content.value:
        summary_html = to_html(entry.summary, feed_url)
    title = plain_title(entry.title)
    if not title:
        title = _title_from_text(content_html)
    published = to_datetime(entry.published)
    updated = to_datetime(entry.updated)
    guid = _clean(entry.id or "").strip() or link or _clean(raw_link or "").strip()
    if len(guid) > MAX_GUID:
        guid = "sha1:" + hashlib.sha1(guid.encode("utf-8")).hexdigest()
    if not guid:
        stamp = (published or updated).isoformat() if (published or updated) else ""
        basis = title + "\n" + stamp + ("" if stamp or title else "\n" + content_html)
        guid = "sha1:" + hashlib.sha1(basis.encode("utf-8")).hexdigest()
    return ParsedItem(
        guid=guid,
        url=link,
        title=title,
        author=_cap_text(_clean(entry.author or "").strip(), MAX_LINE) or None,
        published=published,
        updated=updated,
        content_html=content_html,
        summary_html=summary_html,
        enclosures=_enclosures(entry.enclosures, feed_url),
    )


def _enclosures(raw: list[tuple[str, str, str | None]], feed_url: str) -> tuple[Enclosure, ...]:
    seen: set[str] = set()
    out: list[Enclosure] = []
    for href, type_, length in raw:
        url = absolute_url(feed_url, href)
        if url is None or url in seen:
            continue
        seen.add(url)
        out.append(
            Enclosure(url=url, type=_cap_text(_clean(type_ or "").strip(), MAX_LINE), length=_length(length))
        )
        if len(out) == MAX_ENCLOSURES:
            break
    return tuple(out)


_DIGITS = re.compile(r"\s*([0-9]{1,18})\s*")  # ASCII digits only ("²".isdigit() is true), < 2**63


def _length(value: object) -> int | None:
    match = _DIGITS.fullmatch(value) if isinstance(value, str) else None
    return int(match.group(1)) if match else None


def absolute_url(base: str, url: str | None, *, allow_data: bool = False) -> str | None:
    """`url` resolved against `base`; None unless the result is http(s) (or a data: image when allowed)."""
    if not url or not isinstance(url, str):
        return None
    url = _clean(url.strip())
    if allow_data and is_safe_data_image(url):
        return url if len(url) <= MAX_HTML // 4 else None
    if len(url) > MAX_URL:
        return None
    try:
        full = urljoin(base, url) if base else url
        scheme = urlsplit(full).scheme.lower()
    except ValueError:  # e.g. "http://[x": not a URL at all
        return None
    return full if scheme in ("http", "https") and len(full) <= MAX_URL else None


def to_html(text: RawText | None, feed_url: str) -> str:
    """Safe HTML for a text construct: HTML is sanitised, plain text is escaped into paragraphs."""
    if text is None or not text.value:
        return ""
    base = (absolute_url(feed_url, text.base) or feed_url) if text.base else feed_url
    kind = (text.type or "").lower()
    value = _clean(text.value)
    if kind in HTML_TYPES or kind.endswith(("html", "+xml", "/xml")):
        return bounded_html(value, lambda v: sanitize_html(v, base_url=base))
    if kind in TEXT_TYPES or kind.startswith("text/"):
        return bounded_html(value, text_to_html, markup=False)
    return ""


def bounded_html(value: str, render: Callable[[str], str], *, markup: bool = True) -> str:
    """`render(value)`, at most MAX_HTML characters: a longer value is cut before rendering (at a
    tag boundary, or a space for text) and ends with a note saying how much was left out."""
    if len(value) <= MAX_HTML:
        html = render(value)
        if len(html) <= MAX_HTML:  # escaping can grow a value just under the limit
            return html
        size = len(html)
    else:
        size = len(value.encode("utf-8", "replace"))
    cut = _cut(value, MAX_HTML - 256, "<" if markup else " ")
    html = render(cut)
    while len(html) > MAX_HTML - 256 and len(cut) > 1:
        cut = _cut(cut, len(cut) // 2, "<" if markup else " ")
        html = render(cut)
    mb = size / (1024 * 1024)
    return (
        html
        + f"<p><em>… (article cut: {mb:.1f} MB, over Hearth's {MAX_HTML // (1024 * 1024)} MB limit)</em></p>"
    )


def _cut(value: str, limit: int, boundary: str) -> str:
    head = value[:limit]
    at = head.rfind(boundary)
    return head[:at] if at > limit // 2 else head


def _cap_text(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _clean(value: str) -> str:
    """Lone surrogates (a JSON "\\ud800") cannot be stored or sanitised: each becomes U+FFFD."""
    return _SURROGATE.sub("\ufffd", value) if not value.isascii() else value


def is_safe_data_image(url: str) -> bool:
    """A data: URL of a raster image (png, gif, jpeg, webp): never SVG, which can carry script."""
    return bool(SAFE_DATA_IMAGE.match(url))


def text_to_html(text: str) -> str:
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n")]
    return "".join(
        "<p>" + htmllib.escape(p, quote=False).replace("\n", "<br>") + "</p>" for p in paragraphs if p
    )


def plain_title(text: RawText | None) -> str:
    """A one-line plain-text title (at most MAX_TITLE characters): markup stripped when it is HTML."""
    value = _plain(text, limit=8 * MAX_TITLE)
    return _cap_text(" ".join(value.split()), MAX_TITLE)


def _plain(text: RawText | None, *, limit: int = MAX_HTML) -> str:
    if text is None or not text.value:
        return ""
    value = _clean(text.value[:limit])
    if (text.type or "").lower() in HTML_TYPES:
        return html_to_text(value)
    return value.strip()


def _title_from_text(content_html: str) -> str:
    text = " ".join(html_to_text(content_html).split())
    if len(text) <= _TITLE_FROM_TEXT:
        return text
    return text[: _TITLE_FROM_TEXT - 1].rstrip() + "…"


def to_datetime(value: time.struct_time | None) -> datetime | None:
    """A UTC struct_time (feedparser's *_parsed) as an aware UTC datetime; None if absent or impossible."""
    if value is None:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (ValueError, TypeError, OverflowError):
        return None
