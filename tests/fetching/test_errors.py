"""Servers that misbehave: statuses, Retry-After, backoff, timeouts, caps, broken feeds."""

from __future__ import annotations

import gzip
import socket
import sqlite3
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from app.models import ArticleQuery
from tests.fetching.conftest import run_refresh
from tests.fetching.fixtures import rss
from tests.support.http import Reply

RSS = {"Content-Type": "application/rss+xml"}


def _delay(feed) -> float:
    return (feed.next_fetch - feed.last_fetch).total_seconds()


def test_410_disables_the_feed_with_a_message(store, server):
    server.route("/gone.xml", Reply(410, b"gone"))
    feed = store.add_feed(server.url("/gone.xml"))
    outcome = run_refresh(store).outcomes[0]
    assert outcome.error == "the feed is gone (410); it has been disabled — remove it or find its new address"
    assert outcome.disabled
    stored = store.get_feed(feed.id)
    assert not stored.enabled and stored.last_status == 410 and stored.last_error == outcome.error


def test_404_says_so_and_counts_an_error(store, server):
    feed = store.add_feed(server.url("/missing.xml"))
    outcome = run_refresh(store).outcomes[0]
    assert outcome.outcome == "error" and outcome.status == 404
    assert "404" in outcome.error and "no feed at this address" in outcome.error
    assert store.get_feed(feed.id).consecutive_errors == 1


def test_errors_back_off_exponentially_and_cap_at_a_day(store, server):
    server.route("/down.xml", Reply(500, b"oops"))
    feed = store.add_feed(server.url("/down.xml"))
    store.update_feed(feed.id, update_interval=600)
    run_refresh(store)
    assert _delay(store.get_feed(feed.id)) == pytest.approx(1200, abs=2)
    run_refresh(store)
    assert _delay(store.get_feed(feed.id)) == pytest.approx(2400, abs=2)
    store.update_feed(feed.id, update_interval=36000)
    run_refresh(store)  # 36000 * 2^3 would be 80 h
    assert _delay(store.get_feed(feed.id)) == pytest.approx(86400, abs=2)


def test_retry_after_seconds_on_429_is_honoured(store, server):
    server.route("/slow-down.xml", Reply(429, b"", {"Retry-After": "7200"}))
    feed = store.add_feed(server.url("/slow-down.xml"))
    store.update_feed(feed.id, update_interval=600)
    outcome = run_refresh(store).outcomes[0]
    assert outcome.status == 429 and "slow down" in outcome.error
    assert _delay(store.get_feed(feed.id)) == pytest.approx(7200, abs=2)


def test_retry_after_http_date_on_503_is_honoured(store, server):
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    server.route("/busy.xml", Reply(503, b"", {"Retry-After": format_datetime(when, usegmt=True)}))
    feed = store.add_feed(server.url("/busy.xml"))
    store.update_feed(feed.id, update_interval=600)
    run_refresh(store)
    assert abs((store.get_feed(feed.id).next_fetch - when).total_seconds()) < 3


def test_cache_control_max_age_is_a_lower_bound(store, server):
    server.route("/cached.xml", Reply(200, rss("Cached"), {**RSS, "Cache-Control": "public, max-age=7200"}))
    feed = store.add_feed(server.url("/cached.xml"))
    store.update_feed(feed.id, update_interval=600)
    run_refresh(store)
    assert _delay(store.get_feed(feed.id)) == pytest.approx(7200, abs=2)


def test_a_slow_server_hits_the_timeout(store, server):
    server.route("/sleepy.xml", Reply(200, rss("Sleepy"), RSS, delay=3))
    store.add_feed(server.url("/sleepy.xml"))
    report = run_refresh(store, timeout=0.5)
    # the server would have answered after 3 s, well inside the old default: only the timeout fails it
    assert report.outcomes[0].outcome == "error"
    assert "did not answer within 0.5 s" in report.outcomes[0].error


def test_the_timeout_covers_the_whole_body_not_each_read(store, server):
    body = rss("Trickle", 1200).encode()  # several 64 KiB chunks, each sent 0.2 s after the last
    assert len(body) > 3 * 65536
    server.route("/trickle.xml", Reply(200, body, RSS, chunk_delay=0.2))
    store.add_feed(server.url("/trickle.xml"))
    report = run_refresh(store, timeout=0.5)
    assert report.outcomes[0].outcome == "error"  # each read came in time; only the whole body did not
    assert "0.5 s" in report.outcomes[0].error


def test_a_refused_connection_is_a_clear_network_error(store):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store.add_feed(f"http://127.0.0.1:{port}/feed.xml")
    outcome = run_refresh(store).outcomes[0]
    assert outcome.outcome == "error" and outcome.status is None
    assert outcome.error.startswith("could not connect to 127.0.0.1")


def test_a_body_over_the_cap_errors(store, server):
    server.route("/huge.xml", Reply(200, rss("Huge", 600), RSS))
    store.add_feed(server.url("/huge.xml"))
    outcome = run_refresh(store, max_body_bytes=100_000).outcomes[0]
    assert "larger than" in outcome.error and "fetch.max_body_mb" in outcome.error


def test_the_cap_counts_decompressed_bytes(store, server):
    bomb = gzip.compress(b"<rss>" + b" " * 3_000_000)
    server.route("/bomb.xml", Reply(200, bomb, {**RSS, "Content-Encoding": "gzip"}))
    store.add_feed(server.url("/bomb.xml"))
    outcome = run_refresh(store, max_body_bytes=1_000_000).outcomes[0]
    assert len(bomb) < 1_000_000 and "larger than" in outcome.error


def test_a_malformed_feed_errors_and_the_others_go_on(store, server):
    broken_xml = '<?xml version="1.0"?>\n<rss version="2.0"><channel><<title>>x</channel>'
    server.route("/broken.xml", Reply(200, broken_xml, RSS))
    server.route(
        "/html", Reply(200, "<!doctype html><html><body>hello</body></html>", {"Content-Type": "text/html"})
    )
    server.route("/good.xml", Reply(200, rss("Good"), RSS))
    broken = store.add_feed(server.url("/broken.xml"))
    html = store.add_feed(server.url("/html"))
    good = store.add_feed(server.url("/good.xml"))
    report = run_refresh(store)
    by = report.by_feed()
    assert by[good.id].new_articles == 3 and by[good.id].ok
    assert by[broken.id].outcome == "error"
    assert by[broken.id].error.startswith("malformed XML at line 2")
    assert "not a feed" in by[html.id].error
    assert store.get_feed(broken.id).consecutive_errors == 1
    assert store.count_articles(ArticleQuery(feed_ids=(good.id,))) == 3
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
