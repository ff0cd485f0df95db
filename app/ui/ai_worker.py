"""The one long-lived model thread: it owns the Assistant (and so the model), runs queued requests one at a
time, and streams text back by signal in batches of ~30 ms. A new request for a view pre-empts that view's
old one; background jobs (auto-summaries, read-ahead) run only when no user request waits, and yield to any
that comes (cancelled and queued again). `pause_background` holds them (on battery, while the user types).

Requests and results are typed (app.ai.requests, app.ai.results); each request type has one handler in a
table, so adding a kind without its handler fails at once (and in tests/ui/test_ai_requests.py).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.ai.requests import (
    AiRequest,
    AskRequest,
    AutoSummaryRequest,
    BriefRequest,
    ChatAskRequest,
    ChatContinueRequest,
    ChatFreeRequest,
    ChatInstructRequest,
    ChatOpenRequest,
    ChatRegenerateRequest,
    ChatRequest,
    ChatResetRequest,
    DigestRequest,
    LoadModelRequest,
    ReadAheadRequest,
    SummarizeRequest,
    TranslateRequest,
    TranslateTitlesRequest,
)
from app.ai.results import (
    AiResult,
    ChatOpened,
    FinishReason,
    ModelLoaded,
    Reply,
    SummariesQueued,
    TitlesTranslated,
    TranslatedBlock,
)
from app.config import Paths, Settings
from app.errors import HearthError
from app.ui.ai_queue import BACKGROUND_GAP_S, Job, RequestQueue
from app.ui.ai_stream import Batcher, Progress, Run, loading_progress

log = logging.getLogger(__name__)

MAX_CHATS = 8  # article chats kept (each holds one state)


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
        self._chats: OrderedDict[int, Any] = OrderedDict()
        self._handlers: dict[type[AiRequest], Callable[[Any, Run], AiResult | None]] = {
            LoadModelRequest: self._load,
            SummarizeRequest: self._summarize,
            DigestRequest: self._digest,
            AutoSummaryRequest: self._auto_summary,
            TranslateRequest: self._translate,
            AskRequest: self._ask,
            BriefRequest: self._brief,
            ReadAheadRequest: self._read_ahead,
            TranslateTitlesRequest: self._translate_titles,
            **{kind: self._chat_step(step) for kind, step in CHAT_STEPS.items()},
        }

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
        return frozenset(self._handlers)

    # GUI side ---------------------------------------------------------------------------------------
    def submit(self, request: AiRequest, view: str = "panel", *, background: bool = False) -> int:
        """Queue a request; returns its id. A user request cancels the same view's older ones and any
        running background job (which is queued again to run later). TypeError for a request this worker
        has no handler for (a programming error: caught here, on the caller's side, not on the model thread)."""
        if type(request) not in self._handlers:
            raise TypeError(
                f"the AI worker has no handler for {type(request).__name__}: pass one of "
                "app.ai.requests.request_kinds() (a new kind needs an entry in AiWorker._handlers)"
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
            self.assistant = Assistant(self.settings, self.paths, store)
            while (job := self.queue.next()) is not None:
                try:
                    self._handle(job)
                finally:
                    self.queue.done()
        finally:
            self._chats.clear()
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
            result = self._handlers[type(request)](request, Run(job, stream, progress))
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
            self.model_ready.emit(self._loaded_note())

    # handlers: one per request type -----------------------------------------------------------------
    def _load(self, _request: LoadModelRequest, run: Run) -> ModelLoaded:
        self.assistant.load(run.progress)
        return ModelLoaded(self._loaded_note())

    def _summarize(self, request: SummarizeRequest, run: Run) -> AiResult | None:
        a = self.assistant
        if run.job.background and a.cached_summary(request.article_id) is not None:
            return None  # written meanwhile: nothing to do
        return a.summarize(
            request.article_id, refresh=request.refresh, on_text=run.stream, cancel=run.job.cancel,
            progress=run.progress,
        )  # fmt: skip

    def _digest(self, request: DigestRequest, run: Run) -> AiResult:
        a = self.assistant
        ids = list(request.article_ids) if request.article_ids is not None else a.digest_ids(request.scope)
        return a.digest(ids, on_text=run.stream, cancel=run.job.cancel, progress=run.progress)

    def _auto_summary(self, request: AutoSummaryRequest, _run: Run) -> SummariesQueued:
        return self._queue_auto(request.feed_id, request.limit)

    def _read_ahead(self, request: ReadAheadRequest, run: Run) -> AiResult | None:
        """Read the newest unread articles ahead (never loads the model: None until one is loaded)."""
        reader = self.assistant.read_ahead(limit=request.limit)
        return reader.run(cancel=run.job.cancel, on_progress=self.read_ahead_progress.emit)

    def _translate(self, request: TranslateRequest, run: Run) -> AiResult:
        """An article into ai.language (or the request's language): the title, then each block as it is done."""
        job, stream = run.job, run.stream

        def block(done: TranslatedBlock) -> None:
            stream.flush()  # the block's streamed text goes out before the block itself
            self.translated_block.emit(job.id, done)

        translator = self.assistant.translator(max_block_tokens=request.max_block_tokens)
        return translator.translate_article(
            request.article_id, language=request.language, refresh=request.refresh,
            on_title=lambda title: self.translated_title.emit(job.id, title), on_text=stream,
            on_block=block, cancel=job.cancel, progress=run.progress,
        )  # fmt: skip

    def _translate_titles(self, request: TranslateTitlesRequest, run: Run) -> AiResult:
        job = run.job
        translator = self.assistant.translator()
        titles = translator.translate_titles(
            request.article_ids, language=request.language, cancel=job.cancel,
            on_title=lambda article_id, title: self.title_translated.emit(job.id, article_id, title),
        )  # fmt: skip
        finish = FinishReason.CANCELLED if len(titles) < len(request.article_ids) else FinishReason.STOP
        return TitlesTranslated(translator.language(request.language), tuple(titles.items()), finish)

    def _ask(self, request: AskRequest, run: Run) -> AiResult:
        job = run.job
        return self.assistant.ask(
            request.question, request.scope, on_text=run.stream, cancel=job.cancel, progress=run.progress,
            on_sources=lambda sources: self.sources_found.emit(job.id, sources),
        )  # fmt: skip

    def _brief(self, request: BriefRequest, run: Run) -> AiResult:
        return self.assistant.briefing(
            request.scope, refresh=request.refresh, on_text=run.stream, cancel=run.job.cancel,
            progress=run.progress,
        )  # fmt: skip

    def _chat_step(
        self, step: Callable[[Any, Any, Run], Reply | None]
    ) -> Callable[[Any, Run], AiResult | None]:
        """A handler that runs `step` on the article's chat (opened once and kept); a step that returns no
        reply (open, reset) finishes with what the chat holds."""

        def handle(request: ChatRequest, run: Run) -> AiResult | None:
            chat = self._chat(request.article_id, run.job.cancel, run.progress)
            if chat is None:  # cancelled while reading the article
                return None
            reply = step(chat, request, run)
            return reply if reply is not None else _opened(chat)

        return handle

    # helpers ----------------------------------------------------------------------------------------
    def _chat(self, article_id: int, cancel: threading.Event, progress: Progress) -> Any:
        model = self.assistant.load(progress)  # reloads when the settings chose another model
        chat = self._chats.get(article_id)
        if chat is not None and chat.model is model:
            self._chats.move_to_end(article_id)
            return chat
        chat = self.assistant.article_chat(article_id, cancel=cancel, progress=progress)
        if chat is not None:
            self.chat_opened.emit(article_id, _opened(chat))
            self._chats[article_id] = chat
            while len(self._chats) > MAX_CHATS:
                self._chats.popitem(last=False)
        return chat

    def _queue_auto(self, feed_id: int, limit: int) -> SummariesQueued:
        """Queue the feed's rules as background jobs on its newest unread articles that lack their result: at
        most `limit` model runs (a summary or a translation each)."""
        from app.models import ArticleQuery

        a = self.assistant
        rules = a.store.feed_rules(feed_id)
        ids = a.store.query_ids(ArticleQuery(feed_ids=(feed_id,), unread_only=True))[:limit]
        translator = a.translator() if rules.translate else None
        language = rules.language or None
        jobs: list[Job] = []  # newest article first, its summary before its translation
        for i in ids:
            if rules.summarize and a.cached_summary(i) is None:
                jobs.append(Job(SummarizeRequest(i), f"auto:{i}", True))
            if translator is not None and translator.cached(i, language) is None:
                jobs.append(Job(TranslateRequest(i, language), f"auto-tr:{i}", True))
        jobs = jobs[:limit]
        self.queue.extend(jobs)
        queued = [j.request for j in jobs]
        return SummariesQueued(
            feed_id, len(jobs),
            tuple(r.article_id for r in queued if isinstance(r, SummarizeRequest)),
            tuple(r.article_id for r in queued if isinstance(r, TranslateRequest)),
        )  # fmt: skip

    def _progress_hook(self) -> Progress:
        """None once the model is loaded; else a hook that moves the loading bar (app.ui.ai_stream)."""
        return None if self.assistant.loaded else loading_progress(self.loading.emit)

    def _loaded_note(self) -> str:
        model = self.assistant.model
        info = model.info
        plan = getattr(model, "plan", None)
        how = plan.summary() if plan is not None else f"{model.device} · {model.dtype}"
        return f"{info.path.name} · RWKV-{info.version} {info.params / 1e6:.0f}M · {how}"


def _io(run: Run) -> dict[str, Any]:
    """The streaming and cancel arguments every chat step takes."""
    return {"on_text": run.stream, "cancel": run.job.cancel}


def _sampled(
    r: ChatAskRequest | ChatInstructRequest | ChatFreeRequest | ChatRegenerateRequest,
) -> dict[str, Any]:
    return {"temperature": r.temperature, "top_p": r.top_p}


# what each chat step does on the article's chat (None: finish with what the chat holds)
CHAT_STEPS: dict[type[ChatRequest], Callable[[Any, Any, Run], Reply | None]] = {
    ChatOpenRequest: lambda chat, r, run: None,
    ChatResetRequest: lambda chat, r, run: chat.reset(),
    ChatAskRequest: lambda chat, r, run: chat.ask(r.text, **_sampled(r), **_io(run)),
    ChatInstructRequest: lambda chat, r, run: chat.instruct(r.text, **_sampled(r), **_io(run)),
    ChatFreeRequest: lambda chat, r, run: chat.free(r.text, **_sampled(r), **_io(run)),
    ChatRegenerateRequest: lambda chat, r, run: chat.regenerate(**_sampled(r), **_io(run)),
    ChatContinueRequest: lambda chat, r, run: chat.continue_(**_io(run)),
}


def _opened(chat: Any) -> ChatOpened:
    return ChatOpened(chat.article_id, chat.context_tokens, chat.cut_to, chat.from_cache)
