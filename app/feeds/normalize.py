"""One normaliser for every parser: raw fields (as feedparser reports them) -> sanitised ParsedFeed.

Both the feedparser path and the lxml fast path fill a `RawFeed`; `build_feed` alone decides guids,
UTC dates, absolute URLs and safe HTML, so the two paths cannot drift apart after extraction.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from app.feeds.sanitize import html_to_text, sanitize_html
from app.models import Enclosure, ParsedFeed, ParsedItem

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain", "text"})
_TITLE_FROM_TEXT = 100  # characters of the text used as a title when an item has none


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


def build_feed(raw: RawFeed, url: str) -> ParsedFeed:
    """Turn raw fields into the sanitised, absolute, UTC `ParsedFeed` every layer consumes."""
    atom = raw.version.startswith("atom")
    items = tuple(_build_item(entry, url, atom=atom) for entry in raw.entries)
    return ParsedFeed(
        title=plain_title(raw.title),
        site_url=absolute_url(url, raw.link),
        feed_url=absolute_url(url, raw.self_url),
        icon_url=absolute_url(url, raw.icon, allow_data=True),
        description=_plain(raw.subtitle),
        items=items,
        format=raw.version,
    )


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
    guid = (entry.id or "").strip() or link or (raw_link or "").strip()
    if not guid:
        stamp = (published or updated).isoformat() if (published or updated) else ""
        basis = title + "\n" + stamp + ("" if stamp or title else "\n" + content_html)
        guid = "sha1:" + hashlib.sha1(basis.encode("utf-8")).hexdigest()
    return ParsedItem(
        guid=guid,
        url=link,
        title=title,
        author=(entry.author or "").strip() or None,
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
        size = int(length) if length and length.strip().isdigit() else None
        out.append(Enclosure(url=url, type=(type_ or "").strip(), length=size))
    return tuple(out)


def absolute_url(base: str, url: str | None, *, allow_data: bool = False) -> str | None:
    """`url` resolved against `base`; None unless the result is http(s) (or a data: image when allowed)."""
    if not url:
        return None
    url = url.strip()
    if allow_data and url[:11].lower() == "data:image/":
        return url
    try:
        full = urljoin(base, url) if base else url
        scheme = urlsplit(full).scheme.lower()
    except ValueError:
        return None
    return full if scheme in ("http", "https") else None


def to_html(text: RawText | None, feed_url: str) -> str:
    """Safe HTML for a text construct: HTML is sanitised, plain text is escaped into paragraphs."""
    if text is None or not text.value:
        return ""
    base = urljoin(feed_url, text.base) if text.base else feed_url
    kind = text.type.lower()
    if kind in HTML_TYPES or kind.endswith(("html", "+xml", "/xml")):
        return sanitize_html(text.value, base_url=base)
    if kind in TEXT_TYPES or kind.startswith("text/"):
        return text_to_html(text.value)
    return ""


def text_to_html(text: str) -> str:
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n")]
    return "".join(
        "<p>" + htmllib.escape(p, quote=False).replace("\n", "<br>") + "</p>" for p in paragraphs if p
    )


def plain_title(text: RawText | None) -> str:
    """A one-line plain-text title: markup stripped when the construct is HTML."""
    value = _plain(text)
    return " ".join(value.split())


def _plain(text: RawText | None) -> str:
    if text is None or not text.value:
        return ""
    if text.type.lower() in HTML_TYPES:
        return html_to_text(text.value)
    return text.value.strip()


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
