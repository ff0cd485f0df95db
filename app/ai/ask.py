"""Ask your library: retrieve the articles of a scope that best match a question (FTS5 + recency), answer from
them with numbered citations, and list the sources under the answer with each article's title and link. When
nothing matches, say so without running a model."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import datetime

from app.ai.backends import RwkvBackend
from app.ai.context import AssistantContext
from app.ai.prompts import SUMMARY_STOP, detect_language, reply_text
from app.ai.results import AskResult, CitedSource, FinishReason
from app.ai.task_prompts import Source, ask_messages, cited_numbers
from app.config import Key
from app.models import Article
from app.storage.retrieval import Scope
from app.text import html_to_text

OnText = Callable[[str], None]
DEFAULT_SOURCES = 5
SOURCE_MAX_TOKENS = 320  # one source's excerpt at most: five fill about 1,700 prompt tokens
NOTHING_FOUND = {
    "en": "I found nothing in your library about that.",
    "zh": "在你的订阅里没有找到相关的文章。",
}


def ask_library(
    assistant: AssistantContext,
    question: str,
    scope: Scope | None = None,
    *,
    limit: int = DEFAULT_SOURCES,
    on_sources: Callable[[list[CitedSource]], None] | None = None,
    on_text: OnText | None = None,
    cancel: threading.Event | None = None,
    progress: Callable[[float], None] | None = None,
) -> AskResult:
    """Answer `question` from at most `limit` articles of `scope`; `on_sources` hears the sources before the
    answer streams (so a view can list them at once)."""
    started = time.perf_counter()
    store = assistant.store
    language = "zh" if detect_language(question) == "zh" else "en"
    hits = store.retrieve(question, scope or Scope(), limit=limit)  # type: ignore[attr-defined]
    if not hits:
        text = NOTHING_FOUND[language]
        if on_text is not None:
            on_text(text)
        return AskResult(question, text, [], FinishReason.NOTHING_FOUND)
    articles = [store.get_article(hit.article_id) for hit in hits]
    backend = assistant.backend
    if isinstance(backend, RwkvBackend):
        assistant.load(progress)
    share = max(64, min(SOURCE_MAX_TOKENS, assistant.settings.get(Key.AI_CONTEXT_TOKENS) // len(articles)))
    terms = _terms(question)
    sources = []
    for number, article in enumerate(articles, 1):
        excerpt = backend.fit(best_passages(article_plain_text(article), terms), share)[0]
        when = article.published or article.updated
        sources.append(Source(number, article.title or "", _date(when), excerpt))
    listed = [
        CitedSource(s.number, a.id, a.title or "(untitled)", a.url, False)
        for s, a in zip(sources, articles, strict=True)
    ]
    if on_sources is not None:
        on_sources(listed)
    messages = ask_messages(question, sources, language=language)
    shared = sources_head(messages[0].text, ask_messages("?", sources, language=language)[0].text)
    first: list[float] = []

    def emit(piece: str) -> None:
        if not first:
            first.append(time.perf_counter() - started)
        if on_text is not None:
            on_text(piece)

    gen = backend.complete(
        messages, preset="chat", stop=SUMMARY_STOP, on_text=emit, cancel=cancel, reuse_prefix=shared
    )
    answer = reply_text(gen.text)
    cited = set(cited_numbers(answer, len(sources)))
    listed = [CitedSource(c.number, c.article_id, c.title, c.url, c.number in cited) for c in listed]
    tokens = backend.count_tokens(messages[0].text)
    return AskResult(question, answer, listed, gen.finish_reason, first[0] if first else None, tokens)


def sources_head(prompt: str, other: str) -> str:
    """What the ask prompt for this question shares with one for another question (the instructions and the
    sources), up to its last line break: the part a cached state can stand for when the same sources come up
    again (the same question, or another with the same words over the same scope)."""
    same = next(
        (i for i, (a, b) in enumerate(zip(prompt, other, strict=False)) if a != b),
        min(len(prompt), len(other)),
    )
    return prompt[: max(0, prompt.rfind("\n", 0, same))]


def best_passages(text: str, terms: list[str]) -> str:
    """The article's paragraphs that mention the question's words first (in their own order), then the rest."""
    paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
    if not terms:
        return "\n".join(paragraphs)
    lowered = [p.lower() for p in paragraphs]
    hits = [i for i, p in enumerate(lowered) if any(t in p for t in terms)]
    rest = [i for i in range(len(paragraphs)) if i not in set(hits)]
    return "\n".join(paragraphs[i] for i in hits + rest)


def article_plain_text(article: Article) -> str:
    return html_to_text(article.content_html or article.summary_html or "")


def _terms(question: str) -> list[str]:
    words = re.findall(r"[^\W_]{3,}", question.lower())
    cjk = re.findall(r"[\u4e00-\u9fff]{2}", question)
    return words + cjk


def _date(when: datetime | None) -> str:
    return when.date().isoformat() if when is not None else ""
