"""parse_feed over the fixture feeds: formats, encodings, URLs, dates, guids, errors, and fast == slow."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.errors import FeedParseError
from app.feeds.fastpath import fast_parse
from app.feeds.parse import parse_feed, parse_feed_slow
from app.models import Enclosure

FIXTURES = Path(__file__).parent.parent / "fixtures" / "feeds"
URL = "https://feeds.example.org/path/feed"
BAD = {"empty.xml", "html_page.html", "malformed.xml"}
GOOD = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".xml", ".json") and p.name not in BAD)
FAST = {"rss20_enclosures.xml", "atom10_plain.xml", "chinese.xml", "no_declaration.xml", "utf8_bom.xml"}


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse(name: str, **kw):
    return parse_feed(load(name), url=URL, **kw)


@pytest.mark.parametrize("name", GOOD)
@pytest.mark.parametrize(
    "content_type", [None, "application/rss+xml", "application/xml; charset=utf-8", "text/xml"]
)
def test_fast_path_and_feedparser_agree(name: str, content_type: str | None) -> None:
    body = load(name)
    assert parse_feed(body, url=URL, content_type=content_type) == parse_feed_slow(
        body, url=URL, content_type=content_type
    )


@pytest.mark.parametrize("name", sorted(FAST))
def test_plain_rss_and_atom_take_the_fast_path(name: str) -> None:
    assert fast_parse(load(name)) is not None


@pytest.mark.parametrize(
    "name", ["rss091.xml", "rss10_rdf.xml", "atom03.xml", "atom10_xmlbase.xml", "latin1_declared_utf8.xml",
             "undefined_entity.xml", "chinese_gb2312.xml", "rss092.xml"],
)  # fmt: skip
def test_unusual_documents_fall_back_to_feedparser(name: str) -> None:
    assert fast_parse(load(name)) is None


def test_formats_are_reported() -> None:
    expected = {
        "rss091.xml": "rss091n", "rss092.xml": "rss092", "rss10_rdf.xml": "rss10", "rss20_enclosures.xml": "rss20",
        "atom03.xml": "atom03", "atom10_plain.xml": "atom10", "jsonfeed10.json": "json10", "jsonfeed11.json": "json11",
    }  # fmt: skip
    assert {name: parse(name).format for name in expected} == expected


def test_rss20_items_enclosures_and_relative_urls() -> None:
    feed = parse("rss20_enclosures.xml")
    assert feed.title == "The Hearth Podcast"
    assert feed.site_url == "https://podcast.example.org/"
    assert feed.feed_url == "https://podcast.example.org/feed.xml"
    assert feed.icon_url == "https://feeds.example.org/art/cover.png"
    assert feed.description == "Talk about feeds & readers."
    ep2, ep1, nameless = feed.items
    assert ep2.guid == "hearth-ep-0002"  # isPermaLink="false": an id, not a URL
    assert ep2.url == "https://feeds.example.org/episodes/2?utm=a&b=c"
    assert ep2.author == "Ann Example"
    assert ep2.published == datetime(2025, 6, 10, 6, 30, tzinfo=UTC)
    assert ep2.enclosures == (
        Enclosure("https://cdn.example.org/ep2.mp3", "audio/mpeg", 24986239),
        Enclosure("https://feeds.example.org/media/ep2.ogg", "audio/ogg", 1234),
    )
    assert 'href="https://feeds.example.org/notes/2"' in ep2.content_html
    assert 'src="https://feeds.example.org/path/img/chart.png"' in ep2.content_html
    assert "script" not in ep2.content_html and "onerror" not in ep2.content_html
    assert ep2.summary_html == "Why ETags &amp; Last-Modified matter."
    assert ep1.title == "Episode 1: Hello & welcome"
    assert ep1.author == "Bob Host"  # "host@example.org (Bob Host)"
    assert ep1.guid == ep1.url == "https://podcast.example.org/episodes/1"
    assert ep1.enclosures == (Enclosure("https://cdn.example.org/ep1.mp3", "audio/mpeg", None),)
    assert nameless.guid.startswith("sha1:") and nameless.url is None
    assert nameless.title.startswith("An item with neither title")


def test_hash_guid_is_stable_across_parses() -> None:
    assert parse("rss20_enclosures.xml").items[2].guid == parse("rss20_enclosures.xml").items[2].guid


def test_atom_xml_base_resolves_links_and_content() -> None:
    feed = parse("atom10_xmlbase.xml")
    assert feed.site_url == "https://blog.example.com/"
    assert feed.feed_url == "https://blog.example.com/feed.atom"
    assert feed.icon_url == "https://blog.example.com/favicon.ico"
    assert feed.description == "Notes & thoughts"
    first, xhtml = feed.items
    assert first.url == "https://blog.example.com/posts/2025/relative-links.html"
    assert first.title == "Relative links"
    assert first.author == "Jane Doe"
    assert first.published == datetime(2025, 5, 1, 4, 0, tzinfo=UTC)
    assert 'href="https://blog.example.com/posts/2025/other.html"' in first.content_html
    assert 'src="https://blog.example.com/img/p.png"' in first.content_html
    assert (
        'href="https://blog.example.com/about"' in xhtml.content_html and "<b>bold</b>" in xhtml.content_html
    )


def test_atom_fast_path_details() -> None:
    feed = parse("atom10_plain.xml")
    release, beta, idonly = feed.items
    assert release.updated == datetime(2025, 6, 1, 7, 15, 30, tzinfo=UTC)
    assert release.url == "https://feeds.example.org/releases/tag/v2.0.0"
    assert "javascript" not in release.content_html and "onload" not in release.content_html
    assert release.enclosures == (
        Enclosure("https://feeds.example.org/downloads/v2.0.0.zip", "application/zip", 1024),
    )
    assert beta.title == "v1.9.0 <beta>"  # type="text": kept literally
    assert beta.content_html == "<p>Plain text summary<br>with two lines &amp; a &lt;tag&gt;.</p>"
    assert idonly.url is None  # the urn: id is not a link
    assert idonly.summary_html == "<p>Summary first</p>" and idonly.content_html == "<p>Then content</p>"
    assert feed.icon_url == "https://feeds.example.org/logo.png"


def test_old_formats() -> None:
    rss091 = parse("rss091.xml")
    assert [i.url for i in rss091.items] == [
        "http://writetheweb.com/read.php?item=24",
        "http://writetheweb.com/read.php?item=23",
    ]
    assert rss091.icon_url == "https://feeds.example.org/images/mynetscape88.gif"
    rss092 = parse("rss092.xml")
    assert rss092.items[1].enclosures[0].url == "https://feeds.example.org/mp3s/darkStarWindowsMedia.wma"
    assert 'href="http://deadend.editthispage.com/"' in rss092.items[1].content_html
    rdf = parse("rss10_rdf.xml")
    assert rdf.items[0].author == "Bob DuCharme"
    assert rdf.items[0].updated == datetime(2000, 8, 9, 10, 30, tzinfo=UTC)
    atom03 = parse("atom03.xml")
    assert atom03.items[0].published == datetime(2003, 12, 13, 12, 29, 29, tzinfo=UTC)
    assert 'href="https://feeds.example.org/x"' in atom03.items[0].content_html


def test_json_feeds() -> None:
    one = parse("jsonfeed10.json")
    assert one.title == "JSON Feed 1.0 example" and one.icon_url == "https://feeds.example.org/favicon.png"
    second, first = one.items
    assert second.guid == "2" and second.author == "Brent"
    assert second.published == datetime(2025, 1, 2, 15, 0, tzinfo=UTC)
    assert (
        "script" not in second.content_html and 'href="https://feeds.example.org/two"' in second.content_html
    )
    assert second.summary_html == "<p>A summary</p>"
    assert second.enclosures == (Enclosure("https://feeds.example.org/a.mp3", "audio/mpeg", 100),)
    assert first.content_html == "<p>Just text, no title.</p><p>Second paragraph &lt;not a tag&gt;.</p>"
    assert first.title == "Just text, no title. Second paragraph <not a tag>."
    eleven = parse("jsonfeed11.json", content_type="application/feed+json")
    a, b = eleven.items
    assert (
        a.url == "https://feeds.example.org/path/posts/a"
        and a.author == "Item Author"
        and a.title == "第一篇"
    )
    assert b.guid == "https://json11.example.com/posts/b" and b.author == "One, Two"


def test_chinese_and_encodings() -> None:
    zh = parse("chinese.xml")
    assert zh.title == "少数派 - 高效工作，品质生活"
    assert zh.items[0].author == "作者甲" and "<strong>RSS</strong>" in zh.items[0].content_html
    assert zh.items[1].published == datetime(2025, 6, 12, 1, 30, tzinfo=UTC)
    assert parse("chinese_gb2312.xml").items[0].title == "今日要闻"
    latin = parse("latin1_declared_utf8.xml")
    assert latin.title == "Café crème" and latin.items[0].title == "Lété à Paris"
    assert parse("no_declaration.xml").title == "No declaration — ünïcödé"
    bom = parse("utf8_bom.xml")
    assert bom.title == "BOM feed" and bom.items[0].title == "Ça marche"


def test_undefined_entity_is_accepted() -> None:
    feed = parse("undefined_entity.xml")
    assert [i.url for i in feed.items] == ["http://ent.example.com/1", "http://ent.example.com/2"]
    assert feed.items[0].title == "Café & more"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.xml", "not a feed: the server sent an empty response"),
        ("html_page.html", "not a feed: the server sent an HTML page"),
        ("malformed.xml", "malformed XML at line 5: mismatched tag"),
    ],
)
def test_unusable_documents_raise(name: str, message: str) -> None:
    with pytest.raises(FeedParseError) as info:
        parse(name)
    assert str(info.value) == message
    assert info.value.hint


def test_other_garbage_raises() -> None:
    with pytest.raises(FeedParseError, match="malformed JSON at line 1"):
        parse_feed(b"{not json", url=URL)
    with pytest.raises(FeedParseError, match="not a JSON Feed"):
        parse_feed(b'{"hello": 1}', url=URL)
    with pytest.raises(FeedParseError, match="not a feed"):
        parse_feed(b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'></svg>", url=URL)


def test_parse_feed_runs_in_a_process_pool() -> None:
    body = load("rss20_enclosures.xml")
    expected = parse_feed(body, url=URL)
    assert pickle.loads(pickle.dumps(expected)) == expected
    with ProcessPoolExecutor(max_workers=1) as pool:
        assert pool.submit(parse_feed, body, url=URL).result(timeout=60) == expected
