"""The daily briefing: the newest articles of a scope since a moment (by default the last 24 hours), one model
run that numbers them ([1], [2] ...), each linked back to its article; cached per scope, day, articles, model and
prompt version, so reopening this morning's briefing costs nothing. `briefing_due` tells a scheduler when."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from app.ai.backends import RwkvBackend
from app.ai.context import AssistantContext, article_plain_text
from app.ai.languages import preferred_language
from app.ai.prompts import SUMMARY_STOP, reply_text
from app.ai.results import BriefingResult, DigestItem, FinishReason
from app.ai.task_prompts import BRIEFING_PROMPT_VERSION, briefing_messages
from app.config import Key
from app.errors import ConfigError
from app.storage.retrieval import Scope, parse_scope
from app.storage.summaries import StoredDigest

OnText = Callable[[str], None]
BRIEFING_MAX_ARTICLES = 12
NOTHING_NEW = {"en": "Nothing new here since {since}.", "zh": "自 {since} 以来这里没有新文章。"}


def daily_briefing(
    assistant: AssistantContext,
    scope: str = "all",
    *,
    since: datetime | None = None,
    now: datetime | None = None,
    limit: int = BRIEFING_MAX_ARTICLES,
    refresh: bool = False,
    on_text: OnText | None = None,
    cancel: threading.Event | None = None,
    progress: Callable[[float], None] | None = None,
) -> BriefingResult:
    """Brief the newest `limit` articles of `scope` published or seen since `since` (default: 24 h before now)."""
    now = now or datetime.now(UTC)
    since = since or now - timedelta(days=1)
    where = parse_scope(scope)
    window = Scope(where.feed_ids, where.folder_id, where.starred, where.unread,
                   max(where.since or 0.0, since.timestamp()), where.until)  # fmt: skip
    store = assistant.store
    ids = store.scope_ids(window, limit=limit)  # type: ignore[attr-defined]
    language = "zh" if preferred_language(assistant.settings).startswith("zh") else "en"
    day = since.astimezone().date().isoformat()
    if not ids:
        return BriefingResult(NOTHING_NEW[language].format(since=day), [], since, False, FinishReason.EMPTY)
    articles = [store.get_article(i) for i in ids]
    items = [DigestItem(a.id, a.title or "(untitled)", a.url) for a in articles]
    model_id = assistant.model_id()
    key = "briefing:" + hashlib.sha256(f"{scope}|{day}|{ids}|{language}".encode()).hexdigest()[:16]
    if not refresh:
        hit = store.get_digest(key, model_id, BRIEFING_PROMPT_VERSION)
        if hit is not None:
            if on_text is not None:
                on_text(hit.text)
            return BriefingResult(hit.text, items, since, True, FinishReason.CACHED)
    backend = assistant.backend
    if isinstance(backend, RwkvBackend):
        assistant.load(progress)
    share = max(48, assistant.settings.get(Key.AI_CONTEXT_TOKENS) // len(articles))
    pairs = [(a.title or "", backend.fit(article_plain_text(a), share)[0]) for a in articles]
    gen = backend.complete(
        briefing_messages(pairs, since=day, language=language), preset="summary", stop=SUMMARY_STOP,
        max_tokens=assistant.settings.get(Key.AI_MAX_TOKENS) * 2, on_text=on_text, cancel=cancel,
    )  # fmt: skip
    text = reply_text(gen.text)
    if gen.finish_reason != FinishReason.CANCELLED and text:
        store.save_digest(StoredDigest(key, model_id, BRIEFING_PROMPT_VERSION, scope, tuple(ids), text, now))
    return BriefingResult(text, items, since, False, gen.finish_reason)


def briefing_due(at: str, last_run: datetime | None, now: datetime) -> bool:
    """Whether the briefing set for local time `at` ("07:30"; "" is off) should run now, given the last run."""
    if not at.strip():
        return False
    try:
        hour, minute = (int(part) for part in at.strip().split(":"))
        local = now.astimezone()
        today = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    except ValueError:
        raise ConfigError(
            f"briefing time {at!r} is not HH:MM", hint="e.g. 07:30, or empty for none"
        ) from None
    return local >= today and (last_run is None or last_run.astimezone() < today)
