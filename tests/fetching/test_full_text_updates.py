"""Full text for teaser feeds, kept up to date against real HTTP servers on 127.0.0.1: pages that answer
429/503 (Retry-After honoured, retries bounded, the host waits too) and items edited upstream."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

pytest.importorskip("trafilatura")

from app.fetching.full_text import BUSY_BACKOFF, MAX_BUSY_ATTEMPTS, busy_retry_at, pause
from app.fetching.schedule import MAX_RETRY_AFTER
from app.models import ParsedItem
from tests.fetching.test_full_text import (
    HTML,
    RSS,
    article_page,
    articles_by_guid,
    refresh,
    serve_teasers,
    teaser_feed,
)
from tests.support.http import Reply


# busy servers (429/503) --------------------------------------------------------------------------
def attempt_row(store, article_id: int) -> tuple:
    return store._conn.execute(
        "SELECT status, attempts, retry_at, error FROM article_full_text WHERE article_id = ?", (article_id,)
    ).fetchone()


def test_a_busy_page_with_a_short_retry_after_is_asked_again_in_the_same_refresh(store, server):
    url = serve_teasers(server, 2)
    past = format_datetime(datetime.now(UTC) - timedelta(minutes=1), usegmt=True)
    server.route(
        "/a/0",
        [
            Reply(429, "slow down", {"Retry-After": "0"}),
            Reply(503, "busy", {"Retry-After": past}),  # an HTTP date already passed: ask at once
            Reply(200, article_page(0), HTML),
        ],
    )
    feed = store.add_feed(url)
    refresh(store, feed.id)
    articles = articles_by_guid(store, feed.id)
    assert len(server.requests_to("/a/0")) == 3
    assert "Part 5 of story 0." in articles["story-0"].content_html
    assert store.full_text_errors([a.id for a in articles.values()]) == {}
    assert attempt_row(store, articles["story-0"].id)[:3] == (200, 0, None)


def test_a_page_busy_for_longer_waits_for_a_later_refresh_and_so_does_its_host(store, hosts):
    busy, other = hosts(1), hosts(2)
    base = busy.url("").rstrip("/")
    doc = teaser_feed(base, 3).replace(f"{base}/a/2", other.url("/a/2"))
    busy.route("/feed.xml", Reply(200, doc, RSS))
    busy.route("/a/0", [Reply(429, "slow down", {"Retry-After": "3600"}), Reply(200, article_page(0), HTML)])
    busy.route("/a/1", Reply(200, article_page(1), HTML))
    other.route("/a/2", Reply(200, article_page(2), HTML))
    feed = store.add_feed(busy.url("/feed.xml"))
    before = time.time()
    refresh(store, feed.id)
    articles = articles_by_guid(store, feed.id)
    story0 = articles["story-0"].id
    # the newest page said "an hour": not waited for, not asked again; its host's next page waits too,
    # while a page on another host is fetched
    assert len(busy.requests_to("/a/0")) == 1 and busy.requests_to("/a/1") == []
    assert "Part 5 of story 2." in articles["story-2"].content_html
    status, attempts, retry_at, error = attempt_row(store, story0)
    assert (status, attempts) == (429, 1) and retry_at >= before + 3600
    assert "slow down" in error and "The first lines of story 0" in articles["story-0"].content_html
    refresh(store, feed.id)  # within the hour: that host is left alone
    assert len(busy.requests_to("/a/0")) == 1 and busy.requests_to("/a/1") == []
    # the hour has passed: both pages are fetched, and the busy mark is gone
    store._conn.execute("UPDATE article_full_text SET retry_at = ? WHERE article_id = ?", (before, story0))
    store._conn.commit()
    refresh(store, feed.id)
    articles = articles_by_guid(store, feed.id)
    assert len(busy.requests_to("/a/0")) == 2 and len(busy.requests_to("/a/1")) == 1
    assert "Part 5 of story 0." in articles["story-0"].content_html
    assert "Part 5 of story 1." in articles["story-1"].content_html
    assert attempt_row(store, story0)[:3] == (200, 0, None)
    assert len(other.requests_to("/a/2")) == 1


def test_a_503_without_retry_after_backs_off_and_a_page_that_stays_busy_is_given_up(store, server):
    url = serve_teasers(server, 1)
    server.route("/a/0", Reply(503, "down for maintenance"))
    feed = store.add_feed(url)
    store.set_full_text(feed.id, "on")  # one item is too few for detection
    article = None
    for expected in range(1, MAX_BUSY_ATTEMPTS + 1):
        if expected > 1:  # the backoff has passed
            store._conn.execute("UPDATE article_full_text SET retry_at = 0 WHERE retry_at IS NOT NULL")
            store._conn.commit()
        before = time.time()
        refresh(store, feed.id)
        assert len(server.requests_to("/a/0")) == expected  # no Retry-After: not retried in the refresh
        (article,) = articles_by_guid(store, feed.id).values()
        status, attempts, retry_at, error = attempt_row(store, article.id)
        assert (status, attempts) == (503, expected) and "unavailable" in error
        if expected < MAX_BUSY_ATTEMPTS:
            assert retry_at >= before + BUSY_BACKOFF * 2 ** (expected - 1)
        else:
            assert retry_at is None  # given up: the error stays, the feed's text is kept
    refresh(store, feed.id)  # given up: not asked again
    assert len(server.requests_to("/a/0")) == MAX_BUSY_ATTEMPTS
    assert article is not None and "503" in store.full_text_errors([article.id])[article.id]


def test_busy_retry_times_follow_the_backoff_the_server_and_the_bounds():
    now = 1_000_000.0
    assert busy_retry_at(1, None, now) == now + BUSY_BACKOFF
    assert busy_retry_at(2, None, now) == now + 2 * BUSY_BACKOFF
    assert busy_retry_at(1, 7200.0, now) == now + 7200.0  # the server asked for longer
    assert busy_retry_at(1, 10.0, now) == now + BUSY_BACKOFF  # ...or for less: the backoff holds
    assert busy_retry_at(2, 10 * 365 * 86400.0, now) == now + MAX_RETRY_AFTER
    assert busy_retry_at(MAX_BUSY_ATTEMPTS, None, now) is None


def test_a_wait_ends_early_when_the_refresh_is_cancelled():
    import asyncio
    import threading

    cancel = threading.Event()
    cancel.set()
    assert asyncio.run(pause(3600.0, cancel)) is False
    assert asyncio.run(pause(0.0, threading.Event())) is True


# items edited upstream ---------------------------------------------------------------------------
def test_an_item_edited_upstream_gets_its_page_again(store, server):
    base = server.url("").rstrip("/")
    first = teaser_feed(base, 2)
    edited = first.replace("The first lines of story 0", "Corrected first lines of story 0")
    server.route("/feed.xml", [Reply(200, first, RSS), Reply(200, first, RSS), Reply(200, edited, RSS)])
    correction = "<p>Correction: the harbour wall is now to be rebuilt in the spring, not the winter.</p>"
    server.route(
        "/a/0", [Reply(200, article_page(0), HTML), Reply(200, article_page(0, extra=correction), HTML)]
    )
    server.route("/a/1", Reply(200, article_page(1), HTML))
    feed = store.add_feed(server.url("/feed.xml"))
    refresh(store, feed.id)
    refresh(store, feed.id)  # unchanged: no page is fetched again
    assert len(server.requests_to("/a/0")) == 1 and len(server.requests_to("/a/1")) == 1
    refresh(store, feed.id)  # story 0 was edited upstream: its page again, story 1's not
    assert len(server.requests_to("/a/0")) == 2 and len(server.requests_to("/a/1")) == 1
    articles = articles_by_guid(store, feed.id)
    assert "rebuilt in the spring" in articles["story-0"].content_html
    assert "Corrected first lines of story 0" in articles["story-0"].summary_html
    assert {row.id for row in store.search("spring")} == {articles["story-0"].id}
    assert "Part 5 of story 1." in articles["story-1"].content_html
    refresh(store, feed.id)  # the edit is settled: nothing fetched again
    assert len(server.requests_to("/a/0")) == 2


def test_an_edited_item_whose_page_had_failed_is_tried_again(store, server):
    base = server.url("").rstrip("/")
    first = teaser_feed(base, 1)
    edited = first.replace("<title>Story 0</title>", "<title>Story 0 (updated)</title>")
    server.route("/feed.xml", [Reply(200, first, RSS), Reply(200, edited, RSS)])
    server.route(
        "/a/0", [Reply(404, "<html><body>Not yet</body></html>", HTML), Reply(200, article_page(0), HTML)]
    )
    feed = store.add_feed(server.url("/feed.xml"))
    store.set_full_text(feed.id, "on")
    refresh(store, feed.id)
    (article,) = articles_by_guid(store, feed.id).values()
    assert "404" in store.full_text_errors([article.id])[article.id]
    refresh(store, feed.id)
    (article,) = articles_by_guid(store, feed.id).values()
    assert len(server.requests_to("/a/0")) == 2 and "Part 5 of story 0." in article.content_html
    assert store.full_text_errors([article.id]) == {}


def test_pages_fetched_before_the_upgrade_are_not_fetched_again(tmp_path):
    from app.storage import open_store
    from app.storage.db import connect
    from app.storage.migrations import migrate
    from app.storage.text import item_hash

    path = tmp_path / "v7.sqlite3"
    conn = connect(path)
    migrate(conn, target=7)
    item = ParsedItem(guid="g1", url="https://news.example/a/1", title="One", summary_html="<p>Teaser…</p>")
    conn.execute(
        "INSERT INTO feeds(id, url, title, created) VALUES (1, 'https://news.example/feed', 'News', ?)",
        (time.time(),),
    )
    conn.execute(
        "INSERT INTO articles(id, feed_id, sort_date, title, url, first_seen, content_hash, guid, summary_html, "
        "content_html) VALUES (1, 1, ?, 'One', ?, ?, ?, 'g1', '<p>Teaser…</p>', '<p>The whole story</p>')",
        (time.time(), item.url, time.time(), item_hash(item)),
    )
    conn.execute("INSERT INTO feed_full_text(feed_id, mode) VALUES (1, 'on')")
    conn.execute(
        "INSERT INTO article_full_text(article_id, fetched_at, status) VALUES (1, ?, 200)", (time.time(),)
    )
    conn.commit()
    conn.close()
    with open_store(path) as store:
        assert store.full_text_candidates(1, 20) == []
        assert attempt_row(store, 1)[:3] == (200, 0, None)
