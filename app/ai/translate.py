"""Translating articles and titles with the assistant's backend: an article goes block by block (its layout kept,
see app.ai.html_blocks) so the first paragraph streams at once; results are cached per article, part, language,
model and prompt version. Everything here runs on the model's thread and honours a cancel flag.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from app.ai.backends import RwkvBackend
from app.ai.context import AssistantContext
from app.ai.html_blocks import render, runs, split_blocks
from app.ai.languages import normalise_language, preferred_language
from app.ai.prompts import CHAT_STOP, detect_language
from app.ai.results import FinishReason, TranslatedBlock, TranslationResult
from app.ai.task_prompts import TRANSLATE_PROMPT_VERSION, clean_translation, translate_messages
from app.config import Key
from app.models import Article
from app.storage.summaries import Translation

log = logging.getLogger(__name__)

OnText = Callable[[str], None]


class Translator:
    """Translations through one assistant (its backend, settings and store)."""

    def __init__(self, assistant: AssistantContext, *, max_block_tokens: int | None = None) -> None:
        self.assistant = assistant
        self.max_block_tokens = max_block_tokens  # cap on the tokens written per block (tests keep it small)

    def language(self, language: str | None = None) -> str:
        return normalise_language(language) if language else preferred_language(self.assistant.settings)

    def cached(self, article_id: int, language: str | None = None) -> tuple[str, str] | None:
        """(title, html) of a stored translation for the active model and prompt version; never loads a model."""
        lang, model_id = self.language(language), self.assistant.model_id()
        store = self.assistant.store
        body = store.get_translation(article_id, "body", lang, model_id, TRANSLATE_PROMPT_VERSION)
        title = store.get_translation(article_id, "title", lang, model_id, TRANSLATE_PROMPT_VERSION)
        if body is None or title is None:
            return None
        return title.text, body.text

    def translate_article(
        self,
        article: Article | int,
        *,
        language: str | None = None,
        refresh: bool = False,
        on_title: OnText | None = None,
        on_text: OnText | None = None,
        on_block: Callable[[TranslatedBlock], None] | None = None,
        cancel: threading.Event | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> TranslationResult:
        """The title, then each block in order: `on_text` streams the current block, `on_block` says it is done."""
        store = self.assistant.store
        if isinstance(article, int):
            article = store.get_article(article)
        lang = self.language(language)
        model_id = self.assistant.model_id()
        if not refresh:
            hit = self.cached(article.id, lang)
            if hit is not None:
                if on_title is not None:
                    on_title(hit[0])
                return TranslationResult(
                    article.id, lang, hit[0], hit[1], True, FinishReason.CACHED, model_id
                )
        started = time.perf_counter()
        pieces = split_blocks(article.content_html or article.summary_html or "")
        todo = runs(pieces)
        title, finish = self._translate_one(article.title or "", lang, "title", None, cancel, progress)
        if on_title is not None and finish != FinishReason.CANCELLED:
            on_title(title)
        done: dict[int, str] = {}
        first: float | None = None
        for index, run in enumerate(todo):
            if finish == FinishReason.CANCELLED:
                break
            text, finish = self._translate_one(run.text, lang, run.kind, on_text, cancel, progress)
            if finish == FinishReason.CANCELLED:
                break
            done[index] = text
            first = first if first is not None else time.perf_counter() - started
            if on_block is not None:
                on_block(
                    TranslatedBlock(index, len(todo), run.kind, run.text, text, skipped=text == run.text)
                )
        html = render(pieces, done)
        if finish != FinishReason.CANCELLED:
            finish = FinishReason.STOP
            now = datetime.now(UTC)
            store.save_translation(Translation(article.id, "title", lang, model_id, TRANSLATE_PROMPT_VERSION,
                                               title, now))  # fmt: skip
            store.save_translation(Translation(article.id, "body", lang, model_id, TRANSLATE_PROMPT_VERSION,
                                               html, now))  # fmt: skip
        return TranslationResult(
            article.id, lang, title, html, False, finish, model_id, len(done), len(todo), first
        )

    def translate_titles(
        self,
        article_ids: Sequence[int],
        *,
        language: str | None = None,
        on_title: Callable[[int, str], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> dict[int, str]:
        """Titles of a list (cached ones first, without the model), each reported as it is done; stops at cancel."""
        store, lang, model_id = self.assistant.store, self.language(language), self.assistant.model_id()
        out: dict[int, str] = {}
        missing: list[int] = []
        for article_id in article_ids:
            hit = store.get_translation(article_id, "title", lang, model_id, TRANSLATE_PROMPT_VERSION)
            if hit is None:
                missing.append(article_id)
                continue
            out[article_id] = hit.text
            if on_title is not None:
                on_title(article_id, hit.text)
        for article_id in missing:
            if cancel is not None and cancel.is_set():
                break
            article = store.get_article(article_id)
            text, finish = self._translate_one(article.title or "", lang, "title", None, cancel, None)
            if finish == FinishReason.CANCELLED:
                break
            store.save_translation(Translation(article_id, "title", lang, model_id, TRANSLATE_PROMPT_VERSION,
                                               text, datetime.now(UTC)))  # fmt: skip
            out[article_id] = text
            if on_title is not None:
                on_title(article_id, text)
        return out

    def _translate_one(
        self,
        text: str,
        language: str,
        kind: str,
        on_text: OnText | None,
        cancel: threading.Event | None,
        progress: Callable[[float], None] | None,
    ) -> tuple[str, FinishReason]:
        """(translation, finish reason); text already in `language` (or with no letters) comes back as it is."""
        if cancel is not None and cancel.is_set():
            return text, FinishReason.CANCELLED
        if not text.strip() or not any(ch.isalpha() for ch in text) or _already_in(text, language):
            if on_text is not None:
                on_text(text)
            return text, FinishReason.SKIPPED
        backend = self.assistant.backend
        if isinstance(backend, RwkvBackend):
            self.assistant.load(progress)
        budget = self.assistant.settings.get(Key.AI_CONTEXT_TOKENS)
        fitted, _ = backend.fit(text, budget)
        limit = 2 * backend.count_tokens(fitted) + 32
        if self.max_block_tokens is not None:
            limit = min(limit, self.max_block_tokens)
        gen = backend.complete(
            translate_messages(fitted, language, kind=kind), preset="summary", stop=CHAT_STOP,
            max_tokens=limit, on_text=_lstrip_first(on_text), cancel=cancel,
        )  # fmt: skip
        if gen.finish_reason == FinishReason.CANCELLED:
            return text, FinishReason.CANCELLED
        return clean_translation(gen.text) or text, gen.finish_reason


def _already_in(text: str, language: str) -> bool:
    """A run in the target's script needs no model: CJK by script, English only when it is plain ASCII (French or
    Spanish text almost always has an accent somewhere, and is translated)."""
    detected = detect_language(text)
    if language in ("zh", "ja", "ko"):
        return detected == language
    return language == "en" and detected == "en" and text.isascii()


def _lstrip_first(on_text: OnText | None) -> OnText | None:
    """Stream without the space the model writes after "Assistant:"."""
    if on_text is None:
        return None
    started = [False]

    def emit(piece: str) -> None:
        if not started[0]:
            piece = piece.lstrip()
            started[0] = bool(piece)
            if not piece:
                return
        on_text(piece)

    return emit
