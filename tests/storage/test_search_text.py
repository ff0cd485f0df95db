"""Search indexes the same plain text that export and the AI read (app.text.html_to_text), and
migration 7 re-indexes a database written by the older, separate html_to_text of schema v6."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from app.feeds.export import export_articles
from app.models import ArticleQuery, ParsedItem
from app.storage import SCHEMA_VERSION, Store, open_store
from app.storage.text import index_text
from app.text import html_to_text
from tests.storage.conftest import fts_ok, make_item

FROZEN_V6 = Path(__file__).resolve().parents[1] / "fixtures" / "databases" / "v6-2843481.sqlite3"
MARKUP = '<p>Herons wade.</p><table><tr><td>cell</td><td>mate</td></tr></table><img alt="egret" src="e.png">'


def _indexed_body(store: Store, article_id: int) -> str:
    return store._conn.execute(
        "SELECT body FROM article_search WHERE article_id = ?", (article_id,)
    ).fetchone()[0]


def test_search_finds_the_text_that_export_writes(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    store.upsert_articles(feed.id, [make_item(1, body="", summary_html=MARKUP)])
    (row,) = store.list_articles(ArticleQuery(smart="all"))
    article = store.get_article(row.id)
    exported = json.loads(export_articles([article], title="t", fmt="json"))["items"][0]["summary"]
    assert exported == "Herons wade.\n\ncell mate\n\negret"
    assert _indexed_body(store, row.id) == index_text(exported)
    for word in ("egret", "mate", "cell", '"cell mate"'):
        assert [r.id for r in store.search(word)] == [row.id], word
    assert store.search("cellmate") == []


def test_full_text_is_indexed_in_the_same_form(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    store.upsert_articles(feed.id, [make_item(1)])
    (row,) = store.list_articles(ArticleQuery(smart="all"))
    store.store_full_text(row.id, MARKUP)
    assert _indexed_body(store, row.id) == index_text(html_to_text(MARKUP))
    assert [r.id for r in store.search("egret")] == [row.id]
    fts_ok(store)


@pytest.fixture
def migrated_v6(tmp_path: Path):  # type: ignore[no-untyped-def]
    copy = tmp_path / FROZEN_V6.name
    shutil.copyfile(FROZEN_V6, copy)
    raw = sqlite3.connect(copy)
    old = dict(raw.execute("SELECT article_id, body FROM article_search"))
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 6
    raw.close()
    assert any("cellmate" in body for body in old.values())  # the old index ran the cells together
    with open_store(copy) as store:
        yield store, old


def test_migration_reindexes_a_database_written_by_the_old_code(migrated_v6, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store, old = migrated_v6
    assert store._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    fts_ok(store)
    articles = [store.get_article(r.id) for r in store.list_articles(ArticleQuery(smart="all"))]
    assert len(articles) == len(old) == 13
    # a new database given the same items indexes exactly what the migrated one now holds
    with open_store(tmp_path / "new.sqlite3") as fresh:
        feed = fresh.add_feed("https://fresh.example/feed")
        items = [
            ParsedItem(guid=a.guid, url=a.url, title=a.title, content_html=a.content_html) for a in articles
        ]
        fresh.upsert_articles(feed.id, items)
        fresh_bodies = {
            fresh.get_article(r.id).guid: _indexed_body(fresh, r.id)
            for r in fresh.list_articles(ArticleQuery(smart="all"))
        }
    for article in articles:
        assert _indexed_body(store, article.id) == fresh_bodies[article.guid], article.guid
    with_table = {a.id for a in articles if "<table>" in a.content_html}
    assert len(with_table) == 3
    assert {r.id for r in store.search("heron")} == with_table  # an image's alt, never indexed before
    assert {r.id for r in store.search('"cell mate"')} == with_table
    assert store.search("cellmate") == []
    assert len(store.search("otters")) == 13 and len(store.search("水獭")) == 13
