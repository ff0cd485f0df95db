"""The refresher: which feeds, progress, cancellation, sources, retention, and a killed refresh."""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.errors import BlockedError, NotFoundError
from app.fetching import Refresher
from app.models import ArticleQuery, ParsedFeed, ParsedItem
from app.storage import open_store
from tests.fetching.conftest import TEST_OPTIONS, run_refresh
from tests.fetching.fixtures import rss
from tests.support.http import LocalServer, Reply

RSS = {"Content-Type": "application/rss+xml"}
ROOT = Path(__file__).resolve().parents[2]


def _feeds(store, server, n, *, delay=0.0):
    ids = []
    for i in range(n):
        server.route(f"/f{i}.xml", Reply(200, rss(f"Feed {i}", 3, prefix=f"f{i}"), RSS, delay=delay))
        ids.append(store.add_feed(server.url(f"/f{i}.xml")).id)
    return ids


def test_progress_reports_every_feed_on_the_calling_thread(store, server):
    ids = _feeds(store, server, 3)
    seen = []
    with Refresher(store, options=TEST_OPTIONS) as refresher:
        report = refresher.refresh(
            all=True,
            progress=lambda done, total, feed, outcome: seen.append(
                (done, total, feed.id, outcome.new_articles, threading.get_ident())
            ),
        )
    assert [s[:2] for s in seen] == [(1, 3), (2, 3), (3, 3)]
    assert sorted(s[2] for s in seen) == ids and all(s[3] == 3 for s in seen)
    assert {s[4] for s in seen} == {threading.get_ident()}
    assert (report.done, report.total, report.new_articles, report.cancelled) == (3, 3, 9, False)


def test_due_feeds_by_default_all_with_all_and_named_ones_with_ids(store, server):
    a, b = _feeds(store, server, 2)
    assert len(run_refresh(store).outcomes) == 2  # both new, so both due
    with Refresher(store, options=TEST_OPTIONS) as refresher:
        assert refresher.refresh().total == 0  # nothing due for an hour
        assert refresher.refresh(all=True).total == 2
        assert [o.feed_id for o in refresher.refresh(feed_ids=[b]).outcomes] == [b]
        store.update_feed(a, enabled=False)
        assert refresher.refresh(all=True).total == 1
        with pytest.raises(NotFoundError):
            refresher.refresh(feed_ids=[a, 999])
    assert len(server.requests) == 6  # 2 + 2 + 1 + 1: the unknown id stopped the last one early


def test_cancel_stops_promptly_and_keeps_what_was_committed(store, server):
    ids = _feeds(store, server, 8, delay=0.15)  # one host: one after another, ~1.2 s in all
    cancel = threading.Event()

    def progress(done, total, feed, outcome):
        if done == 2:
            cancel.set()

    with Refresher(store, options=TEST_OPTIONS) as refresher:
        report = refresher.refresh(all=True, progress=progress, cancel=cancel)
    assert report.cancelled and 2 <= report.done < 8
    assert len(server.requests) <= report.done + 1
    for outcome in report.outcomes:
        assert store.count_articles(ArticleQuery(feed_ids=(outcome.feed_id,))) == 3
    untouched = set(ids) - {o.feed_id for o in report.outcomes}
    assert untouched and all(store.get_feed(i).last_fetch is None for i in untouched)


def test_sources_go_through_the_injected_adapter(store):
    feed = store.add_feed(
        "https://www.zhihu.com/people/someone", kind="zhihu.people", params={"id": "someone"}
    )
    calls = []

    async def fetch_source(f):
        calls.append(f.id)
        item = ParsedItem(
            guid="a1", url="https://www.zhihu.com/a/1", title="An answer", content_html="<p>x</p>"
        )
        return ParsedFeed(title="Someone on Zhihu", items=(item,), format="zhihu")

    with Refresher(store, options=TEST_OPTIONS, fetch_source=fetch_source) as refresher:
        report = refresher.refresh(all=True)
    assert calls == [feed.id] and report.new_articles == 1
    assert store.get_feed(feed.id).title == "Someone on Zhihu"


def test_a_sites_feeds_come_due_spread_over_the_interval_not_as_a_burst(store):
    ids = [
        store.add_feed(f"https://www.zhihu.com/people/u{i}", kind="zhihu.people", params={"id": f"u{i}"}).id
        for i in range(12)
    ]

    async def fetch_source(f):
        return ParsedFeed(title=f"u{f.id}", items=(), format="zhihu")

    before = datetime.now(UTC)
    with Refresher(store, options=TEST_OPTIONS, fetch_source=fetch_source) as refresher:
        refresher.refresh(all=True)
    interval = TEST_OPTIONS.default_interval
    due = sorted(store.get_feed(i).next_fetch.timestamp() - before.timestamp() for i in ids)
    assert all(interval / 2 - 2 <= d <= interval * 1.5 + 2 for d in due)
    gaps = [b - a for a, b in itertools.pairwise(due)]
    assert min(gaps) > interval / 12 / 4  # no two feeds of the site come due together


def test_a_source_feed_without_an_adapter_errors(store):
    store.add_feed("https://www.zhihu.com/people/x", kind="zhihu.people", params={"id": "x"})
    report = run_refresh(store)
    assert report.outcomes[0].error.startswith("no source adapter for zhihu.people")


def test_a_blocked_source_waits_until_the_site_allows(store):
    feed = store.add_feed("https://www.zhihu.com/people/y", kind="zhihu.people", params={"id": "y"})
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=5)

    async def fetch_source(f):
        raise BlockedError("zhihu.com asked us to stop", status=403, until=until, hint="wait")

    with Refresher(store, options=TEST_OPTIONS, fetch_source=fetch_source) as refresher:
        outcome = refresher.refresh(all=True).outcomes[0]
    assert outcome.error == "zhihu.com asked us to stop — wait"
    assert abs((store.get_feed(feed.id).next_fetch - until).total_seconds()) < 2


def test_retention_runs_after_a_refresh(store, server):
    (feed_id,) = _feeds(store, server, 1)
    run_refresh(store)
    ids = store.query_ids(ArticleQuery(feed_ids=(feed_id,)))
    store.mark_read(ids[:2])
    old = (datetime.now(UTC) - timedelta(days=30)).timestamp()
    with sqlite3.connect(store.path) as conn:  # age the rows: fetched and dated a month ago
        conn.execute("UPDATE articles SET first_seen = ?, sort_date = ?", (old, old))
    with Refresher(store, options=TEST_OPTIONS, retention_days=7) as refresher:
        report = refresher.refresh(all=True)
    assert report.retention_deleted == 2
    assert store.count_articles(ArticleQuery(feed_ids=(feed_id,))) == 1


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for proc_dir in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc_dir / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (proc_dir / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            found.append(int(proc_dir.name))
    return found


def test_killing_a_refresh_midway_loses_nothing_already_committed(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with LocalServer(host="127.0.0.2") as server:
        store = open_store(data / "hearth.sqlite3")
        ids = _feeds(store, server, 12, delay=0.2)  # one host: ~2.4 s for all twelve
        store.close()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("HEARTH_DATA_DIR", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "--data-dir", str(data), "refresh", "--all", "-q"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            watcher = open_store(data / "hearth.sqlite3")
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                done = [f for f in watcher.list_feeds() if f.last_fetch is not None]
                if len(done) >= 3:
                    break
                time.sleep(0.02)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            watcher.close()
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == -signal.SIGKILL
    # its parse workers go with it (nothing of a killed Hearth keeps running)
    deadline = time.monotonic() + 10
    while _processes_mentioning(str(data)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_mentioning(str(data)) == []
    with sqlite3.connect(data / "hearth.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    after = open_store(data / "hearth.sqlite3")
    fetched = [f for f in after.list_feeds() if f.last_fetch is not None]
    assert 3 <= len(fetched) < len(ids)
    for feed in after.list_feeds():
        count = after.count_articles(ArticleQuery(feed_ids=(feed.id,)))
        # each feed is all or nothing: its state and its articles were one transaction
        assert count == (3 if feed.last_fetch is not None else 0)
        assert (feed.title != "") == (feed.last_fetch is not None)
    after.close()
