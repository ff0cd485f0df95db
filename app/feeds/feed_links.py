"""The parsing half of feed discovery: feed links in a web page, common feed paths, and feed sniffing.

No network here: the fetch engine downloads the page and the candidates and asks these functions.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from app.feeds.jsonfeed import is_json_feed
from app.feeds.parse import looks_like_html_page
from app.models import FeedLink

FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/feed+json": "json",
    "application/json": "json",
    "application/rdf+xml": "rdf",
    "application/x.atom+xml": "atom",
    "application/x-atom+xml": "atom",
    "text/xml": "rss",
    "application/xml": "rss",
}
COMMON_FEED_PATHS = (
    "/feed",
    "/rss",
    "/atom.xml",
    "/feed.xml",
    "/rss.xml",
    "/index.xml",
    "/feed.json",
    "/atom",
    "/feed/",
    "/rss/",
    "/index.rss",
    "/feeds/posts/default",
    "/?feed=rss2",
)
_FEED_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(rss|feed|RDF)[\s>/]")
_XML_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
)


def find_feed_links(html: bytes, base_url: str) -> list[FeedLink]:
    """Feeds a page advertises with <link rel="alternate" type="...rss/atom/json...">, in page order.

    `<base href>` is honoured; duplicates are dropped; json links only count when typed as a feed.
    """
    if not html or not html.strip():
        return []
    try:
        doc = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    base = base_url
    for node in doc.iter("base"):
        if node.get("href"):
            base = urljoin(base_url, node.get("href").strip())
            break
    found: list[FeedLink] = []
    seen: set[str] = set()
    for node in doc.iter("link", "a"):
        rels = {r.lower() for r in (node.get("rel") or "").split()}
        mime = (node.get("type") or "").split(";")[0].strip().lower()
        href = (node.get("href") or "").strip()
        if (
            "alternate" not in rels
            or mime not in FEED_TYPES
            or mime in ("text/xml", "application/xml")
            or not href
        ):
            continue
        if mime == "application/json" and "feed" not in (node.get("title") or "").lower() + href.lower():
            continue  # plain JSON alternates are usually APIs (oEmbed, wp-json), not JSON Feed
        url = urljoin(base, href)
        if urlsplit(url).scheme not in ("http", "https") or url in seen:
            continue
        seen.add(url)
        found.append(FeedLink(url=url, title=" ".join((node.get("title") or "").split()), type=mime))
    return found


def common_feed_urls(page_url: str) -> list[str]:
    """COMMON_FEED_PATHS on the page's site, to try when a page advertises no feed."""
    parts = urlsplit(page_url)
    root = f"{parts.scheme}://{parts.netloc}"
    return [root + path for path in COMMON_FEED_PATHS]


def looks_like_feed(body: bytes, content_type: str | None) -> bool:
    """A cheap sniff: is this response an RSS/Atom/RDF document or a JSON Feed?"""
    if not body or not body.strip():
        return False
    mime = (content_type or "").split(";")[0].strip().lower()
    if (
        mime in ("text/html", "application/xhtml+xml")
        and b"<rss" not in body[:1024]
        and b"<feed" not in body[:1024]
    ):
        return False
    if is_json_feed(body, content_type):
        head = body[:4096]
        return b"jsonfeed.org/version" in head or b'"items"' in body
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] != b"<" and mime not in _XML_TYPES:
        return False
    if looks_like_html_page(head):
        return False
    return bool(_FEED_ROOT.search(head))
