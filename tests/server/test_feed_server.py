"""The feed server end to end: a real server on an ephemeral port, real SQLite, real fetches of a local feed."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import httpx
import pytest

from app.config import Paths, Settings
from app.errors import ConfigError
from app.library import Library
from app.models import ArticleQuery, ParsedItem, SiteState
from app.server import FeedServer, check_loopback
from app.storage import Store, open_store
from tests.support.http import LocalServer, Reply

RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Upstream</title>
<link>https://upstream.example/</link><description>d</description>
<item><title>First post</title><link>https://upstream.example/1</link><guid>u1</guid>
<pubDate>Mon, 01 Jan 2024 10:00:00 GMT</pubDate><description>one &lt;b&gt;bold&lt;/b&gt;</description></item>
<item><title>Second post</title><link>https://upstream.example/2</link><guid>u2</guid>
<pubDate>Tue, 02 Jan 2024 10:00:00 GMT</pubDate><description>two</description></item>
<item><title>Third kettle post</title><link>https://upstream.example/3</link><guid>u3</guid>
<pubDate>Wed, 03 Jan 2024 10:00:00 GMT</pubDate><description>three</description></item>
</channel></rss>"""


@pytest.fixture
def paths(data_dir: Path) -> Paths:
    return Paths(data_dir)


@pytest.fixture
def settings(paths: Paths) -> Settings:
    return Settings(paths.settings_path, {"server.max_age_minutes": 30})


@pytest.fixture
def store(paths: Paths) -> Iterator[Store]:
    s = open_store(paths.db_path)
    yield s
    s.close()


def _start(paths: Paths, settings: Settings, **kw: object) -> FeedServer:
    # plain feeds need no cookies: a library without a vault, never the developer's keyring
    return FeedServer(Library(paths, settings, vault=None), port=0, **kw).start()  # type: ignore[arg-type]


def test_a_feed_is_fetched_when_stale_then_served_from_the_database(
    paths: Paths, settings: Settings, store: Store, server: LocalServer
) -> None:
    server.route("/feed.xml", Reply(200, RSS, {"Content-Type": "application/rss+xml"}))
    feed = store.add_feed(server.url("/feed.xml"))
    with _start(paths, settings) as srv:
        reply = httpx.get(srv.url(f"/feeds/{feed.id}"))
        assert reply.status_code == 200 and reply.headers["content-type"].startswith("application/rss+xml")
        parsed = feedparser.parse(reply.content)
        assert parsed.version == "rss20" and parsed.feed.title == "Upstream"
        assert [e.title for e in parsed.entries] == ["Third kettle post", "Second post", "First post"]
        assert parsed.entries[2].link == "https://upstream.example/1"
        assert len(server.requests_to("/feed.xml")) == 1
        # fresh now: answered from the database, upstream is not asked again
        again = feedparser.parse(httpx.get(srv.url(f"/feeds/{feed.id}?limit=2")).content)
        assert len(again.entries) == 2 and len(server.requests_to("/feed.xml")) == 1

        atom = feedparser.parse(httpx.get(srv.url(f"/feeds/{feed.id}?format=atom")).content)
        assert atom.version == "atom10" and len(atom.entries) == 3
        as_json = httpx.get(srv.url(f"/feeds/{feed.id}?format=json"))
        assert as_json.headers["content-type"].startswith("application/feed+json")
        data = json.loads(as_json.content)
        assert data["version"].startswith("https://jsonfeed.org/version/1") and len(data["items"]) == 3


def test_folders_starred_search_index_and_opml(paths: Paths, settings: Settings, store: Store) -> None:
    folder = store.add_folder("Tech")
    feed = store.add_feed("https://a.example/feed", title="Feed A", folder_id=folder.id)
    other = store.add_feed("https://b.example/feed", title="Feed B")
    now = datetime.now(UTC)
    for f in (feed, other):
        store.upsert_articles(
            f.id,
            [
                ParsedItem(
                    f"{f.id}-{i}",
                    f"https://x.example/{f.id}/{i}",
                    f"{f.title} kettle {i}",
                    published=now - timedelta(hours=i),
                )
                for i in range(3)
            ],
        )
    starred_id = store.query_ids(ArticleQuery(feed_ids=(other.id,)))[0]
    store.star([starred_id])
    with _start(paths, settings, refresh=None) as srv:
        in_folder = feedparser.parse(httpx.get(srv.url(f"/folders/{folder.id}")).content)
        assert in_folder.feed.title == "Tech" and {e.title for e in in_folder.entries} == {
            f"Feed A kettle {i}" for i in range(3)
        }
        starred = feedparser.parse(httpx.get(srv.url("/starred?format=atom")).content)
        assert [e.title for e in starred.entries] == ["Feed B kettle 0"]
        found = feedparser.parse(httpx.get(srv.url("/search"), params={"q": 'kettle "2'}).content)
        assert {e.title for e in found.entries} >= {"Feed A kettle 2", "Feed B kettle 2"}
        index = httpx.get(srv.url("/"))
        assert index.headers["content-type"].startswith("text/html")
        assert f'href="{srv.url(f"/feeds/{feed.id}")}"' in index.text and "Feed B" in index.text
        outline = ET.fromstring(httpx.get(srv.url("/opml")).content)
        tech = outline.find("./body/outline[@text='Tech']")
        assert tech is not None and tech[0].get("xmlUrl") == srv.url(f"/feeds/{feed.id}")
        assert outline.find(f"./body/outline[@xmlUrl='{srv.url(f'/feeds/{other.id}')}']") is not None


def test_ai_summaries_are_served_on_request(paths: Paths, settings: Settings, store: Store) -> None:
    from app.models import Summary

    feed = store.add_feed("https://a.example/feed", title="Feed A")
    (article_id,) = store.upsert_articles(
        feed.id, [ParsedItem("a1", "https://a.example/1", "Kettles", content_html="<p>Body</p>")]
    ).new_ids
    store.save_summary(
        Summary(article_id, "rwkv7-g1-0.1b", "v1", "- kettles boil\nGist: kettles", datetime.now(UTC))
    )
    with _start(paths, settings, refresh=None) as srv:
        plain = feedparser.parse(httpx.get(srv.url(f"/feeds/{feed.id}")).content)
        assert "AI summary" not in plain.entries[0].content[0].value
        rich = feedparser.parse(httpx.get(srv.url(f"/feeds/{feed.id}?summaries=1")).content)
        assert "Gist: kettles" in rich.entries[0].content[0].value


def test_access_key(paths: Paths, settings: Settings, store: Store) -> None:
    settings.set("server.access_key", "s3cret")
    with _start(paths, settings, refresh=None) as srv:
        for url in (srv.url("/"), srv.url("/starred"), srv.url("/starred?key=wrong")):
            reply = httpx.get(url)
            assert reply.status_code == 403 and "access key" in reply.text and "s3cret" not in reply.text
        ok = httpx.get(srv.url("/starred?key=s3cret&format=atom"))
        assert ok.status_code == 200
        parsed = feedparser.parse(ok.content)
        assert parsed.version == "atom10"
        assert all(
            "s3cret" not in link.href for link in parsed.feed.links
        )  # the key is not echoed into the feed


def test_clear_errors(paths: Paths, settings: Settings, store: Store) -> None:
    with _start(paths, settings, refresh=None) as srv:
        missing = httpx.get(srv.url("/feeds/999"))
        assert missing.status_code == 404 and "no feed with id 999" in missing.text
        assert missing.headers["content-type"].startswith("text/plain")
        assert httpx.get(srv.url("/folders/7")).status_code == 404
        nowhere = httpx.get(srv.url("/no/such/thing"))
        assert nowhere.status_code == 404 and "/feeds/ID" in nowhere.text
        assert httpx.get(srv.url("/exec:ls")).status_code == 404  # a path can never run a script source
        assert httpx.get(srv.url("/starred?format=xml")).status_code == 400
        assert httpx.get(srv.url("/search")).status_code == 400


def test_a_failing_upstream_with_nothing_stored_is_a_502(
    paths: Paths, settings: Settings, store: Store, server: LocalServer
) -> None:
    server.route("/broken.xml", Reply(500, "oops"))
    feed = store.add_feed(server.url("/broken.xml"))
    with _start(paths, settings) as srv:
        reply = httpx.get(srv.url(f"/feeds/{feed.id}"))
        assert reply.status_code == 502 and "fetching" in reply.text


def test_a_site_in_cooldown_is_not_asked(paths: Paths, settings: Settings, store: Store) -> None:
    until = datetime.now(UTC) + timedelta(minutes=20)
    store.save_site_state(SiteState("zhihu.com", cooldown_until=until, cooldown_level=1, last_error="403"))
    calls: list[object] = []
    with _start(paths, settings, refresh=lambda s, ids: calls.append(ids) or {}) as srv:
        reply = httpx.get(srv.url("/zhihu/people/activities/diygod"))
        assert reply.status_code == 503 and "zhihu.com is cooling down" in reply.text
        assert 1100 <= int(reply.headers["retry-after"]) <= 1200
        assert calls == []
    # the RSSHub path was subscribed as a source feed, so the next refresh picks it up
    feeds = store.list_feeds()
    assert len(feeds) == 1 and feeds[0].kind.startswith("zhihu") and feeds[0].params == {"id": "diygod"}


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com", "10.0.0.1"])
def test_only_loopback_addresses(host: str, paths: Paths, settings: Settings) -> None:
    with pytest.raises(ConfigError, match="only listens on this computer"):
        FeedServer(paths, settings, host=host, port=0, refresh=None)


def test_loopback_names() -> None:
    assert check_loopback("localhost") == "127.0.0.1"
    assert check_loopback("127.0.0.2") == "127.0.0.2"
    assert check_loopback("::1") == "::1"


def test_a_busy_port_is_a_clear_error(paths: Paths, settings: Settings) -> None:
    with _start(paths, settings, refresh=None) as first, pytest.raises(ConfigError, match="could not listen"):
        FeedServer(paths, settings, port=first.port, refresh=None).start()
