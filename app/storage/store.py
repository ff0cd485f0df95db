"""`Store`: one SQLite connection with every storage operation, and `open_store` to create or migrate one.

A Store belongs to one thread; a worker thread opens its own with `open_store(same_path)`.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from app.errors import StorageError
from app.models import FetchState, ParsedFeed, UpsertResult
from app.storage.ai_rules import RuleStore
from app.storage.app_state import AppStateStore
from app.storage.articles import ArticleStore
from app.storage.db import connect
from app.storage.feeds import FeedStore
from app.storage.folders import FolderStore
from app.storage.full_text import FullTextStore
from app.storage.migrations import migrate
from app.storage.outlines import OutlineStore
from app.storage.queries import QueryStore
from app.storage.retrieval import RetrievalStore
from app.storage.statuses import StatusStore
from app.storage.summaries import SummaryStore

log = logging.getLogger(__name__)


class Store(
    FolderStore,
    FeedStore,
    ArticleStore,
    QueryStore,
    StatusStore,
    OutlineStore,
    SummaryStore,
    RetrievalStore,
    RuleStore,
    FullTextStore,
    AppStateStore,
):
    """Hearth's library: folders, feeds, articles and their statuses, search, summaries, site state."""

    def record_fetch(self, feed_id: int, state: FetchState, parsed: ParsedFeed | None = None) -> UpsertResult:
        """Save one fetch in ONE transaction: the feed's fetch state, its empty title/site/icon, its items.

        On success consecutive_errors resets to 0, on error it grows by one; `state.new_url` replaces
        the URL (unless another subscription already has it); `state.disable` turns the feed off.
        """
        with self._write():
            feed = self.get_feed(feed_id)
            self._save_fetch_state(feed, state, parsed)
            if parsed is None or not parsed.items:
                return UpsertResult()
            return self._upsert(feed_id, parsed.items)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(path: str | Path) -> Store:
    """Open (creating and migrating as needed) the database at `path`."""
    path = Path(path)
    conn = connect(path)
    try:
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StorageError(
            f"cannot prepare the database {path}: {exc}",
            hint="the file may be damaged or not a Hearth database; move it away to start afresh",
        ) from exc
    except BaseException:
        conn.close()
        raise
    return Store(conn, path)
