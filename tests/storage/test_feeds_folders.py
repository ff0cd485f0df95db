"""Folders and feeds: create, read, update, delete, and the rules around them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.errors import NotFoundError, StorageError
from app.models import ArticleQuery, FetchState, ParsedFeed, ParsedItem
from app.storage import Store, open_store
from tests.storage.conftest import T0, make_item


def test_folders_nest_rename_move_and_refuse_cycles(store: Store) -> None:
    tech = store.add_folder("Tech")
    rust = store.add_folder("Rust", tech.id)
    deep = store.add_folder("Async", rust.id)
    assert store.get_folder(deep.id).parent_id == rust.id
    assert [f.name for f in store.list_folders()] == ["Tech", "Rust", "Async"]

    store.rename_folder(rust.id, "  Rust   lang ")
    assert store.get_folder(rust.id).name == "Rust lang"
    with pytest.raises(StorageError, match="inside itself"):
        store.move_folder(tech.id, deep.id)
    with pytest.raises(StorageError, match="inside itself"):
        store.move_folder(tech.id, tech.id)
    store.move_folder(deep.id, None)
    assert store.get_folder(deep.id).parent_id is None


def test_folder_names_are_unique_among_siblings(store: Store) -> None:
    tech = store.add_folder("Tech")
    store.add_folder("News", tech.id)
    with pytest.raises(StorageError, match="already exists"):
        store.add_folder("tech")
    with pytest.raises(StorageError, match="needs a name"):
        store.add_folder("   ")
    other = store.add_folder("News")  # same name at another level is fine
    assert other.parent_id is None
    with pytest.raises(NotFoundError):
        store.add_folder("X", 999)


def test_remove_folder_moves_feeds_and_subfolders_up(store: Store) -> None:
    top = store.add_folder("Top")
    mid = store.add_folder("Mid", top.id)
    low = store.add_folder("Low", mid.id)
    feed = store.add_feed("https://a.example/feed", folder_id=mid.id)
    store.remove_folder(mid.id)
    assert store.get_feed(feed.id).folder_id == top.id
    assert store.get_folder(low.id).parent_id == top.id
    with pytest.raises(NotFoundError, match="no folder with id"):
        store.get_folder(mid.id)


def test_add_get_find_list_feeds(store: Store) -> None:
    folder = store.add_folder("F")
    b = store.add_feed(
        "https://b.example/feed", title="beta", folder_id=folder.id, site_url="https://b.example/"
    )
    a = store.add_feed(" https://a.example/feed ", title="Alpha")
    z = store.add_feed("zhihu:123", kind="zhihu.people.activities", params={"id": "123", "x": 1})
    assert a.url == "https://a.example/feed" and a.enabled and a.created is not None
    assert store.get_feed(b.id).site_url == "https://b.example/"
    assert store.get_feed(z.id).params == {"id": "123", "x": 1}
    assert store.find_feed_by_url("https://b.example/feed").id == b.id  # type: ignore[union-attr]
    assert store.find_feed_by_url("https://nope.example/") is None
    assert [f.title for f in store.list_feeds()] == ["Alpha", "beta", ""]
    assert [f.id for f in store.list_feeds(folder_id=folder.id)] == [b.id]
    assert {f.id for f in store.list_feeds(folder_id=None)} == {a.id, z.id}
    with pytest.raises(NotFoundError, match="no feed with id 999"):
        store.get_feed(999)


def test_duplicate_subscription_is_refused(store: Store) -> None:
    store.add_feed("https://a.example/feed")
    with pytest.raises(StorageError, match="already subscribed"):
        store.add_feed("https://a.example/feed", title="again")
    # the same URL with another kind or other params is another subscription
    store.add_feed("https://a.example/feed", kind="script", params={"cmd": "x"})
    store.add_feed("https://a.example/feed", kind="script", params={"cmd": "y"})
    with pytest.raises(StorageError, match="already subscribed"):
        store.add_feed("https://a.example/feed", kind="script", params={"cmd": "y"})


def test_update_feed_settings(store: Store) -> None:
    folder = store.add_folder("F")
    feed = store.add_feed("https://a.example/feed")
    other = store.add_feed("https://b.example/feed")
    updated = store.update_feed(
        feed.id,
        title="  New   title ",
        folder_id=folder.id,
        update_interval=900,
        user_agent="Custom/1",
        extra_headers={"X-Key": "v"},
        enabled=False,
        retention_days=7,
        params={"a": 1},
    )
    assert updated.title == "New title" and updated.folder_id == folder.id
    assert updated.update_interval == 900 and updated.user_agent == "Custom/1"
    assert updated.extra_headers == {"X-Key": "v"} and not updated.enabled and updated.retention_days == 7
    assert updated.params == {"a": 1}
    with pytest.raises(StorageError, match="already subscribed"):
        store.update_feed(other.id, url="https://a.example/feed", params={"a": 1})
    with pytest.raises(StorageError, match="cannot update"):
        store.update_feed(feed.id, etag="x")
    with pytest.raises(NotFoundError):
        store.update_feed(feed.id, folder_id=12345)
    assert store.update_feed(feed.id, folder_id=None).folder_id is None


def test_remove_feed_deletes_articles_statuses_summaries_and_search(store: Store) -> None:
    from app.models import Summary

    feed = store.add_feed("https://a.example/feed")
    keep = store.add_feed("https://b.example/feed")
    ids = store.upsert_articles(feed.id, [make_item(i, title=f"zebra {i}") for i in range(3)]).new_ids
    store.upsert_articles(keep.id, [make_item(9, title="zebra kept")])
    store.save_summary(Summary(ids[0], "m", "v1", "short", T0))
    store.remove_feed(feed.id)
    assert [r.title for r in store.search("zebra")] == ["zebra kept"]
    conn = store._conn
    for table in ("articles", "statuses", "article_search"):
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM summaries").fetchone()[0] == 0
    with pytest.raises(NotFoundError):
        store.remove_feed(feed.id)


def test_due_feeds(store: Store) -> None:
    now = datetime.now(UTC)
    never = store.add_feed("https://a.example/feed")
    due = store.add_feed("https://b.example/feed")
    later = store.add_feed("https://c.example/feed")
    off = store.add_feed("https://d.example/feed")
    ok = FetchState(fetched_at=now, next_fetch=now - timedelta(minutes=1), status=200)
    store.record_fetch(due.id, ok)
    store.record_fetch(later.id, FetchState(fetched_at=now, next_fetch=now + timedelta(hours=1), status=200))
    store.update_feed(off.id, enabled=False)
    assert [f.id for f in store.due_feeds(now)] == [never.id, due.id]
    assert [f.id for f in store.due_feeds(now + timedelta(hours=2))] == [never.id, due.id, later.id]


def test_record_fetch_success_error_and_validators(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    now = datetime(2024, 5, 1, tzinfo=UTC)
    parsed = ParsedFeed(
        title=" The  Feed ", site_url="https://a.example/", icon_url="https://a.example/i.png",
        items=(make_item(1), make_item(2)),
    )  # fmt: skip
    result = store.record_fetch(
        feed.id,
        FetchState(fetched_at=now, next_fetch=now + timedelta(hours=1), status=200, etag='"v1"',
                   last_modified="Wed, 01 May 2024 00:00:00 GMT", body_hash="h1"),
        parsed,
    )  # fmt: skip
    assert len(result.new_ids) == 2
    got = store.get_feed(feed.id)
    assert (got.title, got.site_url, got.icon_url) == (
        "The Feed",
        "https://a.example/",
        "https://a.example/i.png",
    )
    assert (got.etag, got.last_modified, got.body_hash, got.last_status) == (
        '"v1"', "Wed, 01 May 2024 00:00:00 GMT", "h1", 200,
    )  # fmt: skip
    assert got.last_fetch == now and got.next_fetch == now + timedelta(hours=1)

    # errors count up and keep the validators; a 304 without validators keeps them too
    for n in (1, 2):
        store.record_fetch(
            feed.id, FetchState(fetched_at=now, next_fetch=now, status=503, error="server error")
        )
        got = store.get_feed(feed.id)
        assert got.consecutive_errors == n and got.last_error == "server error" and got.etag == '"v1"'
    store.record_fetch(feed.id, FetchState(fetched_at=now, next_fetch=now, status=304))
    got = store.get_feed(feed.id)
    assert (
        got.consecutive_errors == 0
        and got.last_error is None
        and got.etag == '"v1"'
        and got.body_hash == "h1"
    )

    # a later fetch never overwrites a title the user has
    store.update_feed(feed.id, title="Mine")
    store.record_fetch(
        feed.id, FetchState(fetched_at=now, next_fetch=now, status=200), ParsedFeed(title="Theirs")
    )
    assert store.get_feed(feed.id).title == "Mine"


def test_record_fetch_moved_and_gone(store: Store) -> None:
    feed = store.add_feed("https://old.example/feed")
    taken = store.add_feed("https://taken.example/feed")
    now = datetime(2024, 5, 1, tzinfo=UTC)
    store.record_fetch(feed.id, FetchState(now, now, 200, new_url="https://new.example/feed"))
    assert store.get_feed(feed.id).url == "https://new.example/feed"
    # a redirect onto another subscription's URL keeps the old URL instead of failing the whole fetch
    store.record_fetch(feed.id, FetchState(now, now, 200, new_url=taken.url))
    assert store.get_feed(feed.id).url == "https://new.example/feed"
    store.record_fetch(feed.id, FetchState(now, now, 410, error="gone", disable=True))
    got = store.get_feed(feed.id)
    assert not got.enabled and got.last_status == 410 and got.consecutive_errors == 1
    assert feed.id not in [f.id for f in store.due_feeds(now)]


def test_record_fetch_is_one_transaction(store: Store) -> None:
    """A failure while storing items leaves the feed row as it was (nothing half-written)."""
    feed = store.add_feed("https://a.example/feed")
    now = datetime(2024, 5, 1, tzinfo=UTC)
    bad = ParsedItem(guid="g", url=None, title=object())  # type: ignore[arg-type]  # fails half-way
    with pytest.raises(AttributeError):
        store.record_fetch(
            feed.id, FetchState(now, now, 200, etag="e"), ParsedFeed(title="T", items=(make_item(1), bad))
        )
    got = store.get_feed(feed.id)
    assert got.etag is None and got.last_status is None and got.title == ""
    assert store.count_articles(ArticleQuery()) == 0
    store.record_fetch(
        feed.id, FetchState(now, now, 200, etag="e"), ParsedFeed(title="T", items=(make_item(1),))
    )
    assert store.get_feed(feed.id).etag == "e"


def test_open_store_refuses_a_file_that_is_not_a_database(tmp_path) -> None:
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match="cannot"):
        open_store(path)


def test_pragmas(store: Store) -> None:
    conn = store._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
