"""The one long-lived model thread: it owns the Assistant (and so the model), runs queued requests one at a
time, and streams text back by signal in batches of ~30 ms. A new request for a view pre-empts that view's
old one; background jobs (auto-summaries, read-ahead) run only when no user request waits, and yield to any
that comes (cancelled and queued again). `pause_background` holds them (on battery, while the user types).

This module is the thread and its signals; which job runs next is app.ui.ai_queue, what each request type
does is app.ui.ai_handlers (one handler per type, so adding a kind without its handler fails at once, and in
tests/ui/test_ai_requests.py), and how text and loading progress go back is app.ui.ai_stream.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.ai.requests import AiRequest, ReadAheadRequest
from app.config import Paths, Settings
from app.errors import HearthError
from app.ui.ai_handlers import RequestHandlers, loaded_note
from app.ui.ai_queue import BACKGROUND_GAP_S, Job, RequestQueue
from app.ui.ai_stream import Batcher, Progress, Run, loading_progress

log = logging.getLogger(__name__)


class AiWorker(QObject):
    loading = Signal(float)  # 0..1 while the model loads
    model_ready = Signal(str)  # a one-line description of the loaded model
    started = Signal(int, object)  # request id, the AiRequest
    text_arrived = Signal(int, str)  # request id, a batch of streamed text
    finished = Signal(int, object, object)  # request id, the AiRequest, its AiResult (None: nothing was done)
    failed = Signal(int, object, str)  # request id, the AiRequest, a user-facing message
    chat_opened = Signal(int, object)  # article id, ChatOpened once its chat has read it
    translated_title = Signal(int, str)  # request id, the article's title in the target language
    translated_block = Signal(int, object)  # request id, app.ai.results.TranslatedBlock (in order)
    sources_found = Signal(int, object)  # request id, list[app.ai.results.CitedSource], before the answer
    title_translated = Signal(int, int, str)  # request id, article id, its title in the target language
    read_ahead_progress = Signal(object)  # app.ai.results.ReadAheadProgress
    background_paused = Signal(object)  # frozenset of the reasons background jobs are held (empty: running)

    def __init__(self, paths: Paths, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.settings = settings
        self.queue = RequestQueue(BACKGROUND_GAP_S)
        self._thread: threading.Thread | None = None
        self.assistant: Any = None  # app.ai.assistant.Assistant, made on the worker thread
        self._handlers = RequestHandlers(self)

    @property
    def background_gap_s(self) -> float:
        """Quiet time after a user request before a background job may start."""
        return self.queue.gap_s

    @background_gap_s.setter
    def background_gap_s(self, seconds: float) -> None:
        self.queue.gap_s = seconds

    @property
    def _cv(self) -> threading.Condition:  # the queue's lock, for a look at what is queued
        return self.queue.cv

    @property
    def _pending(self) -> list[Job]:
        return self.queue.pending

    def handled_kinds(self) -> frozenset[type[AiRequest]]:
        """The request types this worker runs (every one in app.ai.requests.request_kinds())."""
        return frozenset(self._handlers.table)

    # GUI side ---------------------------------------------------------------------------------------
    def submit(self, request: AiRequest, view: str = "panel", *, background: bool = False) -> int:
        """Queue a request; returns its id. A user request cancels the same view's older ones and any
        running background job (which is queued again to run later). TypeError for a request this worker
        has no handler for (a programming error: caught here, on the caller's side, not on the model thread)."""
        if type(request) not in self._handlers.table:
            raise TypeError(
                f"the AI worker has no handler for {type(request).__name__}: pass one of "
                "app.ai.requests.request_kinds() (a new kind needs an entry in RequestHandlers.table)"
            )
        job = Job(request, view, background)
        if self.queue.put(job):
            self._ensure_thread()
        return job.id

    def cancel(self, view: str = "panel") -> None:
        """Stop what runs or waits for `view` (the Stop button)."""
        self.queue.cancel(view)

    def pause_background(self, reason: str, paused: bool = True) -> None:
        """Hold (or release) background jobs for `reason` ("battery", "typing", "user"); a running one is
        cancelled at once and queued again, to resume when no reason is left."""
        before, now = self.queue.hold(reason, paused)
        if now != before:
            self.background_paused.emit(now)

    def paused_reasons(self) -> frozenset[str]:
        return self.queue.paused_reasons()

    def has_pending(self, kind: type[AiRequest]) -> bool:
        """Whether a request of `kind` is queued or running."""
        return self.queue.has_pending(kind)

    def busy(self) -> bool:
        return self.queue.busy()

    def close(self, timeout: float = 10.0) -> bool:
        self.queue.close()
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="hearth-ai", daemon=True)
            self._thread.start()

    # worker side ------------------------------------------------------------------------------------
    def _run(self) -> None:
        store = None
        try:
            from app.ai.assistant import Assistant
            from app.storage import open_store

            store = open_store(self.paths.db_path)
            self.assistant = Assistant(self.settings, self.paths, store, context="gui")
            while (job := self.queue.next()) is not None:
                try:
                    self._handle(job)
                finally:
                    self.queue.done()
        finally:
            self._handlers.chats.clear()
            self.assistant = None
            if store is not None:
                store.close()

    def _handle(self, job: Job) -> None:
        if job.cancel.is_set():
            return
        request = job.request
        self.started.emit(job.id, request)
        stream = Batcher(lambda text: self.text_arrived.emit(job.id, text))
        was_loaded = self.assistant.loaded
        try:
            # read-ahead never loads the model, so it shows no loading bar
            progress = None if isinstance(request, ReadAheadRequest) else self._progress_hook()
            result = self._handlers.run(request, Run(job, stream, progress))
        except HearthError as exc:
            message = exc.user_message()
        except MemoryError:
            message = "Out of memory — choose a smaller model or int8."
        except RuntimeError as exc:  # torch reports CUDA/CPU allocation failures as RuntimeError
            log.exception("model run failed")
            text = str(exc)
            if "out of memory" in text.lower():
                message = "Out of memory while running the model — use int8, a smaller model or the CPU."
            else:
                message = f"The model failed: {text.splitlines()[0][:300] if text else type(exc).__name__}"
        except Exception as exc:  # never let one request kill the model thread
            log.exception("AI request %s failed", request.kind)
            message = f"Internal error: {exc}"
        else:
            stream.flush()
            self._announce(was_loaded)
            self.finished.emit(job.id, request, result)
            return
        stream.flush()
        self._announce(was_loaded)
        self.failed.emit(job.id, request, message)

    def _announce(self, was_loaded: bool) -> None:
        if not was_loaded and self.assistant.loaded:
            self.model_ready.emit(loaded_note(self.assistant))

    def _progress_hook(self) -> Progress:
        """None once the model is loaded; else a hook that moves the loading bar (app.ui.ai_stream)."""
        return None if self.assistant.loaded else loading_progress(self.loading.emit)
