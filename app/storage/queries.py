"""Reading article lists: ArticleQuery -> ids in display order, rows, counts, full-text search.

`query_ids` returns the matching ids at once, all or the first `limit` (a lazy list model then asks
`rows` for what it shows); the indexes on articles(feed_id, sort_date) and articles(sort_date) give
the display order without sorting, and unread/starred counts come from partial indexes on statuses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.errors import StorageError
from app.models import ArticleQuery, ArticleRow
from app.storage.db import StoreBase, id_list
from app.storage.text import fts_query

SMART_VIEWS = ("all", "unread", "starred", "today")
_ORDER = {
    "newest": "{date} DESC, {id} DESC",
    "oldest": "{date} ASC, {id} ASC",
    "title": "a.title COLLATE NOCASE, a.id",
    "feed": "(SELECT f.title FROM feeds f WHERE f.id = {feed}) COLLATE NOCASE, {feed}, {date} DESC, {id} DESC",
}
_SUBTREE = """WITH RECURSIVE tree(id) AS (SELECT ? UNION SELECT f.id FROM folders f JOIN tree ON f.parent_id = tree.id)
              SELECT feeds.id FROM feeds JOIN tree ON feeds.folder_id = tree.id"""


def start_of_today() -> datetime:
    """Local midnight, as an aware datetime (the "today" smart view follows the user's clock)."""
    return datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)


class QueryStore(StoreBase):
    def query_ids(self, query: ArticleQuery, *, limit: int | None = None) -> list[int]:
        """Every id matching `query` in display order, or only the first `limit` of them."""
        sql, args = self._select(query, "{id}")
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [row[0] for row in self._conn.execute(sql, args)]

    def list_articles(
        self, query: ArticleQuery, *, offset: int = 0, limit: int | None = None
    ) -> list[ArticleRow]:
        ids_sql, args = self._select(query, "{id}")
        if limit is not None or offset:
            ids_sql += " LIMIT ? OFFSET ?"
            args += [-1 if limit is None else limit, offset]
        ids = [row[0] for row in self._conn.execute(ids_sql, args)]
        return self.rows(ids)  # type: ignore[attr-defined]

    def count_articles(self, query: ArticleQuery) -> int:
        sql, args = self._select(query, "count(*)", ordered=False)
        return int(self._conn.execute(sql, args).fetchone()[0])

    def search(self, text: str, *, limit: int = 200) -> list[ArticleRow]:
        """Full-text search over titles and text, best matches first (title hits weigh more)."""
        match = fts_query(text)
        if match is None:
            return []
        ids = [
            row[0]
            for row in self._conn.execute(
                "SELECT rowid FROM article_fts WHERE article_fts MATCH ? ORDER BY bm25(article_fts, 4.0, 1.0) LIMIT ?",
                (match, limit),
            )
        ]
        return self.rows(ids)  # type: ignore[attr-defined]

    def unread_counts(self) -> dict[int, int]:
        rows = self._conn.execute(
            "SELECT feed_id, count(*) FROM statuses INDEXED BY statuses_unread WHERE read = 0 GROUP BY feed_id"
        )
        return dict(rows.fetchall())

    def smart_counts(self) -> dict[str, int]:
        conn = self._conn
        return {
            "all": conn.execute("SELECT count(*) FROM articles").fetchone()[0],
            "unread": conn.execute("SELECT count(*) FROM statuses WHERE read = 0").fetchone()[0],
            "starred": conn.execute("SELECT count(*) FROM statuses WHERE starred = 1").fetchone()[0],
            "today": conn.execute(
                "SELECT count(*) FROM articles WHERE sort_date >= ?", (start_of_today().timestamp(),)
            ).fetchone()[0],
        }

    def _select(self, query: ArticleQuery, what: str, *, ordered: bool = True) -> tuple[str, list[Any]]:
        if query.sort not in _ORDER:
            raise StorageError(f"unknown sort order {query.sort!r}", hint=f"use one of {', '.join(_ORDER)}")
        if query.smart not in (None, *SMART_VIEWS):
            raise StorageError(
                f"unknown smart view {query.smart!r}", hint=f"use one of {', '.join(SMART_VIEWS)}"
            )
        by_status = query.smart in ("unread", "starred") or query.unread_only
        if by_status and query.sort != "title":
            # statuses carries feed_id and sort_date too: the whole query runs on its partial indexes
            table, cols = "statuses s", {"id": "s.article_id", "feed": "s.feed_id", "date": "s.sort_date"}
        else:
            table, cols = "articles a", {"id": "a.id", "feed": "a.feed_id", "date": "a.sort_date"}
            if by_status:
                table += " JOIN statuses s ON s.article_id = a.id"
        where, args = _conditions(query, cols)
        sql = f"SELECT {what.format(**cols)} FROM {table}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        if ordered:
            sql += " ORDER BY " + _ORDER[query.sort].format(**cols)
        return sql, args


def _conditions(query: ArticleQuery, cols: dict[str, str]) -> tuple[list[str], list[Any]]:
    id_, feed, date = cols["id"], cols["feed"], cols["date"]
    where: list[str] = []
    args: list[Any] = []
    if query.smart == "unread" or query.unread_only:
        where.append("s.read = 0")
    if query.smart == "starred":
        where.append("s.starred = 1")
    if query.smart == "today":
        where.append(f"{date} >= ?")
        args.append(start_of_today().timestamp())
    if query.feed_ids is not None:
        if len(query.feed_ids) == 1:
            where.append(f"{feed} = ?")  # lets SQLite walk the (feed_id, sort_date) index in order
            args.append(query.feed_ids[0])
        else:
            where.append(f"{feed} IN (SELECT value FROM json_each(?))")
            args.append(id_list(query.feed_ids))
    if query.folder_id is not None:
        where.append(f"{feed} IN ({_SUBTREE})")
        args.append(query.folder_id)
    if query.search is not None:
        match = fts_query(query.search)
        if match is None:
            where.append("0")
        else:
            where.append(f"{id_} IN (SELECT rowid FROM article_fts WHERE article_fts MATCH ?)")
            args.append(match)
    return where, args
