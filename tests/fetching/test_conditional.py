"""Conditional GET: validators sent back verbatim, 304 stores only the fetch time, body hash skips parsing."""

from __future__ import annotations

from app.models import ArticleQuery
from tests.fetching.conftest import run_refresh
from tests.fetching.fixtures import rss
from tests.support.http import Reply

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
ETAG = 'W/"abc-123"'
LAST_MODIFIED = "Wed, 01 May 2024 12:00:00 GMT"


def test_etag_and_last_modified_round_trip_exactly(store, server):
    server.route(
        "/feed.xml",
        [
            Reply(200, rss("Round trip"), {**RSS, "ETag": ETAG, "Last-Modified": LAST_MODIFIED}),
            Reply(304, b"", {"ETag": ETAG}),
        ],
    )
    feed = store.add_feed(server.url("/feed.xml"))
    first = run_refresh(store)
    assert first.new_articles == 3
    stored = store.get_feed(feed.id)
    assert (stored.etag, stored.last_modified) == (ETAG, LAST_MODIFIED)
    before = stored.last_fetch

    second = run_refresh(store)
    req = server.requests_to("/feed.xml")
    assert "if-none-match" not in req[0].headers and "if-modified-since" not in req[0].headers
    assert req[1].headers["if-none-match"] == ETAG
    assert req[1].headers["if-modified-since"] == LAST_MODIFIED
    outcome = second.outcomes[0]
    assert (outcome.outcome, outcome.status, outcome.new_articles) == ("not_modified", 304, 0)
    after = store.get_feed(feed.id)
    assert after.last_fetch > before and after.last_status == 304
    assert (after.etag, after.last_modified, after.body_hash) == (ETAG, LAST_MODIFIED, stored.body_hash)
    assert store.count_articles(ArticleQuery(feed_ids=(feed.id,))) == 3


def test_a_304_with_a_new_etag_replaces_the_old_one(store, server):
    server.route("/f", [Reply(200, rss("E"), {**RSS, "ETag": '"v1"'}), Reply(304, b"", {"ETag": '"v2"'})])
    feed = store.add_feed(server.url("/f"))
    run_refresh(store)
    run_refresh(store)
    assert store.get_feed(feed.id).etag == '"v2"'


def test_same_body_without_validators_is_not_parsed_again(store, server):
    server.route("/plain.xml", Reply(200, rss("No validators"), RSS))
    feed = store.add_feed(server.url("/plain.xml"))
    assert run_refresh(store).outcomes[0].outcome == "updated"
    again = run_refresh(store).outcomes[0]
    assert (again.outcome, again.status, again.new_articles) == ("not_modified", 200, 0)
    assert store.get_feed(feed.id).body_hash
    assert store.count_articles(ArticleQuery(feed_ids=(feed.id,))) == 3


def test_a_changed_body_is_parsed_and_adds_only_new_items(store, server):
    server.route("/grow.xml", [Reply(200, rss("Grow", 2), RSS), Reply(200, rss("Grow", 4), RSS)])
    feed = store.add_feed(server.url("/grow.xml"))
    assert run_refresh(store).new_articles == 2
    report = run_refresh(store)
    assert report.new_articles == 2 and report.outcomes[0].outcome == "updated"
    assert store.count_articles(ArticleQuery(feed_ids=(feed.id,))) == 4
    assert store.get_feed(feed.id).title == "Grow"
