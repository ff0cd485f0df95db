"""Read ahead: while the model is idle, read the newest unread articles before the user opens them, so that
Summarise and the first chat question on one start from a cached state instead of reading the whole article.

For each article two states go into the assistant's state cache, compactly (float16 on disk, see
app.ai.state_cache): the chat's opening (the article context, as `Assistant.article_chat` reads it) and the
summary prompt up to its last turn marker (`prompt_head`), so a summary then feeds only "\\n\\nAssistant:".
Which articles, in what order and how many fit the disk budget is `plan_read_ahead`, Qt-free; the window runs
`ReadAhead.run` as a background request that any user request pre-empts, and pauses it on battery
(`on_battery`) and while the user types a question.

Translate is prepared too (`Translator.prepare`): the title is translated into `ai.language` and stored (a row
in the database, no state on disk: a few dozen tokens, where the article took thousands), and the instructions
of the body's first block are read into the state cache (one state per language and kind of block, shared by
every article), so Translate on such an article shows its title at once and reads only its first block's own
tokens, a short first piece of whole sentences (app.ai.translate).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from app.ai.context import article_plain_text
from app.ai.prompts import ChatMessage, chat_prompt, summary_messages
from app.ai.results import FinishReason, ReadAheadProgress, ReadAheadResult
from app.config import Key
from app.models import Article, ArticleQuery

log = logging.getLogger(__name__)

ASSISTANT_TAIL = "\n\nAssistant:"
STATES_PER_ARTICLE = 2  # the chat opening and the summary head
DEFAULT_ARTICLES = 10
DEFAULT_BUDGET_MB = 256
POWER_SUPPLY = Path("/sys/class/power_supply")


def prompt_head(messages: Sequence[ChatMessage]) -> str:
    """The chat prompt of `messages` without its final "\\n\\nAssistant:": the part worth keeping as a state
    ("" when the prompt does not end that way)."""
    prompt = chat_prompt(messages)
    return prompt[: -len(ASSISTANT_TAIL)] if prompt.endswith(ASSISTANT_TAIL) else ""


def on_battery(root: Path = POWER_SUPPLY) -> bool:
    """Whether the machine runs on its battery. Linux: a battery that is discharging while no mains or USB
    supply is online (/sys/class/power_supply). Qt has no battery API; on macOS and Windows (and a Linux
    without that folder) this says False, so read-ahead is not paused there (use the setting to turn it off)."""
    if not root.is_dir():
        return False
    discharging, online = False, False
    for supply in sorted(root.iterdir()):
        kind = _read(supply / "type")
        if kind == "Battery":
            discharging = discharging or _read(supply / "status") == "Discharging"
        elif kind in ("Mains", "USB", "USB_C", "USB_PD") and _read(supply / "online") == "1":
            online = True
    return discharging and not online


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return ""


def plan_read_ahead(
    candidates: Sequence[int],
    is_read: Callable[[int], bool],
    *,
    limit: int,
    state_bytes: int,
    budget_bytes: int,
) -> list[int]:
    """The articles to read, in order: the newest `candidates` first (they come newest first), at most `limit`
    and at most as many as the disk budget holds at `state_bytes` per state; those already read count against
    both (they are kept too) but are not read again."""
    per_article = max(1, STATES_PER_ARTICLE * state_bytes)
    room = min(limit, budget_bytes // per_article)
    return [article_id for article_id in candidates[: max(0, room)] if not is_read(article_id)]


class ReadAheadHost(Protocol):
    """What read-ahead needs of `app.ai.assistant.Assistant`."""

    settings: Any
    store: Any
    states: Any

    @property
    def loaded(self) -> bool: ...

    @property
    def uses_server(self) -> bool: ...

    @property
    def backend(self) -> Any: ...

    def load(self, progress: Any = None) -> Any: ...

    def cached_summary(self, article_id: int) -> Any: ...

    def article_state_cached(self, article: Article) -> bool: ...

    def article_chat(
        self, article: Article | int, *, cancel: threading.Event | None = None, progress: Any = None,
        compact: bool = False,
    ) -> Any: ...  # fmt: skip

    def translator(self, *, max_block_tokens: int | None = None) -> Any: ...


@dataclass
class ReadAhead:
    """One pass over the newest unread articles (on the model's thread)."""

    host: ReadAheadHost
    limit: int = DEFAULT_ARTICLES
    budget_mb: int = DEFAULT_BUDGET_MB
    max_title_tokens: int | None = None  # cap on the tokens a title's translation writes (tests, benches)

    def candidates(self) -> list[int]:
        query = ArticleQuery(smart="unread", unread_only=True, sort="newest")
        return self.host.store.query_ids(query)[: self.limit]

    def summary_head(self, article: Article) -> str:
        """The summary prompt's head for `article`, exactly as `Assistant.summarize` builds it."""
        budget = self.host.settings.get(Key.AI_CONTEXT_TOKENS)
        text, _cut = self.host.backend.fit(article_plain_text(article), budget)
        return prompt_head(summary_messages(article.title or "", text))

    def is_read(self, article_id: int) -> bool:
        article = self.host.store.get_article(article_id)
        if not self.host.article_state_cached(article) or not self._translator().title_ready(article):
            return False
        return self.host.cached_summary(article_id) is not None or self.host.backend.has_head(
            self.summary_head(article)
        )

    def _translator(self) -> Any:
        return self.host.translator(max_block_tokens=self.max_title_tokens)

    def plan(self) -> list[int]:
        model = self.host.load()
        return plan_read_ahead(
            self.candidates(), self.is_read, limit=self.limit,
            state_bytes=model.new_state().nbytes() // 2,  # float16 on disk
            budget_bytes=self.budget_mb * 1024 * 1024,
        )  # fmt: skip

    def run(
        self,
        *,
        cancel: threading.Event | None = None,
        on_progress: Callable[[ReadAheadProgress], None] | None = None,
    ) -> ReadAheadResult | None:
        """Read the planned articles one by one; stops between (and inside) articles at `cancel`. None when
        there is nothing to do or no model to do it with (not loaded: read-ahead never loads one; or the
        user's own server, which keeps its own cache)."""
        if not self.host.loaded or self.host.uses_server:
            return None
        todo = self.plan()
        if not todo:
            return None
        done: list[int] = []
        for index, article_id in enumerate(todo):
            if on_progress is not None:
                on_progress(ReadAheadProgress(index, len(todo), article_id))
            if (cancel is not None and cancel.is_set()) or not self._read_one(article_id, cancel):
                return ReadAheadResult(tuple(done), len(todo), FinishReason.CANCELLED)
            done.append(article_id)
        if on_progress is not None:
            on_progress(ReadAheadProgress(len(todo), len(todo), None))
        log.info("read ahead %d article(s)", len(done))
        return ReadAheadResult(tuple(done), len(todo), FinishReason.STOP)

    def _read_one(self, article_id: int, cancel: threading.Event | None) -> bool:
        article = self.host.store.get_article(article_id)
        if self.host.article_chat(article, cancel=cancel, compact=True) is None:
            return False
        if self.host.cached_summary(article_id) is None:
            head = self.summary_head(article)
            if head and not self.host.backend.read_head(head, cancel):
                return False
        return self._translator().prepare(article, cancel=cancel)
