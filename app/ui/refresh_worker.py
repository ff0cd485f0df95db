"""Refreshing in the background: a thread runs the Library's Refresher on its own Store connection.

Network, parsing and writes all happen off the GUI thread; the GUI hears about it only through the
signals below (one `feed_done` per committed feed, so counts update while the refresh runs).
Cancelling (Quit, or Stop) keeps what was already committed.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.config import Key
from app.errors import HearthError
from app.library import Library

log = logging.getLogger(__name__)

_STOP = object()


class RefreshController(QObject):
    started = Signal(int)  # feeds to refresh (0 until the refresher knows)
    progressed = Signal(int, int, str)  # done, total, feed title
    feed_done = Signal(object)  # app.fetching.FeedOutcome, after its articles are committed
    finished = Signal(object)  # RefreshReport, or None when the refresh could not start
    failed = Signal(str)  # a user-facing message

    def __init__(
        self,
        library: Library,
        *,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.library = library
        self.settings = library.settings
        # one long-lived thread keeps its Store and Refresher (and so the refresher's forked parse
        # workers) between refreshes: forking a big GUI process holds the GIL, so do it once
        self._requests: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._busy = threading.Event()
        self._cancel = threading.Event()
        self.background = False  # the scheduler started the running refresh (not the user)

    def is_running(self) -> bool:
        return self._busy.is_set()

    def start(self, feed_ids: Sequence[int] | None = None, *, background: bool = False) -> bool:
        """Refresh these feeds (None: the due ones when `background`, else all enabled). False if busy."""
        if self.is_running():
            return False
        self._cancel = threading.Event()
        self.background = background
        ids = list(feed_ids) if feed_ids is not None else None
        self._busy.set()
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="hearth-refresh", daemon=True)
            self._thread.start()
        self.started.emit(len(ids) if ids is not None else 0)
        self._requests.put((ids, background, self._cancel))
        return True

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, timeout: float = 15.0) -> bool:
        """Stop the worker (quitting): True if it ended in time; a refresh in flight is cancelled."""
        self._cancel.set()
        if self._thread is None:
            return True
        self._requests.put(_STOP)
        self._thread.join(timeout)
        alive = self._thread.is_alive()
        if not alive:
            self._thread = None
        return not alive

    def _serve(self) -> None:
        store = self.library.open_store()
        refresher: Any = None
        options: Any = None
        try:
            while True:
                request = self._requests.get()
                if request is _STOP:
                    break
                feed_ids, due_only, cancel = request
                report = None
                try:
                    refresher, options = self._refresher(store, refresher, options)
                    report = self._refresh(refresher, feed_ids, due_only, cancel)
                except HearthError as exc:
                    self.failed.emit(exc.user_message())
                except Exception as exc:  # never let the worker die silently
                    log.exception("refresh failed")
                    self.failed.emit(f"Refresh failed: {exc}")
                finally:
                    self._busy.clear()
                    self.finished.emit(report)
        finally:
            if refresher is not None:
                refresher.close()
            store.close()

    def _refresher(self, store: Any, current: Any, options: Any) -> tuple[Any, Any]:
        """The Refresher to use: the last one, unless the fetch settings changed since."""
        from app.fetching import FetchOptions

        # forkserver: parse workers must not be forked from this process (Qt threads, a big heap)
        start = "forkserver" if sys.platform.startswith("linux") else None
        wanted = FetchOptions.from_settings(self.settings, parse_start_method=start)
        if current is not None and wanted == options:
            return current, options
        if current is not None:
            current.close()
        return self.library.refresher(store, options=wanted), wanted

    def _refresh(
        self, refresher: Any, feed_ids: list[int] | None, due_only: bool, cancel: threading.Event
    ) -> Any:
        def progress(done: int, total: int, feed: Any, outcome: Any) -> None:
            if outcome is not None:
                self.feed_done.emit(outcome)
            self.progressed.emit(done, total, getattr(feed, "title", "") or getattr(feed, "url", ""))

        refresher.retention_days = self.settings.get(Key.RETENTION_DAYS)
        refresher.cookie_header_for = self.library.cookie_lookup()  # the vault's sites: read once a refresh
        if feed_ids is not None:
            return refresher.refresh(feed_ids=feed_ids, progress=progress, cancel=cancel)
        return refresher.refresh(all=not due_only, progress=progress, cancel=cancel)
