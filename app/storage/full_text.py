"""Full text for teaser feeds: each feed's choice (auto, on, off), what detection saw, and which
articles had their page fetched (for which version of the feed item, and when a busy server may be
asked again); storing a fetched article as its content, the teaser as its summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from app.errors import NotFoundError, StorageError
from app.storage.db import StoreBase, id_list, now_ts
from app.storage.text import index_text
from app.text import html_to_text


class FullTextMode(StrEnum):
    """A feed's full-text choice, as stored in feed_full_text.mode and typed on the command line."""

    AUTO = "auto"  # on when detection sees a teaser feed
    ON = "on"
    OFF = "off"


FULL_TEXT_MODES = tuple(mode.value for mode in FullTextMode)
FRESH_DAYS = (
    7  # older articles never get their page fetched (turning the option on does not crawl the archive)
)


@dataclass(frozen=True, slots=True)
class FullTextSetting:
    """`mode` is the user's choice; with "auto", `teaser` (what detection last saw) decides."""

    feed_id: int
    mode: FullTextMode = FullTextMode.AUTO
    teaser: bool | None = None

    @property
    def enabled(self) -> bool:
        return self.mode == FullTextMode.ON or (self.mode == FullTextMode.AUTO and bool(self.teaser))


@dataclass(frozen=True, slots=True)
class FullTextCandidate:
    """An article whose page should be fetched: its link, what the feed gave as its text, the digest
    of that feed item, and how many busy (429/503) replies its page gave for this version so far."""

    article_id: int
    url: str
    content_html: str
    summary_html: str
    item_hash: bytes | None = None
    busy_attempts: int = 0


def check_mode(mode: str) -> FullTextMode:
    wanted = str(mode).strip().lower()
    if wanted not in FULL_TEXT_MODES:
        raise StorageError(
            f"{mode!r} is not a full-text choice", hint="use auto (detect teaser feeds), on or off"
        )
    return FullTextMode(wanted)


class FullTextStore(StoreBase):
    def full_text_setting(self, feed_id: int) -> FullTextSetting:
        row = self._conn.execute(
            "SELECT mode, teaser FROM feed_full_text WHERE feed_id = ?", (feed_id,)
        ).fetchone()
        if row is None:
            return FullTextSetting(feed_id)
        return FullTextSetting(feed_id, FullTextMode(row[0]), None if row[1] is None else bool(row[1]))

    def set_full_text(self, feed_id: int, mode: str) -> FullTextSetting:
        """The user's choice for a feed: "on", "off", or "auto" (on when detection sees a teaser feed)."""
        mode = check_mode(mode)
        with self._write() as conn:
            self._require_feed_row(feed_id)
            conn.execute(
                "INSERT INTO feed_full_text(feed_id, mode) VALUES (?, ?) "
                "ON CONFLICT(feed_id) DO UPDATE SET mode = excluded.mode",
                (feed_id, mode),
            )
        return self.full_text_setting(feed_id)

    def note_teaser_feed(self, feed_id: int, teaser: bool) -> FullTextSetting:
        """Record what detection saw in the feed's latest items (it only matters under "auto")."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO feed_full_text(feed_id, teaser) VALUES (?, ?) "
                "ON CONFLICT(feed_id) DO UPDATE SET teaser = excluded.teaser",
                (feed_id, int(teaser)),
            )
        return self.full_text_setting(feed_id)

    def full_text_candidates(
        self, feed_id: int, limit: int, *, now: float | None = None
    ) -> list[FullTextCandidate]:
        """Up to `limit` of the feed's articles first seen in the last FRESH_DAYS whose link is a web
        page and whose page was never fetched, or was fetched for an older version of the feed item
        (edited upstream since), or answered busy and may be asked again by `now`; newest first."""
        if limit <= 0:
            return []
        now = now_ts() if now is None else now
        rows = self._conn.execute(
            """SELECT a.id, a.url, a.content_html, a.summary_html, a.content_hash,
                      CASE WHEN t.item_hash IS a.content_hash THEN t.attempts ELSE 0 END
               FROM articles a LEFT JOIN article_full_text t ON t.article_id = a.id
               WHERE a.feed_id = ? AND a.first_seen >= ?
                 AND (a.url LIKE 'http://%' OR a.url LIKE 'https://%')
                 AND (t.article_id IS NULL OR t.item_hash IS NOT a.content_hash OR t.retry_at <= ?)
               ORDER BY a.sort_date DESC, a.id DESC LIMIT ?""",
            (feed_id, now - FRESH_DAYS * 86400, now, int(limit)),
        )
        return [FullTextCandidate(*row) for row in rows]

    def busy_full_text_urls(self, feed_id: int, *, now: float | None = None) -> list[str]:
        """The feed's article pages whose server answered busy and asked for time it has not had yet."""
        rows = self._conn.execute(
            "SELECT a.url FROM article_full_text t JOIN articles a ON a.id = t.article_id "
            "WHERE a.feed_id = ? AND t.retry_at > ?",
            (feed_id, now_ts() if now is None else now),
        )
        return [row[0] for row in rows]

    def store_full_text(
        self,
        article_id: int,
        content_html: str,
        *,
        status: int | None = 200,
        item_hash: bytes | None = None,
    ) -> None:
        """The fetched article becomes the content; the feed's text is kept as the summary (unless the
        feed gave a summary of its own). The stored digest stays the feed item's, so the next refresh
        of an unchanged item leaves the full text alone; `item_hash` is that digest as it was when the
        page was chosen (default: the article's now), so an item edited upstream gets its page again."""
        with self._write() as conn:
            conn.execute(
                "UPDATE articles SET summary_html = CASE WHEN summary_html = '' THEN content_html "
                "ELSE summary_html END, content_html = ? WHERE id = ?",
                (content_html, article_id),
            )
            conn.execute(
                "UPDATE article_search SET body = ? WHERE article_id = ?",
                (index_text(html_to_text(content_html)), article_id),
            )
            self._note_attempt(article_id, status, None, item_hash)

    def record_full_text_error(
        self,
        article_id: int,
        error: str,
        *,
        status: int | None = None,
        item_hash: bytes | None = None,
        attempts: int = 0,
        retry_at: float | None = None,
    ) -> None:
        """A page that could not be fetched or held no article: kept, so it is not fetched again until
        its feed item changes, or (a busy server) until `retry_at`; `attempts` counts busy replies."""
        with self._write():
            self._note_attempt(article_id, status, error, item_hash, attempts, retry_at)

    def full_text_errors(self, article_ids: Sequence[int]) -> dict[int, str]:
        rows = self._conn.execute(
            "SELECT article_id, error FROM article_full_text "
            "WHERE error IS NOT NULL AND article_id IN (SELECT value FROM json_each(?))",
            (id_list(article_ids),),
        )
        return {row[0]: row[1] for row in rows}

    def _note_attempt(
        self,
        article_id: int,
        status: int | None,
        error: str | None,
        item_hash: bytes | None,
        attempts: int = 0,
        retry_at: float | None = None,
    ) -> None:
        self._conn.execute(
            "INSERT INTO article_full_text(article_id, fetched_at, status, error, item_hash, attempts, retry_at) "
            "VALUES (?1, ?2, ?3, ?4, COALESCE(?5, (SELECT content_hash FROM articles WHERE id = ?1)), ?6, ?7) "
            "ON CONFLICT(article_id) DO UPDATE SET fetched_at = excluded.fetched_at, "
            "status = excluded.status, error = excluded.error, item_hash = excluded.item_hash, "
            "attempts = excluded.attempts, retry_at = excluded.retry_at",
            (article_id, now_ts(), status, error, item_hash, attempts, retry_at),
        )

    def _require_feed_row(self, feed_id: int) -> None:
        if self._conn.execute("SELECT 1 FROM feeds WHERE id = ?", (feed_id,)).fetchone() is None:
            raise NotFoundError(f"no feed with id {feed_id}", hint="`hearth list` shows the feed ids")
