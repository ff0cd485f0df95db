"""Migrations: a database made at EVERY earlier schema version, filled, upgraded, and checked intact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.errors import StorageError
from app.models import ArticleQuery, Summary
from app.storage import SCHEMA_VERSION, open_store
from app.storage.db import connect
from app.storage.migrations import MIGRATIONS, migrate, schema_version
from app.storage.text import index_text, item_hash
from app.text import html_to_text
from tests.storage.conftest import T0, fts_ok, make_item

EARLIER = [m.version for m in MIGRATIONS if m.version < SCHEMA_VERSION]


def _fill(conn: sqlite3.Connection, version: int) -> None:
    """Data as Hearth at `version` would have written it (raw SQL: the current Store may not fit it)."""
    conn.execute(
        "INSERT INTO folders(id, name, parent_id, position) VALUES (1, 'Tech', NULL, 0), (2, 'Rust', 1, 0)"
    )
    conn.execute(
        "INSERT INTO feeds(id, url, title, folder_id, etag, consecutive_errors, retention_days, created) "
        "VALUES (1, 'https://a.example/feed', 'Feed A', 2, '\"e1\"', 2, 7, ?)",
        (T0.timestamp(),),
    )
    for n in range(3):
        item = make_item(n, title=f"Old article {n} 旧文章", days_ago=n)
        conn.execute(
            "INSERT INTO articles(id, feed_id, sort_date, title, url, published, first_seen, content_hash, guid, "
            "content_html) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?)",
            (n + 1, item.published.timestamp(), item.title, item.url, item.published.timestamp(),  # type: ignore[union-attr]
             T0.timestamp(), item_hash(item), item.guid, item.content_html),
        )  # fmt: skip
        conn.execute(
            "INSERT INTO article_search(article_id, title, body) VALUES (?, ?, ?)",
            (n + 1, index_text(item.title), index_text(html_to_text(item.content_html))),
        )
    conn.execute("UPDATE statuses SET read = 1 WHERE article_id = 1")
    conn.execute("UPDATE statuses SET starred = 1 WHERE article_id = 2")
    if version >= 2:
        conn.execute("INSERT INTO summaries VALUES (1, 'rwkv', 'v1', 'a summary', ?)", (T0.timestamp(),))
        conn.execute(
            "INSERT INTO site_state(site, cooldown_level, last_error) VALUES ('www.zhihu.com', 3, '403')"
        )


@pytest.mark.parametrize("version", EARLIER)
def test_upgrade_from_every_earlier_version_keeps_data(tmp_path: Path, version: int) -> None:
    path = tmp_path / "old.sqlite3"
    conn = connect(path)
    assert migrate(conn, target=version) == version
    _fill(conn, version)
    conn.close()

    with open_store(path) as store:
        assert schema_version(store._conn) == SCHEMA_VERSION
        feed = store.get_feed(1)
        assert (feed.title, feed.etag, feed.consecutive_errors, feed.retention_days) == (
            "Feed A",
            '"e1"',
            2,
            7,
        )
        assert store.get_folder(feed.folder_id).name == "Rust"  # type: ignore[arg-type]
        assert store.get_folder(2).parent_id == 1
        assert store.query_ids(ArticleQuery(feed_ids=(1,))) == [1, 2, 3]
        assert store.get_article(1).read and store.get_article(2).starred and not store.get_article(3).read
        # views served from statuses see the dates the upgrade copied there
        assert store.query_ids(ArticleQuery(smart="unread")) == [2, 3]
        assert store.query_ids(ArticleQuery(smart="unread", sort="oldest")) == [3, 2]
        assert store.query_ids(ArticleQuery(smart="starred")) == [2]
        assert store.unread_counts() == {1: 2}
        assert [r.id for r in store.search("旧文章 article 1")] == [2]
        fts_ok(store)
        # the stored hashes still match: re-fetching the same items changes nothing
        again = store.upsert_articles(
            1, [make_item(n, title=f"Old article {n} 旧文章", days_ago=n) for n in range(3)]
        )
        assert again.unchanged == 3 and again.new_ids == ()
        if version >= 2:
            assert store.get_summary(1, "rwkv", "v1").text == "a summary"  # type: ignore[union-attr]
            assert store.get_site_state("www.zhihu.com").cooldown_level == 3  # type: ignore[union-attr]
        # features of the newer versions work on the old data
        store.save_summary(Summary(3, "rwkv", "v2", "new", T0))
        assert store.get_summary(3, "rwkv", "v2") is not None


def test_migrated_schema_equals_fresh_schema(tmp_path: Path) -> None:
    def schema(path: Path) -> list[tuple[str, str]]:
        conn = sqlite3.connect(path)
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
        ).fetchall()
        conn.close()
        return rows

    stepwise = tmp_path / "stepwise.sqlite3"
    conn = connect(stepwise)
    for version in range(1, SCHEMA_VERSION + 1):
        migrate(conn, target=version)
    conn.close()
    open_store(tmp_path / "fresh.sqlite3").close()
    assert schema(stepwise) == schema(tmp_path / "fresh.sqlite3")


def test_migrations_are_numbered_in_order() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 2


def test_reopening_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    open_store(path).close()
    conn = connect(path)
    assert migrate(conn) == SCHEMA_VERSION
    conn.close()


def test_a_failed_migration_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.storage import migrations

    path = tmp_path / "h.sqlite3"
    conn = connect(path)
    migrate(conn, target=1)
    broken = migrations.Migration(2, "broken", ("CREATE TABLE half_done (x)", "THIS IS NOT SQL"))
    monkeypatch.setattr(migrations, "MIGRATIONS", (MIGRATIONS[0], broken))
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", 2)
    with pytest.raises(sqlite3.OperationalError):
        migrations.migrate(conn)
    assert schema_version(conn) == 1
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").fetchone()[0] == 0
    conn.close()


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    open_store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StorageError, match="newer than this Hearth"):
        open_store(path)
