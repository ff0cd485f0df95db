"""`parse_feed`: bytes from a server -> `ParsedFeed`, for RSS, Atom, RDF and JSON Feed.

Well-formed RSS 2.0 / Atom 1.0 take the lxml fast path (`app.feeds.fastpath`); everything else, and
anything the fast path is unsure of, goes through feedparser. Both fill the same `RawFeed`.
A top-level function of bytes -> ParsedFeed, so a process pool can run it.
"""

from __future__ import annotations

import io
import logging
import re
import xml.sax

import feedparser

from app.errors import FeedParseError
from app.feeds.fastpath import fast_parse
from app.feeds.jsonfeed import is_json_feed, parse_json_feed
from app.feeds.normalize import MAX_ITEMS, RawEntry, RawFeed, RawText, build_feed
from app.i18n import _, lazy_gettext
from app.models import ParsedFeed

log = logging.getLogger(__name__)

_HINT = lazy_gettext("check the address: it should point at the feed itself, not the web page")
_LEADING_JUNK = re.compile(rb"^(?:\xef\xbb\xbf)?(?:\s|<\?xml[^>]*\?>|<!--.*?-->)*", re.S)
_HTML_START = re.compile(rb"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
_ELEMENT_START = re.compile(rb"<[A-Za-z_:]")
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)
_ITEM_START = re.compile(rb"<(?:[A-Za-z0-9_.-]+:)?(?:item|entry)[\s>/]", re.I)


def parse_feed(
    body: bytes, *, url: str, content_type: str | None = None, max_items: int = MAX_ITEMS
) -> ParsedFeed:
    """Parse and normalise one feed document (its newest `max_items` items); raise FeedParseError if
    it is not a usable feed."""
    if not body or not body.strip():
        raise FeedParseError("not a feed: the server sent an empty response", hint=_HINT)
    try:
        if is_json_feed(body, content_type):
            return parse_json_feed(body, url=url, max_items=max_items)
        if looks_like_html_page(body):
            raise FeedParseError("not a feed: the server sent an HTML page", hint=_HINT)
        refuse_entity_declarations(body)
        raw = fast_parse(body, content_type, max_items)
        if raw is None:
            raw = feedparser_raw(first_items(body, 4 * max_items), url=url, content_type=content_type)
        return build_feed(raw, url, max_items=max_items)
    except RecursionError:
        raise FeedParseError(
            "the feed is nested too deeply to read", hint=_("the server sends a broken feed")
        ) from None


def parse_feed_slow(body: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """`parse_feed` without the fast path (for comparisons and benchmarks)."""
    if is_json_feed(body, content_type):
        return parse_json_feed(body, url=url)
    refuse_entity_declarations(body)
    return build_feed(feedparser_raw(body, url=url, content_type=content_type), url)


def first_items(body: bytes, limit: int) -> bytes:
    """`body` cut just before its (limit+1)-th item or entry. feedparser keeps every item of a document
    (100,000 items: 50 s and hundreds of MB); the lxml path streams instead. Feeds list their newest
    first, so the cut loses the oldest; feedparser reads the cut document with its loose parser."""
    if len(body) < 256 * 1024:
        return body
    for count, match in enumerate(_ITEM_START.finditer(body)):
        if count == limit:
            log.info("a feed with more than %d items: reading the first %d", limit, limit)
            return body[: match.start()]
    return body


def refuse_entity_declarations(body: bytes) -> None:
    """Raise FeedParseError when the document's DOCTYPE declares entities. feedparser expands the
    internal ones it keeps (one 20 KB entity named 20,000 times is 400 MB); no real feed needs them."""
    head = body[:4096]
    if b"\x00" in head:  # UTF-16/32: look at the ASCII letters
        body = body.replace(b"\x00", b"")
    start = _DOCTYPE.search(body)
    if start is None:
        return
    root = _ELEMENT_START.search(body, start.end())  # the declarations end where the root element starts
    prolog = body[start.end() : root.start() if root else len(body)]
    if _ENTITY_DECL.search(prolog):
        raise FeedParseError(
            "the feed declares XML entities, which Hearth does not expand",
            hint=_(
                "entity declarations can make a small feed enormous; ask the site to publish plain RSS or Atom"
            ),
        )


def looks_like_html_page(body: bytes) -> bool:
    """True when the document starts like an HTML page rather than XML."""
    head = body[:4096]
    match = _LEADING_JUNK.match(head)
    rest = head[match.end() :] if match else head
    return bool(_HTML_START.match(rest))


def feedparser_raw(body: bytes, *, url: str, content_type: str | None = None) -> RawFeed:
    """Run feedparser (no sanitising or URL rewriting of its own: `build_feed` does both) into a RawFeed."""
    headers = {"content-type": content_type} if content_type else {}
    result = feedparser.parse(
        io.BytesIO(body), sanitize_html=False, resolve_relative_uris=False, response_headers=headers
    )
    feed = result.get("feed", {})
    entries = result.get("entries", [])
    if result.get("bozo"):
        exc = result.get("bozo_exception")
        if not entries and not feed.get("title"):
            raise FeedParseError(_describe_bozo(exc, result.get("version")), hint=_HINT)
        log.info("%s: accepted a feed with problems (%s)", url, exc)
    elif not result.get("version") and not entries:
        raise FeedParseError("not a feed: the document is XML but not RSS, Atom or RDF", hint=_HINT)
    raw = RawFeed(
        version=result.get("version") or "",
        title=_text(feed, "title"),
        link=feed.get("link"),
        self_url=_self_link(feed),
        icon=feed.get("icon") or (feed.get("image") or {}).get("href") or feed.get("logo"),
        subtitle=_text(feed, "subtitle"),
    )
    raw.entries = [_entry(e) for e in entries]
    return raw


def _describe_bozo(exc: BaseException | None, version: str | None) -> str:
    if isinstance(exc, xml.sax.SAXParseException):
        return f"malformed XML at line {exc.getLineNumber()}: {exc.getMessage()}"
    if not version:
        return f"not a feed: {exc}" if exc else "not a feed"
    return f"malformed feed: {exc}"


def _text(d: dict, key: str) -> RawText | None:
    value = dict.get(d, key)
    if value is None:
        return None
    detail = dict.get(d, key + "_detail") or {}
    return RawText(value=value, type=detail.get("type") or "text/plain", base=detail.get("base") or "")


def _self_link(feed: dict) -> str | None:
    for link in dict.get(feed, "links") or ():
        if link.get("rel") == "self" and link.get("href"):
            return link["href"]
    return None


def _entry(e: dict) -> RawEntry:
    detail = dict.get(e, "author_detail") or {}
    content_list = dict.get(e, "content") or []
    content = None
    if content_list:
        c = content_list[0]
        content = RawText(
            value=c.get("value") or "", type=c.get("type") or "text/html", base=c.get("base") or ""
        )
    enclosures = [
        (link.get("href") or "", link.get("type") or "", link.get("length"))
        for link in dict.get(e, "links") or ()
        if link.get("rel") == "enclosure" and link.get("href")
    ]
    return RawEntry(
        id=dict.get(e, "id"),
        link=dict.get(e, "link"),
        title=_text(e, "title"),
        author=detail.get("name") or dict.get(e, "author"),
        published=dict.get(e, "published_parsed"),
        updated=dict.get(e, "updated_parsed"),
        content=content,
        summary=_text(e, "summary"),
        enclosures=enclosures,
    )
