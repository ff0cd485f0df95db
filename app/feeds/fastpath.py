"""The lxml fast path for plain, well-formed RSS 2.0 and Atom 1.0: the same `RawFeed` feedparser would give.

It mirrors feedparser's rules for exactly the elements it knows (text stripping, guid-as-link, the
author/email split, its encoding fix-ups) and gives up (returns None) on anything else it meets:
a DOCTYPE, xml:base, a non-UTF-8 document, XHTML content, duplicates, or any element feedparser
would treat specially that is not in its allow-lists. Equality with feedparser is tested per fixture.
"""

from __future__ import annotations

import contextlib
import io
import re
from functools import lru_cache

from feedparser.api import StrictFeedParser
from feedparser.datetimes import _parse_date
from feedparser.mixin import _cp1252, _FeedParserMixin
from feedparser.urls import _urljoin
from lxml import etree

from app.feeds.normalize import MAX_ITEMS, RawEntry, RawFeed, RawText, newest_entries

ATOM_NS = "http://www.w3.org/2005/Atom"
_RSS1_NAMESPACES = {"http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/"}
_NS_PREFIX = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_looks_like_html = _FeedParserMixin.looks_like_html
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_TEXT_TYPES = {
    None: None,
    "text": "text/plain",
    "html": "text/html",
    "text/plain": "text/plain",
    "text/html": "text/html",
}
_ENCODING_DECL = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_QUERY_ENTITY = re.compile("&([A-Za-z0-9_]+);")
_EMAIL = re.compile(
    r"""(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"""
)
# Elements feedparser has a handler for whose effects never reach a field Hearth reads.
_HARMLESS = frozenset(
    {
        "category", "comments", "source", "rights", "copyright", "contributor", "name", "email", "uri", "url",
        "dc_subject", "dc_rights", "dc_language", "dc_publisher", "wfw_comment", "wfw_commentrss",
        "media_category", "media_keywords", "media_group", "media_rating", "media_credit", "media_restriction",
        "media_license", "media_content", "media_thumbnail", "media_player", "itunes_explicit",
        "itunes_keywords", "itunes_category", "itunes_block", "itunes_subtitle", "itunes_image",
        "itunes_owner", "itunes_name", "itunes_email", "georss_point", "georss_line", "georss_polygon",
        "georss_box", "feedburner_browserfriendly",
    }
)  # fmt: skip
_HARMLESS_CHANNEL = _HARMLESS - {"itunes_image", "itunes_subtitle"} | {
    "language", "managingeditor", "webmaster", "pubdate", "lastbuilddate", "generator", "docs", "cloud",
    "ttl", "rating", "dc_creator", "dc_date", "itunes_author", "author", "published", "updated",
}  # fmt: skip
_HARMLESS_ATOM_FEED = _HARMLESS | {"generator", "author", "updated", "published"}
# Keys feedparser reads back; an unknown element of the same name would overwrite them.
_FORBIDDEN = frozenset({"published_parsed", "updated_parsed", "author_detail", "title_detail", "summary_detail",
                        "links", "guidislink", "content", "enclosures", "image", "icon", "logo"})  # fmt: skip
_SINGLE = frozenset({"title", "description", "summary", "content", "content_encoded", "author", "guid", "id",
                     "published", "updated", "pubdate", "dc_date", "dc_creator", "icon", "logo"})  # fmt: skip


class _Unsure(Exception):
    """The document needs feedparser."""


# huge_tree lifts libxml2's 10 MB cap on one text node (a 20 MB description would otherwise go to
# feedparser: 14 s against 0.7 s, tests/bench/bench_hostile.py); its other effect, on entity expansion,
# cannot arise: no document with a DOCTYPE reaches this parser (`_eligible`), entities are never resolved.
_PARSER_OPTIONS = {
    "resolve_entities": False, "no_network": True, "remove_comments": True, "remove_pis": True, "huge_tree": True,
}  # fmt: skip
_ATOM_ENTRY = f"{{{ATOM_NS}}}entry"


def fast_parse(body: bytes, content_type: str | None = None, max_items: int = MAX_ITEMS) -> RawFeed | None:
    """A RawFeed for a plain RSS 2.0 / Atom 1.0 document, or None when feedparser must decide.

    Items are read as the parser reaches them and dropped from the tree, and no more than twice
    `max_items` (the newest) are kept, so a 100,000-item feed never sits in memory whole."""
    if not _eligible(body, content_type):
        return None
    entries: list[RawEntry] = []
    try:
        events = etree.iterparse(
            io.BytesIO(body), events=("end",), tag=("item", _ATOM_ENTRY), **_PARSER_OPTIONS
        )
        kind: str | None = None
        last: etree._Element | None = None
        for _event, el in events:
            if kind is None:
                kind = _kind(el.getroottree().getroot())
                if kind is None:
                    return None
            parent = el.getparent()
            grandparent = parent.getparent() if parent is not None else None
            if (
                kind == "rss"
                and el.tag == "item"
                and parent.tag == "channel"
                and grandparent is not None
                and grandparent.getparent() is None
            ):
                entries.append(_rss_item(el))
            elif kind == "atom" and el.tag == _ATOM_ENTRY and parent is not None and grandparent is None:
                entries.append(_atom_entry(el))
            else:
                continue
            el.clear()
            if last is not None and last.getparent() is parent:
                parent.remove(last)  # the one before is done (the current one is the parser's to keep)
            last = el
            if len(entries) > 2 * max(1, max_items):
                entries = newest_entries(entries, max_items)
        if last is not None and last.getparent() is not None:
            last.getparent().remove(last)
        root = events.root
    except (etree.XMLSyntaxError, ValueError, _Unsure):
        return None
    try:
        if _RSS1_NAMESPACES & {uri.lower() for uri in root.nsmap.values()}:
            return None  # feedparser would call this RSS 1.0 / 0.90
        if _kind(root) == "rss" and len(root) == 1 and root[0].tag == "channel":
            return _rss(root[0], entries)
        if _kind(root) == "atom":
            return _atom(root, entries)
    except _Unsure:
        return None
    return None


def _kind(root: etree._Element) -> str | None:
    if _RSS1_NAMESPACES & {uri.lower() for uri in root.nsmap.values()}:
        return None
    if root.tag == "rss" and root.get("version") == "2.0":
        return "rss"
    if root.tag == f"{{{ATOM_NS}}}feed" and root.prefix is None and not root.attrib.get("version"):
        return "atom"
    return None


def _eligible(body: bytes, content_type: str | None) -> bool:
    if content_type:
        mime, _, params = content_type.partition(";")
        if mime.strip().lower() not in ("application/rss+xml", "application/atom+xml", "application/xml",
                                         "text/xml", "application/rdf+xml"):  # fmt: skip
            return False
        charset = params.lower().replace(" ", "")
        if "charset=" in charset and "charset=utf-8" not in charset and 'charset="utf-8"' not in charset:
            return False
        if mime.strip().lower() == "text/xml" and "charset=" not in charset:
            return False  # RFC 3023: text/xml without charset is us-ascii, and feedparser says so
    head = body[:2048]
    if b"<!DOCTYPE" in head or b"<!doctype" in head or b"xml:base" in body or b"\x00" in head:
        return False
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    match = _ENCODING_DECL.match(head)
    return match is None or match.group(1).lower() in (b"utf-8", b"utf8")


@lru_cache(maxsize=4096)
def _name(tag: str, prefix: str | None) -> str:
    """feedparser's handler name for an lxml tag: '{content-ns}encoded' -> 'content_encoded'."""
    if not isinstance(tag, str):
        return "#other"
    if tag[0] == "{":
        uri, local = tag[1:].split("}", 1)
        known = _NS_PREFIX.get(uri.lower())
        if "backend.userland.com/rss" in uri.lower():
            known = ""
        pre = known if known is not None else (prefix or "")
    else:
        pre, local = "", tag
    local = local.lower()
    return f"{pre}_{local}" if pre else local


@lru_cache(maxsize=4096)
def _has_handler(name: str) -> bool:
    return hasattr(StrictFeedParser, "_start_" + name) or hasattr(StrictFeedParser, "_end_" + name)


def _check_other(el: etree._Element, name: str, harmless: frozenset[str]) -> None:
    """An element the fast path does not read: fine if feedparser would not read it either."""
    if name in _FORBIDDEN or (_has_handler(name) and name not in harmless):
        raise _Unsure(name)
    for sub in el.iterdescendants():
        sub_name = _name(sub.tag, sub.prefix)
        if sub_name in _FORBIDDEN or (_has_handler(sub_name) and sub_name not in _HARMLESS):
            raise _Unsure(sub_name)


def _fix(value: str | None, *, uri: bool = False) -> str:
    """What feedparser's pop() does to the text of a text element."""
    text = (value or "").strip()
    if uri and text:
        text = _urljoin("", text)
    if not text.isascii():
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            text = text.encode("iso-8859-1").decode("utf-8")
        text = text.translate(_cp1252)
    return text


def _text_of(el: etree._Element) -> str | None:
    if len(el):
        raise _Unsure("markup inside a text element")
    return el.text


def _rss_type(el: etree._Element, default: str) -> str:
    if "type" in el.attrib:
        raise _Unsure("typed RSS text")  # feedparser then guesses html-ness; leave that to it
    return _content_type(el, default)


def _content_type(el: etree._Element, default: str) -> str:
    if "mode" in el.attrib or "src" in el.attrib:
        raise _Unsure("content mode/src")
    declared = el.get("type")
    mapped = _TEXT_TYPES.get(declared.lower() if declared else None, "?")
    if mapped == "?":
        raise _Unsure("unusual content type")
    return mapped or default


def _date(el: etree._Element):
    return _parse_date(_fix(_text_of(el)))


def _author(text: str, name: str | None, email: str | None) -> str | None:
    """feedparser's _sync_author_detail, reduced to the name Hearth keeps."""
    if name is not None or email is not None:
        return name or (email if not name else None) or text or None
    if not text:
        return None
    author = text
    match = _EMAIL.search(author)
    if match:
        found = match.group(0)
        author = author.replace(found, "").replace("()", "").replace("<>", "").replace("&lt;&gt;", "").strip()
        if author and author[0] == "(":
            author = author[1:]
        if author and author[-1] == ")":
            author = author[:-1]
        author = author.strip()
    return author or text


def _link_attrs(el: etree._Element) -> tuple[str, str, str | None, str | None]:
    """(rel, type, href, length) of a link element, as feedparser's _start_link normalises them."""
    rel = (el.get("rel") or "alternate").lower()
    default_type = "application/atom+xml" if rel == "self" else "text/html"
    type_ = (el.get("type") or default_type).lower()
    href = el.get("url") or el.get("uri") or el.get("href")
    return rel, type_, (_urljoin("", href) if href else None), el.get("length")


def _seen(counts: set[str], name: str) -> None:
    if name in _SINGLE:
        if name in counts:
            raise _Unsure(f"repeated {name}")
        counts.add(name)


def _rss(channel: etree._Element, entries: list[RawEntry]) -> RawFeed:
    raw = RawFeed(version="rss20", entries=entries)
    seen: set[str] = set()
    for el in channel:
        name = _name(el.tag, el.prefix)
        if name == "item":
            raw.entries.append(_rss_item(el))
            continue
        _seen(seen, name)
        if name == "title":
            _rss_type(el, "text/plain")
            value = _fix(_text_of(el))
            raw.title = RawText(value, "text/html" if _looks_like_html(value) else "text/plain")
        elif name == "description":
            raw.subtitle = RawText(_fix(_text_of(el)), _rss_type(el, "text/html"))
        elif name == "link":
            rel, type_, href, _ = _link_attrs(el)
            if href is None:
                if len(el) or el.attrib:
                    raise _Unsure("odd channel link")
                raw.link = _QUERY_ENTITY.sub(r"&\g<1>", _fix(el.text, uri=True))
            elif rel == "self":
                raw.self_url = raw.self_url or href
            elif rel == "alternate" and type_ in _HTML_TYPES:
                raw.link = href
        elif name == "image":
            raw.icon = _rss_image(el)
        else:
            _check_other(el, name, _HARMLESS_CHANNEL)
    return raw


def _rss_image(image: etree._Element) -> str | None:
    href = None
    for el in image:
        name = _name(el.tag, el.prefix)
        if name == "url":
            if href is not None:
                raise _Unsure("two image urls")
            href = _fix(_text_of(el), uri=True)
        elif name in ("title", "link", "width", "height", "description"):
            _text_of(el)
        else:
            raise _Unsure("odd image child")
    return href


def _rss_item(item: etree._Element) -> RawEntry:
    entry = RawEntry()
    seen: set[str] = set()
    has_link = False
    author_text: str | None = None
    for el in item:
        name = _name(el.tag, el.prefix)
        _seen(seen, name)
        if name == "title":
            _rss_type(el, "text/plain")
            value = _fix(_text_of(el))
            entry.title = RawText(value, "text/html" if _looks_like_html(value) else "text/plain")
        elif name == "link":
            rel, type_, href, length = _link_attrs(el)
            if href is None:
                if el.attrib or len(el):
                    raise _Unsure("odd item link")
                entry.link = _QUERY_ENTITY.sub(r"&\g<1>", _fix(el.text, uri=True).replace("&amp;", "&"))
                has_link = True
            elif rel == "enclosure":
                entry.enclosures.append((href, type_, length))
            elif rel == "alternate" and type_ in _HTML_TYPES:
                entry.link, has_link = href, True
        elif name in ("guid", "id"):
            if "guid" in seen and "id" in seen:
                raise _Unsure("guid and id")
            is_link = el.get("isPermaLink", el.get("ispermalink", "true")) == "true"
            entry.id = _fix(_text_of(el), uri=is_link)
            if is_link and not has_link:
                entry.link, has_link = entry.id, True
        elif name == "description":
            entry.summary = RawText(_fix(_text_of(el)), _rss_type(el, "text/html"))
        elif name == "content_encoded":
            entry.content = RawText(_fix(_text_of(el)), _rss_type(el, "text/html"))
            if entry.summary is None:
                entry.summary = RawText(entry.content.value, "text/plain")
        elif name in ("author", "dc_creator"):
            if "author" in seen and "dc_creator" in seen:
                raise _Unsure("two authors")
            author_text = _fix(_text_of(el))
        elif name in ("pubdate", "published"):
            if "pubdate" in seen and "published" in seen:
                raise _Unsure("two published dates")
            entry.published = _date(el)
        elif name in ("dc_date", "updated"):
            if "dc_date" in seen and "updated" in seen:
                raise _Unsure("two updated dates")
            entry.updated = _date(el)
        elif name == "enclosure":
            href = el.get("url") or el.get("uri") or el.get("href")
            if href:
                entry.enclosures.append((href, (el.get("type") or "").lower(), el.get("length")))
        else:
            _check_other(el, name, _HARMLESS)
    if author_text is not None:
        entry.author = _author(author_text, None, None)
    return entry


def _atom(feed: etree._Element, entries: list[RawEntry]) -> RawFeed:
    raw = RawFeed(version="atom10", entries=entries)
    seen: set[str] = set()
    images: dict[str, str] = {}
    has_link = False
    for el in feed:
        name = _name(el.tag, el.prefix)
        if name == "entry":
            raw.entries.append(_atom_entry(el))
            continue
        _seen(seen, name)
        if name == "title":
            raw.title = RawText(_fix(_text_of(el)), _content_type(el, "text/plain"))
        elif name == "subtitle":
            raw.subtitle = RawText(_fix(_text_of(el)), _content_type(el, "text/plain"))
        elif name == "link":
            rel, type_, href, _ = _link_attrs(el)
            if href is None:
                raise _Unsure("feed link without href")
            if rel == "self":
                raw.self_url = raw.self_url or href
            elif rel == "alternate" and type_ in _HTML_TYPES:
                raw.link, has_link = href, True
        elif name in ("icon", "logo"):
            if el.attrib:
                raise _Unsure("icon with attributes")
            images[name] = _fix(_text_of(el), uri=True)
        elif name == "id":
            if el.attrib:
                raise _Unsure("id with attributes")
            value = _fix(_text_of(el), uri=True)
            if not has_link:
                raw.link, has_link = value, True
        else:
            _check_other(el, name, _HARMLESS_ATOM_FEED)
    raw.icon = images.get("icon") or images.get("logo")
    return raw


def _atom_entry(node: etree._Element) -> RawEntry:
    entry = RawEntry()
    seen: set[str] = set()
    has_link = False
    for el in node:
        name = _name(el.tag, el.prefix)
        _seen(seen, name)
        if name == "title":
            entry.title = RawText(_fix(_text_of(el)), _content_type(el, "text/plain"))
        elif name == "id":
            if el.attrib:
                raise _Unsure("id with attributes")
            entry.id = _fix(_text_of(el), uri=True)
            if not has_link:
                entry.link, has_link = entry.id, True
        elif name == "link":
            rel, type_, href, length = _link_attrs(el)
            if href is None:
                raise _Unsure("entry link without href")
            if rel == "enclosure":
                entry.enclosures.append((href, type_, length))
            elif rel == "alternate" and type_ in _HTML_TYPES:
                entry.link, has_link = href, True
        elif name == "published":
            entry.published = _date(el)
        elif name == "updated":
            entry.updated = _date(el)
        elif name == "summary":
            entry.summary = RawText(_fix(_text_of(el)), _content_type(el, "text/plain"))
        elif name == "content":
            kind = _content_type(el, "text/plain")
            entry.content = RawText(_fix(_text_of(el)), kind)
            if entry.summary is None:
                entry.summary = RawText(entry.content.value, "text/plain")
        elif name == "author":
            entry.author = _atom_author(el)
        else:
            _check_other(el, name, _HARMLESS)
    return entry


def _atom_author(el: etree._Element) -> str | None:
    name = email = None
    for child in el:
        child_name = _name(child.tag, child.prefix)
        if child_name == "name":
            name = (_text_of(child) or "").strip()
        elif child_name == "email":
            email = (_text_of(child) or "").strip()
        elif child_name != "uri":
            _check_other(child, child_name, _HARMLESS)
    text = _fix("".join(t for t in (el.text, *(c.tail for c in el)) if t))
    return _author(text, name, email)
