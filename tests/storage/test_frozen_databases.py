"""Databases written by earlier versions of Hearth (tests/fixtures/databases, each made by an old commit)
open with today's code, are migrated to the current schema and keep every feed, article and status."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from app.models import ArticleQuery
from app.storage import SCHEMA_VERSION, open_store

FROZEN = Path(__file__).resolve().parents[1] / "fixtures" / "databases"
DATABASES = sorted(FROZEN.glob("v*.sqlite3"))


def test_there_are_frozen_databases_from_before_the_current_schema() -> None:
    versions = {
        json.loads(p.with_suffix(".json").read_text("utf-8"))["made_by"]["schema_version"] for p in DATABASES
    }
    assert min(versions) < SCHEMA_VERSION and all(p.stat().st_size < 200_000 for p in DATABASES)


@pytest.fixture(params=DATABASES, ids=[p.stem for p in DATABASES])
def migrated(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    source: Path = request.param
    manifest = json.loads(source.with_suffix(".json").read_text("utf-8"))
    copy = tmp_path / source.name  # the committed file is never opened for writing
    shutil.copyfile(source, copy)
    raw = sqlite3.connect(copy)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == manifest["made_by"]["schema_version"]
    raw.close()
    with open_store(copy) as store:
        yield store, manifest, copy


def test_the_schema_is_current_and_the_file_intact(migrated) -> None:  # type: ignore[no-untyped-def]
    _store, _manifest, path = migrated
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def test_every_folder_and_feed_is_kept(migrated) -> None:  # type: ignore[no-untyped-def]
    store, manifest, _ = migrated
    folders = {f.id: f for f in store.list_folders()}

    def path_of(folder_id: int | None) -> str | None:
        if folder_id is None:
            return None
        names = []
        while folder_id is not None:
            names.append(folders[folder_id].name)
            folder_id = folders[folder_id].parent_id
        return "/".join(reversed(names))

    assert sorted(path_of(i) for i in folders) == manifest["folders"]
    feeds = {f.url: f for f in store.list_feeds()}
    assert sorted(feeds) == sorted(f["url"] for f in manifest["feeds"])
    for want in manifest["feeds"]:
        feed = feeds[want["url"]]
        assert (feed.title, feed.kind, feed.params) == (want["title"], want["kind"], want["params"])
        assert path_of(feed.folder_id) == want["folder"]
        assert feed.etag == want["etag"] and feed.consecutive_errors == want["consecutive_errors"]


def test_every_article_and_status_is_kept(migrated) -> None:  # type: ignore[no-untyped-def]
    store, manifest, _ = migrated
    feed_ids = {f.url: f.id for f in store.list_feeds()}
    rows = store.list_articles(ArticleQuery(smart="all"))
    assert len(rows) == len(manifest["articles"])
    by_key = {}
    for row in rows:
        article = store.get_article(row.id)
        by_key[(article.feed_id, article.guid)] = article
    for want in manifest["articles"]:
        article = by_key[(feed_ids[want["feed_url"]], want["guid"])]
        assert (article.title, article.url, article.author) == (want["title"], want["url"], want["author"])
        assert article.content_html == want["content_html"]
        published = article.published.timestamp() if article.published else None
        assert published == pytest.approx(want["published"])
        assert [[e.url, e.type, e.length] for e in article.enclosures] == want["enclosures"]
        assert (article.read, article.starred) == (want["read"], want["starred"]), want["guid"]
    # the views and counts that migrations rebuild agree with the statuses
    unread = [a for a in manifest["articles"] if not a["read"]]
    starred = [a for a in manifest["articles"] if a["starred"]]
    assert store.count_articles(ArticleQuery(smart="unread")) == len(unread)
    assert store.count_articles(ArticleQuery(smart="starred")) == len(starred)
    counts = store.unread_counts()
    for url, feed_id in feed_ids.items():
        assert counts.get(feed_id, 0) == sum(1 for a in unread if a["feed_url"] == url)


def test_summaries_site_state_and_search_survive(migrated) -> None:  # type: ignore[no-untyped-def]
    store, manifest, _ = migrated
    guid_to_id = {store.get_article(r.id).guid: r.id for r in store.list_articles(ArticleQuery(smart="all"))}
    for want in manifest["summaries"]:
        summary = store.get_summary(guid_to_id[want["guid"]], want["model_id"], want["prompt_version"])
        assert summary is not None and summary.text == want["text"]
    for want in manifest["site_states"]:
        state = store.get_site_state(want["site"])
        assert state is not None
        assert (state.cooldown_level, state.last_error) == (want["cooldown_level"], want["last_error"])
    assert {store.get_article(r.id).guid for r in store.search("水獭")} == set(guid_to_id)
    assert len(store.search("otters")) == len(guid_to_id)


def test_a_migrated_database_takes_new_writes(migrated) -> None:  # type: ignore[no-untyped-def]
    store, manifest, path = migrated
    row = store.list_articles(ArticleQuery(smart="unread"))[0]
    store.mark_read([row.id])
    store.star([row.id])
    with open_store(path) as again:  # opening a current database again migrates nothing and loses nothing
        article = again.get_article(row.id)
        assert article.read and article.starred
        assert again.count_articles(ArticleQuery(smart="all")) == len(manifest["articles"])
