"""One writer thread with its own Store: every write (and every heavy read) runs here, in order.

`submit(fn, on_done)` queues `fn(store)`; its result reaches `on_done` on the GUI thread. Writes are
serialised, so "mark read" then "undo" always apply in the order the user gave them. UI operations
(app/ui/operations.py) run through `submit` and announce what they changed on `operation_did_execute`.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.errors import HearthError
from app.ui.background import Callback, CallbackRelay

log = logging.getLogger(__name__)

_STOP = object()


class DbExecutor(QObject):
    failed = Signal(str)  # a user-facing message for the status bar, when no on_error was given
    # an operation's write succeeded: (OpChanges, initiator or None); views refresh what changed
    operation_did_execute = Signal(object, object)

    def __init__(self, db_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = Path(db_path)
        self._queue: queue.Queue[Any] = queue.Queue()
        self._relay = CallbackRelay(self)
        self._idle = threading.Event()
        self._idle.set()
        self._pending = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="hearth-db", daemon=True)
        self._thread.start()

    def submit(
        self,
        fn: Callable[[Any], Any],
        on_done: Callback | None = None,
        on_error: Callback | None = None,
    ) -> None:
        with self._lock:
            self._pending += 1
            self._idle.clear()
        self._queue.put((fn, on_done, on_error))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued job ran (tests, and quitting)."""
        return self._idle.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        from app.storage import open_store

        store = open_store(self.db_path)
        try:
            while True:
                item = self._queue.get()
                if item is _STOP:
                    break
                fn, on_done, on_error = item
                try:
                    result = fn(store)
                except HearthError as exc:
                    self._report(on_error, exc, exc.user_message())
                except Exception as exc:  # unexpected: log it with its traceback, tell the user briefly
                    log.exception("database job failed")
                    self._report(on_error, exc, f"Internal error: {exc}")
                else:
                    self._relay.deliver(on_done, result)
                finally:
                    with self._lock:
                        self._pending -= 1
                        if self._pending == 0:
                            self._idle.set()
        finally:
            store.close()

    def _report(self, on_error: Callback | None, exc: Exception, message: str) -> None:
        if on_error is not None:
            self._relay.deliver(on_error, exc)
        else:
            self.failed.emit(message)
