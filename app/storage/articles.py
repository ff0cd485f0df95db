"""Articles: turning parsed items into stored articles (upsert), and reading them back by id.

An item is matched to its stored article by guid within its feed. A digest of every stored field
decides what happens: the same digest writes nothing, a different one updates the content (the
read/starred status lives in its own table and is untouched), a new guid inserts an unread article.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime

from app.errors import NotFoundError
from app.models import Article, ArticleRow, Enclosure, ParsedItem, UpsertResult
from app.storage.db import StoreBase, from_ts, id_list, load_json, now_ts, to_ts
from app.storage.text import index_text, item_hash
from app.text import html_to_text

_ROW_SQL = """
    SELECT a.id, a.feed_id, CASE WHEN f.title = '' THEN f.url ELSE f.title END, a.title, a.url, a.author,
           a.sort_date, s.read, s.starred
    FROM articles a JOIN feeds f ON f.id = a.feed_id JOIN statuses s ON s.article_id = a.id
    WHERE a.id IN (SELECT value FROM json_each(?))
"""
_INSERT_SQL = """
    INSERT INTO articles(feed_id, sort_date, title, url, author, published, updated, first_seen, content_hash,
                         guid, enclosures, summary_html, content_html)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_UPDATE_SQL = """
    UPDATE articles SET sort_date = ?, title = ?, url = ?, author = ?, published = ?, updated = ?,
                        content_hash = ?, enclosures = ?, summary_html = ?, content_html = ?
    WHERE id = ?
"""


def row_from_tuple(row: sqlite3.Row | tuple) -> ArticleRow:
    return ArticleRow(
        id=row[0],
        feed_id=row[1],
        feed_title=row[2],
        title=row[3],
        url=row[4],
        author=row[5],
        published=from_ts(row[6]),
        read=bool(row[7]),
        starred=bool(row[8]),
    )


def _enclosures_json(item: ParsedItem) -> str:
    return json.dumps(
        [{"url": e.url, "type": e.type, "length": e.length} for e in item.enclosures], ensure_ascii=False
    )


def _sort_date(item: ParsedItem, first_seen: float) -> float:
    """Published, else updated, else first seen; a date in the future (a broken feed) counts as now."""
    date = to_ts(item.published or item.updated)
    return first_seen if date is None else min(date, first_seen)


def _search_text(item: ParsedItem) -> tuple[str, str]:
    body = html_to_text(item.content_html or item.summary_html)
    return index_text(" ".join(item.title.split())), index_text(body)


class ArticleStore(StoreBase):
    def upsert_articles(self, feed_id: int, items: Sequence[ParsedItem]) -> UpsertResult:
        """Store a feed's items in one transaction; see the module docstring for the rules."""
        with self._write():
            self._require_feed(feed_id)
            return self._upsert(feed_id, items)

    def _upsert(self, feed_id: int, items: Sequence[ParsedItem]) -> UpsertResult:
        conn = self._conn
        by_guid: dict[str, ParsedItem] = {}
        for item in items:
            if item.guid:
                by_guid.setdefault(item.guid, item)  # a feed that repeats a guid: the first copy wins
        if not by_guid:
            return UpsertResult()
        existing = {
            guid: (article_id, digest)
            for guid, article_id, digest in conn.execute(
                "SELECT guid, id, content_hash FROM articles "
                "WHERE feed_id = ? AND guid IN (SELECT value FROM json_each(?))",
                (feed_id, json.dumps(list(by_guid))),
            )
        }
        fresh = [guid for guid in by_guid if guid not in existing]
        if fresh:
            dropped = {
                row[0]
                for row in conn.execute(
                    "SELECT guid FROM article_tombstones "
                    "WHERE feed_id = ? AND guid IN (SELECT value FROM json_each(?))",
                    (feed_id, json.dumps(fresh)),
                )
            }
            fresh = [guid for guid in fresh if guid not in dropped]
        now = now_ts()
        inserts: list[tuple] = []
        updates: list[tuple[int, ParsedItem, bytes]] = []
        for guid, (article_id, old_digest) in existing.items():
            item = by_guid[guid]
            digest = item_hash(item)
            if digest != old_digest:
                updates.append((article_id, item, digest))
        for guid in fresh:
            item = by_guid[guid]
            inserts.append(
                (feed_id, _sort_date(item, now), item.title, item.url, item.author, to_ts(item.published),
                 to_ts(item.updated), now, item_hash(item), guid, _enclosures_json(item), item.summary_html,
                 item.content_html)
            )  # fmt: skip
        new_ids: list[int] = []
        if inserts:
            conn.executemany(_INSERT_SQL, inserts)
            ids = dict(
                conn.execute(
                    "SELECT guid, id FROM articles WHERE feed_id = ? AND guid IN (SELECT value FROM json_each(?))",
                    (feed_id, json.dumps(fresh)),
                ).fetchall()
            )
            new_ids = [ids[guid] for guid in fresh]
            search_rows = [(ids[guid], *_search_text(by_guid[guid])) for guid in fresh]
            conn.executemany(
                "INSERT INTO article_search(article_id, title, body) VALUES (?, ?, ?)", search_rows
            )
        if updates:
            first_seen = dict(
                conn.execute(
                    "SELECT id, first_seen FROM articles WHERE id IN (SELECT value FROM json_each(?))",
                    (id_list(u[0] for u in updates),),
                ).fetchall()
            )
            conn.executemany(
                _UPDATE_SQL,
                [
                    (_sort_date(item, first_seen[article_id]), item.title, item.url, item.author,
                     to_ts(item.published), to_ts(item.updated), digest, _enclosures_json(item), item.summary_html,
                     item.content_html, article_id)
                    for article_id, item, digest in updates
                ],
            )  # fmt: skip
            conn.executemany(
                "UPDATE article_search SET title = ?, body = ? WHERE article_id = ?",
                [(*_search_text(item), article_id) for article_id, item, _ in updates],
            )
        return UpsertResult(
            new_ids=tuple(new_ids), updated=len(updates), unchanged=len(by_guid) - len(inserts) - len(updates)
        )

    def get_article(self, article_id: int) -> Article:
        row = self._conn.execute(
            """SELECT a.id, a.feed_id, a.guid, a.url, a.title, a.author, a.published, a.updated, a.content_html,
                      a.summary_html, a.enclosures, a.first_seen, s.read, s.starred
               FROM articles a JOIN statuses s ON s.article_id = a.id WHERE a.id = ?""",
            (article_id,),
        ).fetchone()
        if row is None:
            raise NotFoundError(
                f"no article with id {article_id}", hint="`hearth list --articles` shows the ids"
            )
        enclosures = tuple(
            Enclosure(url=e.get("url", ""), type=e.get("type") or "", length=e.get("length"))
            for e in load_json(row[10], [])
            if isinstance(e, dict)
        )
        return Article(
            id=row[0],
            feed_id=row[1],
            guid=row[2],
            url=row[3],
            title=row[4],
            author=row[5],
            published=from_ts(row[6]),
            updated=from_ts(row[7]),
            content_html=row[8],
            summary_html=row[9],
            enclosures=enclosures,
            first_seen=datetime.fromtimestamp(row[11], UTC),
            read=bool(row[12]),
            starred=bool(row[13]),
        )

    def rows(self, ids: Sequence[int]) -> list[ArticleRow]:
        """The list rows for `ids`, in the same order; ids that no longer exist are skipped."""
        if not ids:
            return []
        found = {row[0]: row for row in self._conn.execute(_ROW_SQL, (id_list(ids),))}
        return [row_from_tuple(found[i]) for i in ids if i in found]

    def existing_article_ids(self, ids: Sequence[int]) -> set[int]:
        """Which of `ids` are stored articles (for commands that must refuse unknown ids up front)."""
        rows = self._conn.execute(
            "SELECT id FROM articles WHERE id IN (SELECT value FROM json_each(?))", (id_list(ids),)
        )
        return {row[0] for row in rows}

    def _require_feed(self, feed_id: int) -> None:
        if self._conn.execute("SELECT 1 FROM feeds WHERE id = ?", (feed_id,)).fetchone() is None:
            raise NotFoundError(f"no feed with id {feed_id}", hint="`hearth list` shows the feed ids")
