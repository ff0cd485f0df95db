"""Read/starred flags, marking feeds and folders read (with older_than), and retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.errors import NotFoundError
from app.models import ArticleQuery, Summary
from app.storage import Store
from tests.storage.conftest import T0, fts_ok, make_item


def test_mark_read_and_star_report_real_changes(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    ids = store.upsert_articles(feed.id, [make_item(i) for i in range(5)]).new_ids
    assert store.mark_read(ids[:3]) == 3
    assert store.mark_read(ids[:4]) == 1  # three were read already
    assert store.mark_read([ids[0]], read=False) == 1
    assert store.mark_read([]) == 0
    assert store.mark_read([99999]) == 0
    assert store.star(ids[:2]) == 2 and store.star(ids[:2]) == 0
    assert store.star([ids[1]], starred=False) == 1
    assert store.unread_counts() == {feed.id: 2}
    assert store.smart_counts()["starred"] == 1


def test_mark_read_many_ids(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    ids = store.upsert_articles(feed.id, [make_item(i) for i in range(1200)]).new_ids
    assert store.mark_read(ids) == 1200  # more ids than SQLite's parameter limit of old versions
    assert store.unread_counts() == {}


def test_mark_feed_read_with_older_than_returns_ids_for_undo(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    other = store.add_feed("https://b.example/feed")
    ids = store.upsert_articles(feed.id, [make_item(i, days_ago=i) for i in range(6)]).new_ids
    store.upsert_articles(other.id, [make_item(50, days_ago=30)])
    store.mark_read([ids[5]])
    changed = store.mark_feed_read(feed.id, older_than=T0 - timedelta(days=2, hours=12))
    assert changed == sorted([ids[3], ids[4]])  # ids[5] was read already; ids 0-2 are newer
    assert store.mark_read(changed, read=False) == 2  # undo
    assert sorted(store.mark_feed_read(feed.id)) == sorted(ids[:5])
    assert store.unread_counts() == {other.id: 1}
    with pytest.raises(NotFoundError, match="no feed with id 777"):
        store.mark_feed_read(777)


def test_mark_folder_read_covers_subfolders(store: Store) -> None:
    top = store.add_folder("Top")
    sub = store.add_folder("Sub", top.id)
    f1 = store.add_feed("https://a.example/feed", folder_id=top.id)
    f2 = store.add_feed("https://b.example/feed", folder_id=sub.id)
    f3 = store.add_feed("https://c.example/feed")
    old = store.upsert_articles(f1.id, [make_item(1, days_ago=10)]).new_ids
    old += store.upsert_articles(f2.id, [make_item(2, days_ago=10), make_item(3, days_ago=0)]).new_ids
    store.upsert_articles(f3.id, [make_item(4, days_ago=10)])
    assert store.mark_folder_read(top.id, older_than=T0 - timedelta(days=1)) == sorted(old[:2])
    assert store.unread_counts() == {f2.id: 1, f3.id: 1}
    assert len(store.mark_folder_read(sub.id)) == 1
    with pytest.raises(NotFoundError, match="no folder"):
        store.mark_folder_read(4242)


def test_retention_keeps_unread_starred_and_recent(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    ids = store.upsert_articles(
        feed.id, [make_item(i, days_ago=d) for i, d in enumerate([100, 100, 100, 5])]
    ).new_ids
    old_read, old_starred, old_unread, recent_read = ids
    store.mark_read([old_read, old_starred, recent_read])
    store.star([old_starred])
    store.save_summary(Summary(old_read, "m", "v1", "s", T0))
    # first seen just now: nothing is old yet, however old its date
    assert store.apply_retention(default_days=30) == 0
    later = datetime.now(UTC) + timedelta(days=400)
    assert store.apply_retention(default_days=30, now=later) == 2  # old_read, and recent_read (dated 2024)
    remaining = set(store.query_ids(ArticleQuery()))
    assert remaining == {old_starred, old_unread}
    assert store._conn.execute("SELECT count(*) FROM summaries").fetchone()[0] == 0
    fts_ok(store)


def test_retention_per_feed_override_and_zero_keeps_all(store: Store) -> None:
    keep_all = store.add_feed("https://a.example/feed", title="keep")
    short = store.add_feed("https://b.example/feed", title="short")
    default = store.add_feed("https://c.example/feed", title="default")
    store.update_feed(keep_all.id, retention_days=0)
    store.update_feed(short.id, retention_days=3)
    for feed in (keep_all, short, default):
        store.mark_feed_read(feed.id)
        ids = store.upsert_articles(
            feed.id, [make_item(i, days_ago=i * 10) for i in range(3)]
        ).new_ids  # 0/10/20 days
        store.mark_read(ids)
    now = T0 + timedelta(days=1)
    # first_seen is the real clock; pretend those were seen long ago
    store._conn.execute("UPDATE articles SET first_seen = ?", ((T0 - timedelta(days=365)).timestamp(),))
    assert store.apply_retention(default_days=15, now=now) == 2 + 1  # short: 10 and 20 days; default: 20 days
    counts = {
        f.title: store.count_articles(ArticleQuery(feed_ids=(f.id,))) for f in (keep_all, short, default)
    }
    assert counts == {"keep": 3, "short": 1, "default": 2}
    assert store.apply_retention(default_days=0, now=now) == 0


def test_dropped_articles_do_not_come_back_unread(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    items = [make_item(i, days_ago=200) for i in range(3)]
    ids = store.upsert_articles(feed.id, items).new_ids
    store.mark_read(ids)
    store._conn.execute("UPDATE articles SET first_seen = ?", ((T0 - timedelta(days=365)).timestamp(),))
    assert store.apply_retention(default_days=30, now=T0) == 3
    result = store.upsert_articles(feed.id, [*items, make_item(9)])  # the feed still lists them
    assert len(result.new_ids) == 1 and store.unread_counts() == {feed.id: 1}
    # tombstones expire after a year
    store.apply_retention(default_days=30, now=T0 + timedelta(days=400))
    assert len(store.upsert_articles(feed.id, items).new_ids) == 3
