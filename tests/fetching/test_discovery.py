"""Discovery against real pages: the feed itself, <link rel=alternate>, several feeds, common paths."""

from __future__ import annotations

import pytest

from app.errors import DiscoveryError, HTTPStatusError, NetworkError
from app.fetching import discover
from tests.fetching.conftest import TEST_OPTIONS
from tests.fetching.fixtures import atom, rss
from tests.support.http import Reply

HTML = {"Content-Type": "text/html; charset=utf-8"}


def test_a_feed_address_is_its_own_feed(server):
    server.route("/feed.xml", Reply(200, rss("Direct"), {"Content-Type": "application/rss+xml"}))
    links = discover(server.url("/feed.xml"), options=TEST_OPTIONS)
    assert [(link.url, link.title) for link in links] == [(server.url("/feed.xml"), "Direct")]


def test_a_page_linking_its_feed(server):
    page = '<html><head><link rel="alternate" type="application/atom+xml" title="Posts" href="/blog/atom.xml"></head></html>'
    server.route("/blog/", Reply(200, page, HTML))
    links = discover(server.url("/blog/"), options=TEST_OPTIONS)
    assert [(link.url, link.title) for link in links] == [(server.url("/blog/atom.xml"), "Posts")]


def test_a_page_offering_several_feeds_lists_them_all(server):
    page = (
        "<html><head>"
        '<link rel="alternate" type="application/rss+xml" title="Posts" href="posts.rss">'
        '<link rel="alternate" type="application/rss+xml" title="Comments" href="comments.rss">'
        '<link rel="alternate" type="application/feed+json" title="JSON" href="https://other.example/feed.json">'
        "</head></html>"
    )
    server.route("/site/", Reply(200, page, HTML))
    links = discover(server.url("/site/"), options=TEST_OPTIONS)
    assert [link.url for link in links] == [
        server.url("/site/posts.rss"),
        server.url("/site/comments.rss"),
        "https://other.example/feed.json",
    ]


def test_common_paths_are_tried_when_the_page_links_nothing(server):
    server.route("/", Reply(200, "<html><body>No links here</body></html>", HTML))
    server.route("/atom.xml", Reply(200, atom("Found by path"), {"Content-Type": "application/atom+xml"}))
    links = discover(server.url("/"), options=TEST_OPTIONS)
    assert [(link.url, link.title) for link in links] == [(server.url("/atom.xml"), "Found by path")]
    asked = [r.path for r in server.requests]
    assert asked[0] == "/" and "/feed" in asked and asked[-1] == "/atom.xml"


def test_nothing_found_is_a_discovery_error(server):
    server.route("/", Reply(200, "<html><body>Nothing</body></html>", HTML))
    with pytest.raises(DiscoveryError) as err:
        discover(server.url("/"), options=TEST_OPTIONS)
    assert err.value.user_message().startswith(f"no feed found at {server.url('/')} — ")


def test_a_missing_page_and_an_unreachable_host_are_clear_errors(server):
    with pytest.raises(HTTPStatusError, match="404"):
        discover(server.url("/nope"), options=TEST_OPTIONS)
    with pytest.raises(NetworkError, match="could not connect"):
        discover("http://127.0.0.1:9/", options=TEST_OPTIONS)
    with pytest.raises(DiscoveryError, match="not a web address"):
        discover("ftp://example.org/feed", options=TEST_OPTIONS)
