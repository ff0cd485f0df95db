"""Discovery parsing: feed links in pages, common paths, and sniffing bodies."""

from __future__ import annotations

from pathlib import Path

from app.feeds.feed_links import COMMON_FEED_PATHS, common_feed_urls, find_feed_links, looks_like_feed
from app.models import FeedLink

FIXTURES = Path(__file__).parent.parent / "fixtures" / "feeds"

PAGE = b"""<!doctype html><html><head><title>Blog</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="Posts  (RSS)" href="/feed.xml">
<LINK REL="Alternate" TYPE="application/atom+xml" title="Atom" href="https://blog.example.com/atom.xml">
<link rel="alternate" type="application/feed+json" title="JSON" href="feed.json">
<link rel="alternate" type="application/json" href="/wp-json/wp/v2/posts/1">
<link rel="alternate" type="application/rss+xml" href="/feed.xml">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
<link rel="alternate" hreflang="de" href="/de/">
</head><body><a rel="alternate" type="application/rss+xml" href="/comments/feed">comments</a></body></html>"""


def test_find_feed_links_in_page_order() -> None:
    assert find_feed_links(PAGE, "https://blog.example.com/posts/hello") == [
        FeedLink("https://blog.example.com/feed.xml", "Posts (RSS)", "application/rss+xml"),
        FeedLink("https://blog.example.com/atom.xml", "Atom", "application/atom+xml"),
        FeedLink("https://blog.example.com/posts/feed.json", "JSON", "application/feed+json"),
        FeedLink("https://blog.example.com/comments/feed", "", "application/rss+xml"),
    ]


def test_base_href_is_honoured() -> None:
    page = b'<html><head><base href="https://cdn.example.net/site/"><link rel="alternate" type="application/atom+xml" href="a.xml"></head></html>'
    assert find_feed_links(page, "https://example.net/")[0].url == "https://cdn.example.net/site/a.xml"


def test_nothing_to_find() -> None:
    assert find_feed_links(b"", "https://x.example/") == []
    assert find_feed_links(b"<html><body>no feeds</body></html>", "https://x.example/") == []
    assert find_feed_links("<p>中文页面</p>".encode(), "https://x.example/") == []


def test_common_feed_paths() -> None:
    assert {"/feed", "/rss", "/atom.xml", "/feed.xml", "/rss.xml", "/index.xml", "/feed.json"} <= set(
        COMMON_FEED_PATHS
    )
    urls = common_feed_urls("https://blog.example.com/some/page?x=1")
    assert urls[0] == "https://blog.example.com/feed" and "https://blog.example.com/feed.json" in urls


def test_looks_like_feed() -> None:
    for name in (
        "rss091.xml",
        "rss10_rdf.xml",
        "rss20_enclosures.xml",
        "atom03.xml",
        "atom10_plain.xml",
        "utf8_bom.xml",
    ):
        assert looks_like_feed((FIXTURES / name).read_bytes(), "application/xml"), name
    assert looks_like_feed((FIXTURES / "jsonfeed11.json").read_bytes(), "application/feed+json")
    assert looks_like_feed(
        (FIXTURES / "rss20_enclosures.xml").read_bytes(), "text/html"
    )  # misconfigured server
    assert not looks_like_feed((FIXTURES / "html_page.html").read_bytes(), "text/html")
    assert not looks_like_feed((FIXTURES / "html_page.html").read_bytes(), None)
    assert not looks_like_feed(b"", None)
    assert not looks_like_feed(b'{"data": [1, 2]}', "application/json")
    assert not looks_like_feed(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")
