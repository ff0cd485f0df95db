"""export_articles: RSS / Atom / JSON Feed that re-parse (feedparser and parse_feed) to the same items."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import feedparser
import pytest

from app.errors import HearthError
from app.feeds.export import export_articles
from app.feeds.parse import parse_feed
from app.models import Article, Enclosure

T0 = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)


def article(n: int, **kw) -> Article:
    fields = dict(
        id=n, feed_id=1, guid=f"https://src.example.com/{n}", url=f"https://src.example.com/{n}",
        title=f"Article {n} & <friends>", author="Ann Author", published=T0.replace(day=n), updated=None,
        content_html=f'<p>Body {n} with <a href="https://src.example.com/x" rel="noopener noreferrer">a link</a></p>',
        summary_html="", enclosures=(), first_seen=T0,
    )  # fmt: skip
    fields.update(kw)
    return Article(**fields)


ARTICLES = [
    article(3, enclosures=(Enclosure("https://cdn.example.com/3.mp3", "audio/mpeg", 1234),)),
    article(2, guid="opaque-guid-2", updated=T0.replace(day=5), summary_html="<p>Short summary</p>"),
    article(1, url=None, guid="no-url-1", author=None, title="中文标题"),
]


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_export_round_trips_through_parse_feed(fmt: str) -> None:
    data = export_articles(
        ARTICLES,
        title="Starred",
        link="https://hearth.local/",
        fmt=fmt,
        self_url="https://hearth.local/starred",
    )
    feed = parse_feed(data, url="https://hearth.local/starred")
    assert feed.title == "Starred"
    assert feed.feed_url == "https://hearth.local/starred"
    assert len(feed.items) == len(ARTICLES)
    for got, want in zip(feed.items, ARTICLES, strict=True):
        assert (got.guid, got.title, got.url) == (want.guid, want.title, want.url)
        assert got.published == want.published
        assert got.content_html == want.content_html
        assert got.author == want.author
    assert feed.items[1].updated == T0.replace(day=5)
    assert feed.items[0].enclosures == (Enclosure("https://cdn.example.com/3.mp3", "audio/mpeg", 1234),)
    if fmt != "json":
        assert feed.items[1].summary_html == "<p>Short summary</p>"


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_export_is_valid_for_feedparser(fmt: str) -> None:
    data = export_articles(ARTICLES, title="Starred", link="https://hearth.local/", fmt=fmt)
    if fmt == "json":
        doc = json.loads(data)
        assert doc["version"] == "https://jsonfeed.org/version/1.1"
        assert [i["id"] for i in doc["items"]] == [a.guid for a in ARTICLES]
        return
    parsed = feedparser.parse(data)
    assert not parsed.bozo
    assert [e.id for e in parsed.entries] == [a.guid for a in ARTICLES]
    assert [e.title for e in parsed.entries] == [a.title for a in ARTICLES]
    assert parsed.entries[0].link == ARTICLES[0].url


def test_empty_export_and_bad_format() -> None:
    data = export_articles([], title="Nothing", link="https://hearth.local/")
    assert parse_feed(data, url="https://hearth.local/x").items == ()
    with pytest.raises(HearthError, match="unknown feed format"):
        export_articles([], title="x", link="https://hearth.local/", fmt="csv")


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_link_is_optional(fmt: str) -> None:
    feed = parse_feed(export_articles(ARTICLES[:1], title="No link", fmt=fmt), url="https://hearth.local/x")
    assert feed.title == "No link" and feed.items[0].guid == ARTICLES[0].guid
