"""The one long-lived model thread: it owns the Assistant (and so the model), runs queued requests one at a
time, and streams text back by signal in batches of ~30 ms. A new request for a view pre-empts that view's
old one; background jobs (auto-summaries) run only when no user request waits, and yield to any that comes.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.config import Paths, Settings
from app.errors import HearthError

log = logging.getLogger(__name__)

FLUSH_S = 0.03  # text batched per 30 ms: smooth for the eye, cheap for the event loop
BACKGROUND_GAP_S = 3.0  # quiet time after a user request before a background job may start
MAX_CHATS = 8  # article chats kept (each holds one state)
_ids = itertools.count(1)


@dataclass
class AiRequest:
    kind: str  # summarize, digest, translate, ask, chat_open, chat_ask, chat_regen, chat_continue, chat_reset, chat_free, ...
    view: str  # requests for the same view pre-empt each other
    args: dict[str, Any] = field(default_factory=dict)
    background: bool = False
    id: int = field(default_factory=lambda: next(_ids))
    cancel: threading.Event = field(default_factory=threading.Event)


class AiWorker(QObject):
    loading = Signal(float)  # 0..1 while the model loads
    model_ready = Signal(str)  # a one-line description of the loaded model
    started = Signal(int, str)  # request id, kind
    text_arrived = Signal(int, str)  # request id, a batch of streamed text
    finished = Signal(int, str, object)  # request id, kind, result (SummaryResult, Reply, DigestResult, ...)
    failed = Signal(int, str, str)  # request id, kind, a user-facing message
    chat_opened = Signal(
        int, object
    )  # article id, {"tokens", "cut_to", "from_cache"} once its chat has read it
    translated_title = Signal(int, str)  # request id, the article's title in the target language
    translated_block = Signal(int, object)  # request id, app.ai.translate.TranslatedBlock (in order)
    sources_found = Signal(int, object)  # request id, list[app.ai.ask.CitedSource] before the answer streams

    def __init__(self, paths: Paths, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.settings = settings
        self.background_gap_s = BACKGROUND_GAP_S
        self._cv = threading.Condition()
        self._pending: list[AiRequest] = []
        self._current: AiRequest | None = None
        self._closed = False
        self._last_user = 0.0
        self._thread: threading.Thread | None = None
        self.assistant: Any = None  # app.ai.assistant.Assistant, made on the worker thread
        self._chats: OrderedDict[int, Any] = OrderedDict()

    # GUI side ---------------------------------------------------------------------------------------
    def submit(self, kind: str, view: str = "panel", *, background: bool = False, **args: Any) -> int:
        """Queue a request; returns its id. A user request cancels the same view's older ones and any
        running background job (which is queued again to run later)."""
        request = AiRequest(kind, view, args, background)
        with self._cv:
            if self._closed:
                return request.id
            if not background:
                self._last_user = time.monotonic()
                for old in list(self._pending):
                    if old.view == view and not old.background:
                        old.cancel.set()
                        self._pending.remove(old)
                current = self._current
                if current is not None and (current.view == view or current.background):
                    current.cancel.set()
                    if current.background:
                        self._pending.append(AiRequest(current.kind, current.view, current.args, True))
            self._pending.append(request)
            self._cv.notify_all()
        self._ensure_thread()
        return request.id

    def cancel(self, view: str = "panel") -> None:
        """Stop what runs or waits for `view` (the Stop button)."""
        with self._cv:
            for old in [r for r in self._pending if r.view == view]:
                old.cancel.set()
                self._pending.remove(old)
            if self._current is not None and self._current.view == view:
                self._current.cancel.set()

    def busy(self) -> bool:
        with self._cv:
            return self._current is not None or any(not r.background for r in self._pending)

    def close(self, timeout: float = 10.0) -> bool:
        with self._cv:
            self._closed = True
            for request in self._pending:
                request.cancel.set()
            self._pending.clear()
            if self._current is not None:
                self._current.cancel.set()
            self._cv.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="hearth-ai", daemon=True)
            self._thread.start()

    # worker side ------------------------------------------------------------------------------------
    def _next(self) -> AiRequest | None:
        with self._cv:
            while True:
                if self._closed:
                    return None
                users = [r for r in self._pending if not r.background]
                if users:
                    request = users[0]
                elif self._pending:
                    wait = self._last_user + self.background_gap_s - time.monotonic()
                    if wait > 0:
                        self._cv.wait(wait)
                        continue
                    request = self._pending[0]
                else:
                    self._cv.wait()
                    continue
                self._pending.remove(request)
                self._current = request
                return request

    def _run(self) -> None:
        store = None
        try:
            from app.ai.assistant import Assistant
            from app.storage import open_store

            store = open_store(self.paths.db_path)
            self.assistant = Assistant(self.settings, self.paths, store)
            while (request := self._next()) is not None:
                try:
                    self._handle(request)
                finally:
                    with self._cv:
                        self._current = None
        finally:
            self._chats.clear()
            self.assistant = None
            if store is not None:
                store.close()

    def _handle(self, request: AiRequest) -> None:
        if request.cancel.is_set():
            return
        self.started.emit(request.id, request.kind)
        stream = _Batcher(lambda text: self.text_arrived.emit(request.id, text))
        was_loaded = self.assistant.loaded
        try:
            result = self._perform(request, stream)
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
            self.finished.emit(request.id, request.kind, result)
            return
        stream.flush()
        self._announce(was_loaded)
        self.failed.emit(request.id, request.kind, message)

    def _announce(self, was_loaded: bool) -> None:
        if not was_loaded and self.assistant.loaded:
            self.model_ready.emit(self._loaded_note())

    def _perform(self, request: AiRequest, stream: _Batcher) -> Any:
        a, args, cancel = self.assistant, request.args, request.cancel
        progress = self._progress_hook()
        kind = request.kind
        if kind == "load":
            a.load(progress)
            return self._loaded_note()
        if kind == "summarize":
            if request.background and a.cached_summary(args["article_id"]) is not None:
                return None
            return a.summarize(
                args["article_id"], refresh=args.get("refresh", False), on_text=stream, cancel=cancel,
                progress=progress,
            )  # fmt: skip
        if kind == "digest":
            ids = args["article_ids"] if "article_ids" in args else a.digest_ids(args["scope"])
            return a.digest(ids, on_text=stream, cancel=cancel, progress=progress)
        if kind == "auto_summary":
            return self._queue_auto(args["feed_id"], args.get("limit", 5))
        if kind == "translate":
            return self._translate(request, stream, progress)
        if kind == "ask":
            return a.ask(
                args["question"], args.get("scope", "all"), on_text=stream, cancel=cancel, progress=progress,
                on_sources=lambda sources: self.sources_found.emit(request.id, sources),
            )  # fmt: skip
        chat = self._chat(args["article_id"], cancel, progress)
        if chat is None:  # cancelled while reading the article
            return None
        sampling = {"temperature": args.get("temperature"), "top_p": args.get("top_p")}
        if kind == "chat_open":
            return chat
        if kind == "chat_reset":
            chat.reset()
            return chat
        if kind == "chat_ask":
            return chat.ask(args["text"], on_text=stream, cancel=cancel, **sampling)
        if kind == "chat_regen":
            return chat.regenerate(on_text=stream, cancel=cancel, **sampling)
        if kind == "chat_continue":
            return chat.continue_(on_text=stream, cancel=cancel)
        if kind == "chat_free":
            return chat.free(args["text"], on_text=stream, cancel=cancel, **sampling)
        if kind == "chat_instruct":
            return chat.instruct(args["text"], on_text=stream, cancel=cancel, **sampling)
        raise ValueError(f"unknown AI request {kind!r}")

    def _translate(self, request: AiRequest, stream: _Batcher, progress: Any) -> Any:
        """An article into ai.language (or args["language"]): the title, then each block as it is done."""
        args = request.args

        def block(done: Any) -> None:
            stream.flush()  # the block's streamed text goes out before the block itself
            self.translated_block.emit(request.id, done)

        translator = self.assistant.translator(max_block_tokens=args.get("max_block_tokens"))
        return translator.translate_article(
            args["article_id"], language=args.get("language"), refresh=args.get("refresh", False),
            on_title=lambda title: self.translated_title.emit(request.id, title), on_text=stream,
            on_block=block, cancel=request.cancel, progress=progress,
        )  # fmt: skip

    def _chat(self, article_id: int, cancel: threading.Event, progress: Any) -> Any:
        model = self.assistant.load(progress)  # reloads when the settings chose another model
        chat = self._chats.get(article_id)
        if chat is not None and chat.model is model:
            self._chats.move_to_end(article_id)
            return chat
        chat = self.assistant.article_chat(article_id, cancel=cancel, progress=progress)
        if chat is not None:
            facts = {"tokens": chat.context_tokens, "cut_to": chat.cut_to, "from_cache": chat.from_cache}
            self.chat_opened.emit(article_id, facts)
            self._chats[article_id] = chat
            while len(self._chats) > MAX_CHATS:
                self._chats.popitem(last=False)
        return chat

    def _queue_auto(self, feed_id: int, limit: int) -> int:
        """Queue background summaries for a feed's newest unread articles that have none yet."""
        from app.models import ArticleQuery

        ids = self.assistant.store.query_ids(ArticleQuery(feed_ids=(feed_id,), unread_only=True))[:limit]
        missing = [i for i in ids if self.assistant.cached_summary(i) is None]
        with self._cv:
            for article_id in missing:
                self._pending.append(
                    AiRequest("summarize", f"auto:{article_id}", {"article_id": article_id}, True)
                )
            self._cv.notify_all()
        return len(missing)

    def _progress_hook(self) -> Any:
        if self.assistant.loaded:
            return None
        last = [0.0]

        def progress(fraction: float) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.05 or fraction >= 1.0:
                last[0] = now
                self.loading.emit(float(fraction))

        self.loading.emit(0.0)
        return progress

    def _loaded_note(self) -> str:
        model = self.assistant.model
        info = model.info
        plan = getattr(model, "plan", None)
        how = plan.summary() if plan is not None else f"{model.device} · {model.dtype}"
        return f"{info.path.name} · RWKV-{info.version} {info.params / 1e6:.0f}M · {how}"


class _Batcher:
    """Collects streamed text on the worker thread and emits it at most every FLUSH_S."""

    def __init__(self, emit: Any) -> None:
        self._emit = emit
        self._buffer: list[str] = []
        self._last = 0.0

    def __call__(self, text: str) -> None:
        self._buffer.append(text)
        now = time.monotonic()
        if now - self._last >= FLUSH_S:
            self.flush()
            self._last = now

    def flush(self) -> None:
        if self._buffer:
            text, self._buffer = "".join(self._buffer), []
            self._emit(text)
