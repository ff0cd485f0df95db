"""Readers are never blocked by a writer (WAL), and a second writer waits its turn (busy_timeout)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.errors import StorageError
from app.models import ArticleQuery
from app.storage import Store, open_store
from tests.storage.conftest import make_item


def test_reader_reads_while_another_connection_holds_a_write_transaction(store: Store, db_path: Path) -> None:
    feed = store.add_feed("https://a.example/feed", title="A")
    committed = store.upsert_articles(feed.id, [make_item(i) for i in range(5)]).new_ids
    reader = open_store(db_path)
    # a reader that had to wait for any lock would now fail at once ("database is locked") instead
    # of waiting: "never blocked" is checked as behaviour, not with a stopwatch
    reader._conn.execute("PRAGMA busy_timeout = 0")
    try:
        with store._write():  # the refresher is in the middle of a feed
            store._upsert(feed.id, [make_item(i) for i in range(5, 10)])
            store._conn.execute("UPDATE feeds SET title = 'changing' WHERE id = ?", (feed.id,))
            ids = reader.query_ids(ArticleQuery())
            rows = reader.rows(ids)
            counts = reader.unread_counts()
            found = reader.search("item")
            # the reader sees the last committed state
            assert sorted(ids) == sorted(committed) and counts == {feed.id: 5} and len(found) == 5
            assert {r.feed_title for r in rows} == {"A"}
        assert len(reader.query_ids(ArticleQuery())) == 10  # and the new state once committed
    finally:
        reader.close()


def test_second_writer_waits_for_the_first(store: Store, db_path: Path) -> None:
    feed = store.add_feed("https://a.example/feed")
    entered, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def other_writer() -> None:
        entered.wait(5)
        other = open_store(db_path)  # one Store per thread
        try:
            outcome["new"] = len(other.upsert_articles(feed.id, [make_item(100)]).new_ids)
        finally:
            other.close()

    thread = threading.Thread(target=other_writer)
    thread.start()
    with store._write():
        store._upsert(feed.id, [make_item(1)])
        entered.set()
        release.wait(0.3)  # hold the write lock a moment: a window for a writer that did not wait
        assert "new" not in outcome  # the other writer has not written while we hold the lock
    thread.join(30)
    assert not thread.is_alive()
    assert outcome["new"] == 1
    assert store.count_articles(ArticleQuery()) == 2


def test_a_writer_that_waits_too_long_gets_a_clear_error(store: Store, db_path: Path) -> None:
    feed = store.add_feed("https://a.example/feed")
    other = open_store(db_path)
    try:
        other._conn.execute("PRAGMA busy_timeout = 50")  # instead of 5 s, to keep the test quick
        with store._write():
            store._upsert(feed.id, [make_item(1)])
            with pytest.raises(StorageError, match="busy"):
                other.mark_read([1])
        assert other.mark_read([1]) == 1  # fine once the first writer is done
    finally:
        other.close()
