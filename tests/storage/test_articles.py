"""Upserting parsed items: new, unchanged (nothing written, status kept) and updated articles."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from app.errors import NotFoundError
from app.models import ArticleQuery, Enclosure, ParsedItem
from app.storage import Store
from tests.storage.conftest import T0, fts_ok, make_item


def _changes(store: Store) -> int:
    return store._conn.total_changes


def test_new_items_are_inserted_unread_in_feed_order(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    enc = Enclosure("https://a.example/ep1.mp3", "audio/mpeg", 1234)
    items = [make_item(i, days_ago=i, author="Ann", enclosures=(enc,)) for i in range(3)]
    result = store.upsert_articles(feed.id, items)
    assert len(result.new_ids) == 3 and result.updated == 0 and result.unchanged == 0
    first = store.get_article(result.new_ids[0])
    assert first.guid == "urn:item:0" and first.title == "Item 0" and first.author == "Ann"
    assert first.published == T0 and first.enclosures == (enc,) and not first.read and not first.starred
    assert first.first_seen.tzinfo is not None
    assert store.query_ids(ArticleQuery(feed_ids=(feed.id,))) == list(result.new_ids)  # newest first
    fts_ok(store)


def test_unchanged_items_write_nothing_and_keep_status(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    items = [make_item(i, days_ago=i) for i in range(50)]
    ids = store.upsert_articles(feed.id, items).new_ids
    store.mark_read(ids[:10])
    store.star(ids[:2])
    before = _changes(store)
    result = store.upsert_articles(feed.id, items)
    assert result == type(result)(new_ids=(), updated=0, unchanged=50)
    assert _changes(store) == before  # not one row written
    assert [store.get_article(i).read for i in ids[:11]] == [True] * 10 + [False]
    assert store.get_article(ids[0]).starred


def test_updated_item_changes_content_but_keeps_status(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    item = make_item(1, title="Old title", body="<p>old words</p>", days_ago=1)
    (article_id,) = store.upsert_articles(feed.id, [item]).new_ids
    store.mark_read([article_id])
    store.star([article_id])
    first_seen = store.get_article(article_id).first_seen
    newer = replace(item, title="New title", content_html="<p>fresh words</p>", updated=T0)
    result = store.upsert_articles(feed.id, [newer])
    assert result.updated == 1 and result.new_ids == () and result.unchanged == 0
    got = store.get_article(article_id)
    assert (got.title, got.content_html, got.updated) == ("New title", "<p>fresh words</p>", T0)
    assert got.read and got.starred and got.first_seen == first_seen
    assert [r.id for r in store.search("fresh")] == [article_id]
    assert store.search("old") == []
    fts_ok(store)


def test_guid_is_unique_per_feed_not_globally(store: Store) -> None:
    a = store.add_feed("https://a.example/feed")
    b = store.add_feed("https://b.example/feed")
    item = make_item(1)
    assert len(store.upsert_articles(a.id, [item, item]).new_ids) == 1  # a repeated guid counts once
    assert len(store.upsert_articles(b.id, [item]).new_ids) == 1
    assert store.smart_counts()["all"] == 2


def test_future_dates_sort_as_now(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    future = make_item(1, published=T0.replace(year=2999))
    normal = make_item(2, days_ago=0)
    ids = store.upsert_articles(feed.id, [future, normal]).new_ids
    row = store.rows([ids[0]])[0]
    assert row.published is not None and row.published.year < 2999
    assert store.get_article(ids[0]).published == future.published  # the feed's own value is kept


def test_get_article_and_rows(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed", title="Feed A")
    untitled = store.add_feed("https://b.example/feed")
    ids = store.upsert_articles(feed.id, [make_item(i, days_ago=i) for i in range(3)]).new_ids
    (other,) = store.upsert_articles(untitled.id, [make_item(7)]).new_ids
    rows = store.rows([ids[2], other, 424242, ids[0]])
    assert [r.id for r in rows] == [ids[2], other, ids[0]]
    assert rows[0].feed_title == "Feed A" and rows[1].feed_title == "https://b.example/feed"
    assert rows[0].published == make_item(2, days_ago=2).published
    assert store.rows([]) == []
    with pytest.raises(NotFoundError, match="no article with id 424242"):
        store.get_article(424242)


def test_upsert_into_unknown_feed(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no feed with id 5"):
        store.upsert_articles(5, [make_item(1)])


def test_item_without_guid_is_skipped(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    result = store.upsert_articles(feed.id, [ParsedItem(guid="", url=None, title="x"), make_item(1)])
    assert len(result.new_ids) == 1


def test_a_new_date_moves_the_article_in_every_view(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    items = [make_item(i, days_ago=i) for i in range(3)]
    ids = store.upsert_articles(feed.id, items).new_ids
    store.star([ids[2]])
    store.upsert_articles(feed.id, [replace(items[2], published=T0 + timedelta(days=1))])  # now the newest
    expected = [ids[2], ids[0], ids[1]]
    assert store.query_ids(ArticleQuery(feed_ids=(feed.id,))) == expected
    assert store.query_ids(ArticleQuery(smart="unread")) == expected  # served from statuses
    assert store.query_ids(ArticleQuery(feed_ids=(feed.id,), unread_only=True)) == expected
    store.star([ids[0]])
    assert store.query_ids(ArticleQuery(smart="starred")) == [ids[2], ids[0]]
