"""Work off the GUI thread with results delivered back on it: a signal relay and a small task pool.

Callbacks always run on the GUI thread (the relay lives there; a signal emitted from a worker thread
is queued to it), so widgets are only ever touched from the thread that owns them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

Callback = Callable[[Any], None]


class CallbackRelay(QObject):
    """Runs `callback(value)` on the thread this object lives in (the GUI thread)."""

    delivered = Signal(object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.delivered.connect(self._on_delivered)

    def deliver(self, callback: Callback | None, value: Any) -> None:
        if callback is not None:
            self.delivered.emit(callback, value)

    @staticmethod
    def _on_delivered(callback: Callback, value: Any) -> None:
        try:
            callback(value)
        except Exception:  # a broken slot must not take the event loop down
            log.exception("callback %r failed", callback)


class TaskPool(QObject):
    """A few threads for network jobs (discovery, favicons, images); results come back by signal."""

    def __init__(self, workers: int = 4, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hearth-task")
        self._relay = CallbackRelay(self)
        self._closed = False

    def submit(
        self, fn: Callable[[], Any], on_done: Callback | None = None, on_error: Callback | None = None
    ) -> None:
        if self._closed:
            return

        def job() -> None:
            try:
                result = fn()
            except Exception as exc:  # handed to on_error on the GUI thread
                if on_error is None:
                    log.warning("background task failed: %s", exc)
                self._relay.deliver(on_error, exc)
            else:
                self._relay.deliver(on_done, result)

        self._pool.submit(job)

    def close(self, wait: bool = False) -> None:
        self._closed = True
        self._pool.shutdown(wait=wait, cancel_futures=True)
