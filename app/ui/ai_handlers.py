"""What the AI worker does for each request type (app.ai.requests), on its model thread: one handler per type
in `RequestHandlers.table`, so a kind without its handler is refused at submit (tests/ui/test_ai_requests.py).

A handler gets its request and a `Run` (the job's cancel flag, the text stream, the loading progress hook)
and returns the typed result (app.ai.results), or None when there was nothing to do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from app.ai.requests import (
    AiRequest,
    AskRequest,
    AutoSummaryRequest,
    BriefRequest,
    ChatRequest,
    DigestRequest,
    LoadModelRequest,
    ReadAheadRequest,
    SummarizeRequest,
    TranslateRequest,
    TranslateTitlesRequest,
)
from app.ai.results import (
    AiResult,
    FinishReason,
    ModelLoaded,
    SummariesQueued,
    TitlesTranslated,
    TranslatedBlock,
)
from app.ui.ai_chats import CHAT_STEPS, ArticleChats, ChatStep, opened
from app.ui.ai_queue import Job, RequestQueue
from app.ui.ai_stream import Run

Handler = Callable[[Any, Run], AiResult | None]


class WorkerSide(Protocol):
    """What the handlers use of the AI worker: its Assistant, its queue and the signals they emit on."""

    assistant: Any  # app.ai.assistant.Assistant, made on the worker thread
    queue: RequestQueue
    chat_opened: Any
    translated_title: Any
    translated_block: Any
    sources_found: Any
    title_translated: Any
    read_ahead_progress: Any


class RequestHandlers:
    """The handler table of one worker, and the article chats its chat requests run on."""

    def __init__(self, worker: WorkerSide) -> None:
        self.worker = worker
        self.chats = ArticleChats(worker.chat_opened.emit)
        self.table: dict[type[AiRequest], Handler] = {
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

    def run(self, request: AiRequest, run: Run) -> AiResult | None:
        return self.table[type(request)](request, run)

    def _load(self, _request: LoadModelRequest, run: Run) -> ModelLoaded:
        self.worker.assistant.load(run.progress)
        return ModelLoaded(loaded_note(self.worker.assistant))

    def _summarize(self, request: SummarizeRequest, run: Run) -> AiResult | None:
        a = self.worker.assistant
        if run.job.background and a.cached_summary(request.article_id) is not None:
            return None  # written meanwhile: nothing to do
        return a.summarize(
            request.article_id, refresh=request.refresh, on_text=run.stream, cancel=run.job.cancel,
            progress=run.progress,
        )  # fmt: skip

    def _digest(self, request: DigestRequest, run: Run) -> AiResult:
        a = self.worker.assistant
        ids = list(request.article_ids) if request.article_ids is not None else a.digest_ids(request.scope)
        return a.digest(ids, on_text=run.stream, cancel=run.job.cancel, progress=run.progress)

    def _auto_summary(self, request: AutoSummaryRequest, _run: Run) -> SummariesQueued:
        return self._queue_auto(request.feed_id, request.limit)

    def _read_ahead(self, request: ReadAheadRequest, run: Run) -> AiResult | None:
        """Read the newest unread articles ahead (never loads the model: None until one is loaded)."""
        reader = self.worker.assistant.read_ahead(limit=request.limit)
        return reader.run(cancel=run.job.cancel, on_progress=self.worker.read_ahead_progress.emit)

    def _translate(self, request: TranslateRequest, run: Run) -> AiResult:
        """An article into ai.language (or the request's language): the title, then each block as it is done."""
        job, stream, worker = run.job, run.stream, self.worker

        def block(done: TranslatedBlock) -> None:
            stream.flush()  # the block's streamed text goes out before the block itself
            worker.translated_block.emit(job.id, done)

        translator = worker.assistant.translator(max_block_tokens=request.max_block_tokens)
        return translator.translate_article(
            request.article_id, language=request.language, refresh=request.refresh,
            on_title=lambda title: worker.translated_title.emit(job.id, title), on_text=stream,
            on_block=block, cancel=job.cancel, progress=run.progress,
        )  # fmt: skip

    def _translate_titles(self, request: TranslateTitlesRequest, run: Run) -> AiResult:
        job, worker = run.job, self.worker
        translator = worker.assistant.translator()
        titles = translator.translate_titles(
            request.article_ids, language=request.language, cancel=job.cancel,
            on_title=lambda article_id, title: worker.title_translated.emit(job.id, article_id, title),
        )  # fmt: skip
        finish = FinishReason.CANCELLED if len(titles) < len(request.article_ids) else FinishReason.STOP
        return TitlesTranslated(translator.language(request.language), tuple(titles.items()), finish)

    def _ask(self, request: AskRequest, run: Run) -> AiResult:
        job, worker = run.job, self.worker
        return worker.assistant.ask(
            request.question, request.scope, on_text=run.stream, cancel=job.cancel, progress=run.progress,
            on_sources=lambda sources: worker.sources_found.emit(job.id, sources),
        )  # fmt: skip

    def _brief(self, request: BriefRequest, run: Run) -> AiResult:
        return self.worker.assistant.briefing(
            request.scope, refresh=request.refresh, on_text=run.stream, cancel=run.job.cancel,
            progress=run.progress,
        )  # fmt: skip

    def _chat_step(self, step: ChatStep) -> Handler:
        """A handler that runs `step` on the article's chat (opened once and kept); a step that returns no
        reply (open, reset) finishes with what the chat holds."""

        def handle(request: ChatRequest, run: Run) -> AiResult | None:
            chat = self.chats.get(self.worker.assistant, request.article_id, run.job.cancel, run.progress)
            if chat is None:  # cancelled while reading the article
                return None
            reply = step(chat, request, run)
            return reply if reply is not None else opened(chat)

        return handle

    def _queue_auto(self, feed_id: int, limit: int) -> SummariesQueued:
        """Queue the feed's rules as background jobs on its newest unread articles that lack their result: at
        most `limit` model runs (a summary or a translation each)."""
        from app.models import ArticleQuery

        a = self.worker.assistant
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
        self.worker.queue.extend(jobs)
        queued = [j.request for j in jobs]
        return SummariesQueued(
            feed_id, len(jobs),
            tuple(r.article_id for r in queued if isinstance(r, SummarizeRequest)),
            tuple(r.article_id for r in queued if isinstance(r, TranslateRequest)),
        )  # fmt: skip


def loaded_note(assistant: Any) -> str:
    """A one-line description of the loaded model: file, version and size, and how it runs."""
    model = assistant.model
    info = model.info
    plan = getattr(model, "plan", None)
    how = plan.summary() if plan is not None else f"{model.device} · {model.dtype}"
    return f"{info.path.name} · RWKV-{info.version} {info.params / 1e6:.0f}M · {how}"
