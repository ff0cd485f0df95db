"""Read and starred statuses, marking whole feeds or folders read, and retention (dropping old read articles)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from app.errors import NotFoundError
from app.storage.db import StoreBase, id_list, to_ts

log = logging.getLogger(__name__)

DAY = 86400.0
TOMBSTONE_DAYS = 365  # how long a dropped guid is remembered so the feed cannot bring it back


class StatusStore(StoreBase):
    def mark_read(self, ids: Iterable[int], read: bool = True) -> int:
        """Set the read flag; returns how many articles actually changed."""
        return self._set_flag("read", ids, read)

    def star(self, ids: Iterable[int], starred: bool = True) -> int:
        return self._set_flag("starred", ids, starred)

    def mark_feed_read(self, feed_id: int, older_than: datetime | None = None) -> list[int]:
        """Mark a feed's unread articles (dated before `older_than`, if given) read; returns their ids for undo."""
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM feeds WHERE id = ?", (feed_id,)).fetchone() is None:
                raise NotFoundError(f"no feed with id {feed_id}", hint="`hearth list` shows the feed ids")
            return self._mark_feeds_read([feed_id], older_than)

    def mark_folder_read(self, folder_id: int, older_than: datetime | None = None) -> list[int]:
        """The same for every feed in a folder and its sub-folders."""
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM folders WHERE id = ?", (folder_id,)).fetchone() is None:
                raise NotFoundError(f"no folder with id {folder_id}", hint="`hearth list` shows the folders")
            feed_ids = [
                row[0]
                for row in conn.execute(
                    """WITH RECURSIVE tree(id) AS (
                           SELECT ? UNION SELECT f.id FROM folders f JOIN tree ON f.parent_id = tree.id)
                       SELECT feeds.id FROM feeds JOIN tree ON feeds.folder_id = tree.id""",
                    (folder_id,),
                )
            ]
            return self._mark_feeds_read(feed_ids, older_than)

    def apply_retention(self, *, default_days: int, now: datetime | None = None) -> int:
        """Delete read, unstarred articles older than each feed's retention (its own, else `default_days`).

        An article is old when both its date and the time Hearth first saw it are past the limit, so
        a backlog fetched today is not dropped the moment it is read. 0 days keeps everything.
        Returns the number of articles deleted.
        """
        now_s = to_ts(now or datetime.now(UTC)) or 0.0
        with self._write() as conn:
            doomed = conn.execute(
                """SELECT a.id, a.feed_id, a.guid FROM articles a
                   JOIN statuses s ON s.article_id = a.id JOIN feeds f ON f.id = a.feed_id
                   WHERE s.read = 1 AND s.starred = 0 AND COALESCE(f.retention_days, :days) > 0
                     AND a.sort_date < :now - COALESCE(f.retention_days, :days) * :day
                     AND a.first_seen < :now - COALESCE(f.retention_days, :days) * :day""",
                {"days": default_days, "now": now_s, "day": DAY},
            ).fetchall()
            if doomed:
                conn.executemany(
                    "INSERT OR REPLACE INTO article_tombstones(feed_id, guid, dropped_at) VALUES (?, ?, ?)",
                    [(feed_id, guid, now_s) for _, feed_id, guid in doomed],
                )
                conn.execute(
                    "DELETE FROM articles WHERE id IN (SELECT value FROM json_each(?))",
                    (id_list(row[0] for row in doomed),),
                )
            conn.execute(
                "DELETE FROM article_tombstones WHERE dropped_at < ?", (now_s - TOMBSTONE_DAYS * DAY,)
            )
        if doomed:
            log.info("retention dropped %d read articles", len(doomed))
        return len(doomed)

    def _set_flag(self, column: str, ids: Iterable[int], value: bool) -> int:
        ids = list(ids)
        if not ids:
            return 0
        with self._write() as conn:
            cur = conn.execute(
                f"UPDATE statuses SET {column} = ? WHERE article_id IN (SELECT value FROM json_each(?)) AND {column} != ?",
                (int(value), id_list(ids), int(value)),
            )
            return cur.rowcount

    def _mark_feeds_read(self, feed_ids: list[int], older_than: datetime | None) -> list[int]:
        if not feed_ids:
            return []
        sql = "UPDATE statuses SET read = 1 WHERE read = 0 AND feed_id IN (SELECT value FROM json_each(?))"
        args: list[object] = [id_list(feed_ids)]
        if older_than is not None:
            sql += " AND article_id IN (SELECT id FROM articles WHERE sort_date < ?)"
            args.append(to_ts(older_than))
        return sorted(row[0] for row in self._conn.execute(sql + " RETURNING article_id", args))
