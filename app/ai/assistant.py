"""The one facade over local AI for the window and the CLI: the configured model (loaded on first use) or the
user's own OpenAI-compatible server (`ai.backend`), article summaries and digests cached in the database, chats
about an article on a cached state, and translations, questions and briefings (app.ai.translate / ask / briefing).

Nothing here imports torch until a model is needed: cached summaries and the model id come from the
settings and the file's name and size only. One Assistant belongs to one thread (its store's thread).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from app.ai.backends import BackendName, OpenAIBackend, RwkvBackend, backend_name
from app.ai.context import TextBackend, article_plain_text, model_id_for
from app.ai.prompts import (
    PROMPT_VERSION,
    SUMMARY_STOP,
    article_context,
    digest_messages,
    fit_article,
    reply_text,
    summary_messages,
)
from app.ai.read_ahead import DEFAULT_ARTICLES as DEFAULT_READ_AHEAD
from app.ai.read_ahead import ReadAhead, prompt_head
from app.ai.results import (
    AskResult,
    BriefingResult,
    DigestItem,
    DigestResult,
    FinishReason,
    StateSource,
    SummaryResult,
)
from app.ai.state_cache import StateCache, StateKey, content_hash
from app.config import SAMPLING_KEYS, Key, Paths, Settings
from app.errors import HearthError, ModelLoadError
from app.models import Article, ArticleQuery, Summary
from app.storage.summaries import StoredDigest

if TYPE_CHECKING:
    from app.ai.chat import ArticleChat, ChatSession
    from app.ai.model import Model
    from app.ai.sampler import SamplingParams
    from app.ai.tokenizer import Tokenizer
    from app.ai.translate import Translator

log = logging.getLogger(__name__)

OnText = Callable[[str], None]
DIGEST_MAX_ARTICLES = 12


class SummaryStore(Protocol):
    """What the assistant needs of `app.storage.Store` (the store of the calling thread)."""

    def get_article(self, article_id: int) -> Article: ...
    def get_summary(self, article_id: int, model_id: str, prompt_version: str) -> Summary | None: ...
    def save_summary(self, summary: Summary) -> None: ...
    def query_ids(self, query: ArticleQuery) -> list[int]: ...
    def get_digest(self, key: str, model_id: str, prompt_version: str) -> StoredDigest | None: ...
    def save_digest(self, digest: StoredDigest) -> None: ...


class Assistant:
    def __init__(
        self,
        settings: Settings,
        paths: Paths,
        store: SummaryStore,
        *,
        state_cache: StateCache | None = None,
        context: str = "cli",
    ) -> None:
        self.context = context  # "gui" in the window's AI worker: the plan may leave a core for the window
        self.settings = settings
        self.paths = paths
        self.store = store
        self.states = state_cache if state_cache is not None else StateCache(paths.states_dir)
        self.model: Model | None = None
        self.tokenizer: Tokenizer | None = None
        self._loaded_key: tuple[Any, ...] | None = None
        self._backend: tuple[tuple[Any, ...], TextBackend] | None = None

    # the model -----------------------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self.settings.get(Key.AI_ENABLED)

    def model_path(self) -> Path:
        text = self.settings.get(Key.AI_MODEL_PATH).strip()
        if not text:
            raise ModelLoadError(
                "no AI model is chosen",
                hint="download or open one in the model manager, or run `hearth model use PATH`",
            )
        return Path(text).expanduser()

    def model_id(self) -> str:
        """The id results are cached under: the model file, or the server and its model."""
        return self.backend.model_id()

    @property
    def backend(self) -> TextBackend:
        """The built-in engine, or the user's own server when ai.backend is openai (rebuilt on changes)."""
        s = self.settings
        key = (backend_name(s), s.get(Key.AI_ENDPOINT), s.get(Key.AI_ENDPOINT_MODEL))
        if self._backend is None or self._backend[0] != key:
            if self._backend is not None and isinstance(self._backend[1], OpenAIBackend):
                self._backend[1].close()
            backend: TextBackend = OpenAIBackend(s) if key[0] == BackendName.OPENAI else RwkvBackend(self)
            self._backend = (key, backend)
        return self._backend[1]

    @property
    def uses_server(self) -> bool:
        return isinstance(self.backend, OpenAIBackend)

    def _wanted(self) -> tuple[Any, ...]:
        s = self.settings
        return (
            str(self.model_path()),
            s.get(Key.AI_DEVICE),
            s.get(Key.AI_DTYPE),
            s.get(Key.AI_THREADS),
            s.get(Key.AI_KERNELS),
        )

    @property
    def loaded(self) -> bool:
        return self.model is not None

    def load(self, progress: Callable[[float], None] | None = None) -> Model:
        """The configured model, loaded on first use (and again after the settings changed)."""
        if not self.enabled:
            raise ModelLoadError("local AI is switched off", hint="turn on ai.enabled in the settings")
        wanted = self._wanted()
        if self.model is not None and wanted == self._loaded_key:
            return self.model
        self.unload()
        path = Path(wanted[0])
        model_id_for(path)  # a clear "not found" before torch is imported
        from app.ai.model import load_model
        from app.ai.tokenizer import tokenizer_for

        started = time.perf_counter()
        model = load_model(
            path,
            device=wanted[1],
            dtype=wanted[2],
            threads=int(wanted[3]),
            kernels=wanted[4],
            progress=progress,
            context=self.context,
        )
        self.tokenizer = tokenizer_for(model.info)
        self.model, self._loaded_key = model, wanted
        log.info("model %s ready in %.1fs on %s", path.name, time.perf_counter() - started, model.device)
        return model

    def unload(self) -> None:
        self.model, self.tokenizer, self._loaded_key = None, None, None

    def sampling(self, preset: str) -> SamplingParams:
        """Sampling for "summary", "chat" or "creative" from the settings."""
        from app.ai.sampler import SamplingParams

        s = self.settings
        return SamplingParams(
            temperature=s.get(SAMPLING_KEYS[preset][0]),
            top_p=s.get(SAMPLING_KEYS[preset][1]),
            max_tokens=s.get(Key.AI_MAX_TOKENS),
        )

    def _fit(self, text: str, budget: int | None = None) -> tuple[str, int | None]:
        assert self.tokenizer is not None
        budget = self.settings.get(Key.AI_CONTEXT_TOKENS) if budget is None else budget
        fitted, cut = fit_article(text, self.tokenizer, budget)
        return fitted, (len(self.tokenizer.encode(fitted)) if cut else None)

    # summaries ------------------------------------------------------------------------------------
    def cached_summary(self, article_id: int) -> Summary | None:
        """The stored summary for the active model and prompt version (never loads the model)."""
        return self.store.get_summary(article_id, self.model_id(), PROMPT_VERSION)

    def summarize(
        self,
        article: Article | int,
        *,
        refresh: bool = False,
        on_text: OnText | None = None,
        cancel: threading.Event | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> SummaryResult:
        """A few bullet points and a one-line gist, streamed to `on_text`; cached per article+model+prompt."""
        if isinstance(article, int):
            article = self.store.get_article(article)
        model_id = self.model_id()
        if not refresh:
            cached = self.store.get_summary(article.id, model_id, PROMPT_VERSION)
            if cached is not None:
                if on_text is not None:
                    on_text(cached.text)
                return SummaryResult(article.id, cached.text, True, FinishReason.CACHED, model_id)
        backend = self.backend
        if isinstance(backend, RwkvBackend):
            self.load(progress)  # the article is fitted with the model's own tokenizer
        text, cut_to = backend.fit(article_plain_text(article), self.settings.get(Key.AI_CONTEXT_TOKENS))
        messages = summary_messages(article.title or "", text)
        gen = backend.complete(
            messages, preset="summary", stop=SUMMARY_STOP, on_text=on_text, cancel=cancel,
            reuse_prefix=prompt_head(messages), keep_prefix=False,  # read ahead: only the tail is fed
        )  # fmt: skip
        summary = reply_text(gen.text)
        if gen.finish_reason != FinishReason.CANCELLED and summary:
            self.store.save_summary(Summary(article.id, model_id, PROMPT_VERSION, summary, datetime.now(UTC)))
        return SummaryResult(article.id, summary, False, gen.finish_reason, model_id, cut_to)

    # translations, questions, briefings (their own modules) ---------------------------------------
    def read_ahead(self, *, limit: int = DEFAULT_READ_AHEAD) -> ReadAhead:
        """A pass over the newest unread articles, reading them ahead of the user (see app.ai.read_ahead)."""
        return ReadAhead(self, limit=limit)

    def translator(self, *, max_block_tokens: int | None = None) -> Translator:
        """Articles and titles into ai.language (see app.ai.translate)."""
        from app.ai.translate import Translator

        return Translator(self, max_block_tokens=max_block_tokens)

    def ask(self, question: str, scope: str = "all", **options: Any) -> AskResult:
        """Answer from the library with numbered citations (see app.ai.ask.ask_library for the options)."""
        from app.ai.ask import ask_library
        from app.storage.retrieval import parse_scope as parse_ask_scope

        return ask_library(self, question, parse_ask_scope(scope), **options)

    # chat -----------------------------------------------------------------------------------------
    def article_chat(
        self,
        article: Article | int,
        *,
        cancel: threading.Event | None = None,
        progress: Callable[[float], None] | None = None,
        compact: bool = False,
    ) -> ArticleChat | None:
        """A chat that has read `article`: its state from the cache, else prefilled once and cached (`compact`:
        kept as float16 on disk, as read-ahead keeps it). None if `cancel` was set while reading the article."""
        from app.ai.chat import ArticleChat
        from app.ai.generate import prefill

        if isinstance(article, int):
            article = self.store.get_article(article)
        backend = self.backend
        if isinstance(backend, OpenAIBackend):  # the user's own server: the same opening, sent each turn
            from app.ai.server_chat import article_server_chat

            budget = self.settings.get(Key.AI_CONTEXT_TOKENS)
            return article_server_chat(  # type: ignore[return-value]
                backend, article.id, article.title or "", article_plain_text(article), budget
            )
        model = self.load(progress)
        assert self.tokenizer is not None
        key, context, cut_to = self._article_key(article, model)
        source = StateSource.READ_NOW
        before = dict(self.states.hits)
        cached = self.states.get(key, device=model.device)
        if cached is not None:
            base, tokens = cached.state, int(cached.meta.get("tokens", 0))
            fresh = self.states.hits["memory"] > before["memory"]
            source = StateSource.MEMORY if fresh else StateSource.DISK
        else:
            ids = self.tokenizer.encode(context)
            result = prefill(model, ids, cancel=cancel)
            if result is None:
                return None
            tokens = len(ids)
            base = self.states.put(key, result[1], {"tokens": tokens, "cut_to": cut_to}, compact=compact)
        return ArticleChat(
            model, self.tokenizer, self.sampling("chat"), base,
            creative=self.sampling("creative"), article_id=article.id, title=article.title or "",
            context_tokens=tokens, cut_to=cut_to, from_cache=source,
        )  # fmt: skip

    def article_state_cached(self, article: Article) -> bool:
        """Whether the chat opening of `article` is in the state cache (read ahead or read before)."""
        key, _context, _cut = self._article_key(article, self.load())
        return self.states.has(key)

    def _article_key(self, article: Article, model: Model) -> tuple[StateKey, str, int | None]:
        """The state cache key of an article's chat opening, the opening itself and where the text was cut."""
        text, cut_to = self._fit(article_plain_text(article))
        context = article_context(article.title or "", text)
        key = StateKey(f"{self.model_id()}|{model.dtype}", PROMPT_VERSION, article.id, content_hash(context))
        return key, context, cut_to

    def chat(self, progress: Callable[[float], None] | None = None) -> ChatSession:
        """A plain chat with no article."""
        from app.ai.chat import ChatSession

        if isinstance(self.backend, OpenAIBackend):
            from app.ai.server_chat import ServerChat

            return ServerChat(self.backend)  # type: ignore[return-value]
        model = self.load(progress)
        assert self.tokenizer is not None
        return ChatSession(model, self.tokenizer, self.sampling("chat"), creative=self.sampling("creative"))

    # digests --------------------------------------------------------------------------------------
    def digest_ids(self, scope: str, *, limit: int = DIGEST_MAX_ARTICLES) -> list[int]:
        """Unread article ids for "unread", "folder:ID" or a feed id (newest first, at most `limit`)."""
        query = parse_scope(scope)
        return self.store.query_ids(query)[:limit]

    def digest(
        self,
        article_ids: list[int],
        *,
        scope: str = "",
        refresh: bool = False,
        on_text: OnText | None = None,
        cancel: threading.Event | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> DigestResult:
        """One briefing over these articles; `items` link back to each (hearth://article/ID). Cached per set of
        articles, model and prompt version."""
        articles = [self.store.get_article(i) for i in article_ids[:DIGEST_MAX_ARTICLES]]
        items = [DigestItem(a.id, a.title or "(untitled)", a.url) for a in articles]
        if not articles:
            return DigestResult("There are no unread articles here.", [], FinishReason.EMPTY)
        key, model_id = "digest:" + ",".join(str(a.id) for a in articles), self.model_id()
        if not refresh:
            hit = self.store.get_digest(key, model_id, PROMPT_VERSION)
            if hit is not None:
                if on_text is not None:
                    on_text(hit.text)
                return DigestResult(hit.text, items, FinishReason.CACHED, cached=True)
        backend = self.backend
        if isinstance(backend, RwkvBackend):
            self.load(progress)
        share = max(64, self.settings.get(Key.AI_CONTEXT_TOKENS) // len(articles))
        pairs = [(a.title or "(untitled)", backend.fit(article_plain_text(a), share)[0]) for a in articles]
        gen = backend.complete(
            digest_messages(pairs), preset="summary", stop=SUMMARY_STOP,
            max_tokens=self.settings.get(Key.AI_MAX_TOKENS) * 2, on_text=on_text, cancel=cancel,
        )  # fmt: skip
        text = reply_text(gen.text)
        if gen.finish_reason != FinishReason.CANCELLED and text:
            ids = tuple(a.id for a in articles)
            self.store.save_digest(
                StoredDigest(key, model_id, PROMPT_VERSION, scope or "ids", ids, text, datetime.now(UTC))
            )
        return DigestResult(text, items, gen.finish_reason)

    def briefing(self, scope: str = "all", **options: Any) -> BriefingResult:
        """A daily briefing of a scope (see app.ai.briefing.daily_briefing for the options)."""
        from app.ai.briefing import daily_briefing

        return daily_briefing(self, scope, **options)


def parse_scope(scope: str) -> ArticleQuery:
    """`unread`, `folder:ID` or `FEED_ID` -> the query for its unread articles."""
    scope = scope.strip()
    if scope == "unread":
        return ArticleQuery(smart="unread", unread_only=True)
    if scope.startswith("folder:") and scope[7:].isdigit():
        return ArticleQuery(folder_id=int(scope[7:]), unread_only=True)
    if scope.isdigit():
        return ArticleQuery(feed_ids=(int(scope),), unread_only=True)
    raise HearthError(f"unknown digest scope {scope!r}", hint="use a feed id, folder:ID or unread")
