"""Feeds: subscriptions with their per-feed settings and fetch state."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from app.errors import NotFoundError, StorageError
from app.models import Feed, FeedKind, FetchState, ParsedFeed
from app.storage.db import StoreBase, dump_json, from_ts, load_json, now_ts, to_ts
from app.storage.full_text import check_mode

FEED_COLUMNS = (
    "id, url, title, site_url, icon_url, kind, params, folder_id, update_interval, user_agent, extra_headers, "
    "enabled, retention_days, etag, last_modified, body_hash, last_fetch, next_fetch, last_status, "
    "consecutive_errors, last_error, created"
)
# update_feed's fields and how each is stored
_UPDATABLE: dict[str, Any] = {
    "title": lambda v: " ".join(str(v or "").split()),
    "url": str,
    "site_url": lambda v: v or None,
    "icon_url": lambda v: v or None,
    "folder_id": lambda v: v,
    "update_interval": lambda v: None if v is None else int(v),
    "user_agent": lambda v: v or None,
    "extra_headers": dump_json,
    "enabled": lambda v: int(bool(v)),
    "retention_days": lambda v: None if v is None else int(v),
    "params": dump_json,
    "kind": str,
    "next_fetch": to_ts,
}
_ANY: Any = ...


def feed_from_row(row: sqlite3.Row | tuple) -> Feed:
    return Feed(
        id=row[0],
        url=row[1],
        title=row[2],
        site_url=row[3],
        icon_url=row[4],
        kind=row[5],
        params=load_json(row[6], {}),
        folder_id=row[7],
        update_interval=row[8],
        user_agent=row[9],
        extra_headers=load_json(row[10], {}),
        enabled=bool(row[11]),
        retention_days=row[12],
        etag=row[13],
        last_modified=row[14],
        body_hash=row[15],
        last_fetch=from_ts(row[16]),
        next_fetch=from_ts(row[17]),
        last_status=row[18],
        consecutive_errors=row[19],
        last_error=row[20],
        created=from_ts(row[21]),
    )


def _already(url: str) -> StorageError:
    return StorageError(f"already subscribed to {url}", hint="`hearth list` shows your feeds")


class FeedStore(StoreBase):
    def add_feed(
        self,
        url: str,
        *,
        title: str = "",
        kind: str = FeedKind.FEED,
        params: dict | None = None,
        folder_id: int | None = None,
        site_url: str | None = None,
    ) -> Feed:
        url = url.strip()
        if not url:
            raise StorageError("a feed needs a URL")
        with self._write() as conn:
            if folder_id is not None:
                self._require_folder(folder_id)
            try:
                cur = conn.execute(
                    "INSERT INTO feeds(url, title, kind, params, folder_id, site_url, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        url,
                        " ".join(title.split()),
                        kind,
                        dump_json(params),
                        folder_id,
                        site_url or None,
                        now_ts(),
                    ),
                )
            except sqlite3.IntegrityError:
                raise _already(url) from None
            return self.get_feed(int(cur.lastrowid or 0))

    def get_feed(self, feed_id: int) -> Feed:
        row = self._conn.execute(f"SELECT {FEED_COLUMNS} FROM feeds WHERE id = ?", (feed_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no feed with id {feed_id}", hint="`hearth list` shows the feed ids")
        return feed_from_row(row)

    def find_feed_by_url(self, url: str) -> Feed | None:
        row = self._conn.execute(
            f"SELECT {FEED_COLUMNS} FROM feeds WHERE url = ? ORDER BY kind != 'feed', id", (url.strip(),)
        ).fetchone()
        return None if row is None else feed_from_row(row)

    def list_feeds(self, *, folder_id: int | None = _ANY, enabled_only: bool = False) -> list[Feed]:
        """Feeds ordered by title; `folder_id=None` means feeds outside any folder, omitted means all."""
        where, args = [], []
        if folder_id is not _ANY:
            where.append("folder_id IS ?")
            args.append(folder_id)
        if enabled_only:
            where.append("enabled = 1")
        sql = f"SELECT {FEED_COLUMNS} FROM feeds"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY CASE WHEN title = '' THEN url ELSE title END COLLATE NOCASE, id"
        return [feed_from_row(row) for row in self._conn.execute(sql, args)]

    def update_feed(self, feed_id: int, **fields: Any) -> Feed:
        """`full_text` ("auto", "on", "off") is the feed's full-text choice, kept in its own table."""
        full_text = fields.pop("full_text", None)
        unknown = set(fields) - set(_UPDATABLE)
        if unknown:
            raise StorageError(f"cannot update feed field(s) {', '.join(sorted(unknown))}")
        with self._write() as conn:
            feed = self.get_feed(feed_id)
            if full_text is not None:
                conn.execute(
                    "INSERT INTO feed_full_text(feed_id, mode) VALUES (?, ?) "
                    "ON CONFLICT(feed_id) DO UPDATE SET mode = excluded.mode",
                    (feed_id, check_mode(full_text)),
                )
            if not fields:
                return feed
            if fields.get("folder_id") is not None:
                self._require_folder(fields["folder_id"])
            values = {name: _UPDATABLE[name](value) for name, value in fields.items()}
            assignments = ", ".join(f"{name} = ?" for name in values)
            try:
                conn.execute(f"UPDATE feeds SET {assignments} WHERE id = ?", (*values.values(), feed_id))
            except sqlite3.IntegrityError:
                raise _already(str(values.get("url", feed.url))) from None
            return self.get_feed(feed_id)

    def remove_feed(self, feed_id: int) -> None:
        """Unsubscribe: the feed's articles, statuses, summaries and search entries go with it."""
        with self._write() as conn:
            self.get_feed(feed_id)
            conn.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))

    def due_feeds(self, now: datetime) -> list[Feed]:
        """Enabled feeds whose next fetch is due (never-fetched first, then the most overdue)."""
        rows = self._conn.execute(
            f"SELECT {FEED_COLUMNS} FROM feeds WHERE enabled = 1 AND (next_fetch IS NULL OR next_fetch <= ?) "
            "ORDER BY next_fetch IS NOT NULL, next_fetch, id",
            (to_ts(now),),
        )
        return [feed_from_row(row) for row in rows]

    def _save_fetch_state(self, feed: Feed, state: FetchState, parsed: ParsedFeed | None) -> None:
        """Write what one fetch leaves on the feed row (inside the caller's transaction)."""
        ok = state.error is None
        values: dict[str, Any] = {
            "last_fetch": to_ts(state.fetched_at),
            "next_fetch": to_ts(state.next_fetch),
            "last_status": state.status,
            "consecutive_errors": 0 if ok else feed.consecutive_errors + 1,
            "last_error": state.error,
        }
        if ok:
            # A 304 may come without validators: keep the ones we sent. A 200 replaces them all.
            not_modified = state.status == 304
            for name in ("etag", "last_modified", "body_hash"):
                value = getattr(state, name)
                if value is not None or not not_modified:
                    values[name] = value
        if state.disable:
            values["enabled"] = 0
        if state.new_url and state.new_url != feed.url:
            taken = self._conn.execute(
                "SELECT id FROM feeds WHERE url = ? AND kind = ? AND params = ? AND id != ?",
                (state.new_url, feed.kind, dump_json(feed.params), feed.id),
            ).fetchone()
            if taken is None:
                values["url"] = state.new_url
        if parsed is not None:
            if not feed.title and parsed.title.strip():
                values["title"] = " ".join(parsed.title.split())
            if not feed.site_url and parsed.site_url:
                values["site_url"] = parsed.site_url
            if not feed.icon_url and parsed.icon_url:
                values["icon_url"] = parsed.icon_url
        assignments = ", ".join(f"{name} = ?" for name in values)
        self._conn.execute(f"UPDATE feeds SET {assignments} WHERE id = ?", (*values.values(), feed.id))

    def _require_folder(self, folder_id: int) -> None:
        if self._conn.execute("SELECT 1 FROM folders WHERE id = ?", (folder_id,)).fetchone() is None:
            raise NotFoundError(f"no folder with id {folder_id}", hint="`hearth list` shows the folders")
