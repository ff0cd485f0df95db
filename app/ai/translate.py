"""Translating articles and titles with the assistant's backend: an article goes block by block (its layout kept,
see app.ai.html_blocks) so the first paragraph streams at once; results are cached per article, part, language,
model and prompt version. Everything here runs on the model's thread and honours a cancel flag.

What makes the first text quick: the instructions of each prompt (per language and kind of block, see
`translate_head`) are read once and their state kept in the assistant's state cache, so each block's prompt reads
only its own tokens (head and text are tokenised apart whether the head was cached or not: the cache never changes
the answer); the title streams as it is written; a long paragraph goes in pieces of whole sentences (a short first
one), rejoined into its one block; and read-ahead translates the titles of the articles it reads (`prepare`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from app.ai.backends import RwkvBackend
from app.ai.context import AssistantContext
from app.ai.html_blocks import render, runs, sentence_pieces, split_blocks
from app.ai.languages import normalise_language, preferred_language
from app.ai.prompts import CHAT_STOP, detect_language
from app.ai.results import FinishReason, TranslatedBlock, TranslationResult
from app.ai.task_prompts import (
    TRANSLATE_PROMPT_VERSION,
    clean_translation,
    translate_head,
    translate_messages,
)
from app.config import Key
from app.models import Article
from app.storage.summaries import Translation

log = logging.getLogger(__name__)

OnText = Callable[[str], None]
PIECE_TOKENS = 160  # a longer paragraph goes in pieces of whole sentences of at most this many tokens
# ... and the article's first piece is shorter (a sentence), so its translation starts sooner; with the turn markers
# its prompt stays under 32 tokens, int8's small-batch path (app.ai.quant.DEQUANT_ROWS; at 1.5B on this loaded
# CPU a first piece of ~45 tokens took 12 s to its first text, a 9-token title prompt 1.1 s)
FIRST_PIECE_TOKENS = 24
CJK_TARGETS = ("zh", "zh-Hant", "ja", "ko")  # pieces of a paragraph are rejoined without a space


class Translator:
    """Translations through one assistant (its backend, settings and store)."""

    def __init__(self, assistant: AssistantContext, *, max_block_tokens: int | None = None) -> None:
        self.assistant = assistant
        self.max_block_tokens = max_block_tokens  # cap on the tokens written per block (tests keep it small)
        self.piece_tokens = PIECE_TOKENS
        self.first_piece_tokens = FIRST_PIECE_TOKENS

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

    def cached_title(self, article_id: int, language: str | None = None) -> str | None:
        """A stored translation of the title alone (translated with the list's titles, or read ahead)."""
        lang, model_id = self.language(language), self.assistant.model_id()
        row = self.assistant.store.get_translation(
            article_id, "title", lang, model_id, TRANSLATE_PROMPT_VERSION
        )
        return row.text if row is not None else None

    def title_ready(self, article: Article, language: str | None = None) -> bool:
        """Whether Translate can show `article`'s title at once: stored, or it needs no model."""
        lang = self.language(language)
        return not _needs_model(article.title or "", lang) or self.cached_title(article.id, lang) is not None

    def prepare(self, article: Article, *, cancel: threading.Event | None = None) -> bool:
        """For read-ahead: the title translated and stored (unless it is or needs none) and the instructions of the
        body's first block read into the state cache, so Translate on `article` shows its title at once and
        reads only the first block's own tokens. False if cancelled meanwhile (nothing half-done is kept)."""
        lang = self.language()
        if not self.title_ready(article, lang):
            title, finish = self._translate_one(article.title or "", lang, "title", None, cancel, None)
            if finish == FinishReason.CANCELLED:
                return False
            self._save(article.id, "title", lang, title)
        backend = self.assistant.backend
        todo = runs(split_blocks(article.content_html or article.summary_html or ""))
        first = next((run for run in todo if _needs_model(run.text, lang)), None)
        if first is not None and isinstance(backend, RwkvBackend):
            head = translate_head(lang, first.kind)
            if not backend.has_head(head) and not backend.read_head(head, cancel):
                return False
        return True

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
        title, finish = self._title(article, lang, refresh, on_title, cancel, progress)
        done: dict[int, str] = {}
        first: float | None = None
        for index, run in enumerate(todo):
            if finish == FinishReason.CANCELLED:
                break
            text, finish = self._translate_run(
                run.text, lang, run.kind, on_text, cancel, progress, first=not done
            )
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
            self._save(article.id, "body", lang, html)
        return TranslationResult(
            article.id, lang, title, html, False, finish, model_id, len(done), len(todo), first
        )

    def _title(
        self,
        article: Article,
        language: str,
        refresh: bool,
        on_title: OnText | None,
        cancel: threading.Event | None,
        progress: Callable[[float], None] | None,
    ) -> tuple[str, FinishReason]:
        """The translated title: stored (read ahead, or with the list's titles) unless `refresh`, else streamed to
        `on_title` as it grows (each call gets the title so far; the last the final one) and stored at once."""
        hit = None if refresh else self.cached_title(article.id, language)
        if hit is not None:
            if on_title is not None:
                on_title(hit)
            return hit, FinishReason.CACHED
        shown = [""]

        def grow(piece: str) -> None:
            shown[0] += piece
            if on_title is not None:
                on_title(shown[0])

        title, finish = self._translate_one(article.title or "", language, "title", grow, cancel, progress)
        if finish == FinishReason.CANCELLED:
            return title, finish
        if on_title is not None and title != shown[0]:
            on_title(title)  # cleaned (quotes or a label dropped), or nothing streamed
        self._save(article.id, "title", language, title)  # also one that needed no model: `cached` wants both
        return title, finish

    def _save(self, article_id: int, part: str, language: str, text: str) -> None:
        self.assistant.store.save_translation(
            Translation(article_id, part, language, self.assistant.model_id(), TRANSLATE_PROMPT_VERSION, text,
                        datetime.now(UTC))
        )  # fmt: skip

    def _translate_run(
        self,
        text: str,
        language: str,
        kind: str,
        on_text: OnText | None,
        cancel: threading.Event | None,
        progress: Callable[[float], None] | None,
        *,
        first: bool = False,
    ) -> tuple[str, FinishReason]:
        """One block: a long one in pieces of whole sentences (`first`: the article's first, with a short first
        piece), each its own prompt, streamed one after the other and rejoined into the block's one text."""
        if not _needs_model(text, language):
            return self._translate_one(text, language, kind, on_text, cancel, progress)
        count = self.assistant.backend.count_tokens
        parts = sentence_pieces(text, count, self.piece_tokens, self.first_piece_tokens if first else None)
        joiner = "" if language in CJK_TARGETS else " "
        out: list[str] = []
        finish = FinishReason.STOP
        for index, part in enumerate(parts):
            if index and joiner and on_text is not None:
                on_text(joiner)
            translated, finish = self._translate_one(part, language, kind, on_text, cancel, progress)
            if finish == FinishReason.CANCELLED:
                return text, finish
            out.append(translated)
        return joiner.join(out), finish

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
            self._save(article_id, "title", lang, text)
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
        if not _needs_model(text, language):
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
            reuse_prefix=translate_head(language, kind), keep_prefix=True,  # the instructions: read once
        )  # fmt: skip
        if gen.finish_reason == FinishReason.CANCELLED:
            return text, FinishReason.CANCELLED
        return clean_translation(gen.text) or text, gen.finish_reason


def _needs_model(text: str, language: str) -> bool:
    """Text with letters that is not already in `language`."""
    return bool(text.strip()) and any(ch.isalpha() for ch in text) and not _already_in(text, language)


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
