"""Per-feed AI rules on a refresh's new articles: summarise and/or translate each (newest first), at most
`ai.rules_per_refresh` model runs per call, with progress and cancel, so a GUI can run it in the background only
while the model is idle (and stop it when the user wants the model)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from app.ai.results import FinishReason
from app.config import Key
from app.errors import HearthError

if TYPE_CHECKING:
    from app.ai.assistant import Assistant

log = logging.getLogger(__name__)


class RuleAction(StrEnum):
    SUMMARY = "summary"
    TRANSLATION = "translation"


@dataclass(frozen=True)
class RuleProgress:
    done: int  # model runs finished (cached results do not count)
    cap: int
    article_id: int
    action: RuleAction
    cached: bool


@dataclass
class RulesOutcome:
    feed_id: int
    summarized: list[int] = field(default_factory=list)
    translated: list[int] = field(default_factory=list)
    left_for_later: list[int] = field(default_factory=list)  # over the cap (or cancelled): run them next time
    cancelled: bool = False
    errors: list[str] = field(default_factory=list)


def run_feed_rules(
    assistant: Assistant,
    feed_id: int,
    article_ids: Sequence[int],
    *,
    cap: int | None = None,
    on_progress: Callable[[RuleProgress], None] | None = None,
    cancel: threading.Event | None = None,
    max_block_tokens: int | None = None,
) -> RulesOutcome:
    """Apply the feed's rules to `article_ids` (newest first by id). A failure on one article is recorded and
    the rest go on; a cancel stops between (and inside) runs and leaves what is left for later."""
    store, settings = assistant.store, assistant.settings
    rules = store.feed_rules(feed_id)  # an old settings file's ai.auto_summary_feeds is in them (schema 9)
    outcome = RulesOutcome(feed_id)
    if not rules.any:
        return outcome
    cap = settings.get(Key.AI_RULES_PER_REFRESH) if cap is None else cap
    translator = assistant.translator(max_block_tokens=max_block_tokens) if rules.translate else None
    language = rules.language or None
    runs = 0
    todo = sorted(dict.fromkeys(article_ids), reverse=True)
    for index, article_id in enumerate(todo):
        if (cancel is not None and cancel.is_set()) or runs >= cap:
            outcome.left_for_later = todo[index:]
            outcome.cancelled = cancel is not None and cancel.is_set()
            break
        try:
            if rules.summarize:
                result = assistant.summarize(article_id, cancel=cancel)
                if result.finish_reason == FinishReason.CANCELLED:
                    outcome.left_for_later, outcome.cancelled = todo[index:], True
                    break
                runs += 0 if result.cached else 1
                outcome.summarized.append(article_id)
                _report(on_progress, runs, cap, article_id, RuleAction.SUMMARY, result.cached)
            if translator is not None and runs < cap:
                done = translator.translate_article(article_id, language=language, cancel=cancel)
                if done.finish_reason == FinishReason.CANCELLED:
                    outcome.left_for_later, outcome.cancelled = todo[index:], True
                    break
                runs += 0 if done.cached else 1
                outcome.translated.append(article_id)
                _report(on_progress, runs, cap, article_id, RuleAction.TRANSLATION, done.cached)
            elif translator is not None:
                outcome.left_for_later = todo[index:]
                break
        except HearthError as exc:
            log.warning("AI rules on article %d failed: %s", article_id, exc.user_message())
            outcome.errors.append(f"{article_id}: {exc.user_message()}")
    return outcome


def _report(
    on_progress: Callable[[RuleProgress], None] | None,
    runs: int,
    cap: int,
    article_id: int,
    action: RuleAction,
    cached: bool,
) -> None:
    if on_progress is not None:
        on_progress(RuleProgress(runs, cap, article_id, action, cached))
