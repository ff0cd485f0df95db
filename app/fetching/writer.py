"""The one writer: a thread with its own SQLite connection that commits each feed's result as it
arrives, so the event loop never waits on disk and a killed refresh keeps everything committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from app.models import FetchState, ParsedFeed, UpsertResult

if TYPE_CHECKING:
    from app.storage import Store

log = logging.getLogger(__name__)
T = TypeVar("T")


class StoreWriter:
    """`await writer.record(feed_id, state, parsed)` runs `Store.record_fetch` on the writer thread."""

    def __init__(self, db_path: str | Path) -> None:
        self._store: Store | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="hearth-writer")
        # open on the writer thread (a connection belongs to the thread that made it); fail early
        try:
            self._executor.submit(self._open, db_path).result()
        except BaseException:
            self._executor.shutdown(wait=True)
            raise

    def _open(self, db_path: str | Path) -> None:
        from app.storage import open_store

        self._store = open_store(db_path)

    def _record(self, feed_id: int, state: FetchState, parsed: ParsedFeed | None) -> UpsertResult:
        assert self._store is not None
        return self._store.record_fetch(feed_id, state, parsed)

    async def record(self, feed_id: int, state: FetchState, parsed: ParsedFeed | None) -> UpsertResult:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._record, feed_id, state, parsed)

    async def run(self, job: Callable[[Store], T]) -> T:
        """`job(store)` on the writer thread (a small write that belongs with the refresh's own)."""
        assert self._store is not None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, job, self._store)

    def _close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def close(self) -> None:
        """Waits for the write in progress (it commits), then closes the connection."""
        try:
            self._executor.submit(self._close_store).result()
        finally:
            self._executor.shutdown(wait=True)
