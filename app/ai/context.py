"""What the assistant's features need of it and of a model: the contracts that translate, ask, briefings and
the text backends are written against, and the small article helpers they share. `app.ai.assistant` builds
all of them and satisfies these contracts, so nothing below it imports it back (no import circle).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from app.ai.openai_backend import Completion
from app.ai.prompts import ChatMessage
from app.config import Settings
from app.errors import ModelLoadError
from app.models import Article
from app.text import html_to_text

if TYPE_CHECKING:
    from app.ai.model import Model
    from app.ai.sampler import SamplingParams
    from app.ai.state_cache import StateCache
    from app.ai.tokenizer import Tokenizer

OnText = Callable[[str], None]
Progress = Callable[[float], None]


class TextBackend(Protocol):
    """What the assistant's features need of a model."""

    def model_id(self) -> str: ...

    def fit(self, text: str, budget: int) -> tuple[str, int | None]:
        """`text` cut to `budget` tokens (text, tokens kept when it was cut, else None)."""
        ...

    def count_tokens(self, text: str) -> int: ...

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        preset: str = "summary",
        stop: Sequence[str] = (),
        max_tokens: int | None = None,
        on_text: OnText | None = None,
        cancel: threading.Event | None = None,
        progress: Progress | None = None,
        reuse_prefix: str = "",
        keep_prefix: bool = True,
    ) -> Completion: ...


class AssistantContext(Protocol):
    """What translate, ask, briefings and the RWKV backend use of `app.ai.assistant.Assistant`."""

    settings: Settings
    store: Any  # the calling thread's app.storage.Store
    tokenizer: Tokenizer | None
    states: StateCache  # prefilled states (articles, shared prompt heads)

    @property
    def backend(self) -> TextBackend: ...

    def load(self, progress: Progress | None = None) -> Model: ...

    def model_id(self) -> str: ...

    def model_path(self) -> Path: ...

    def sampling(self, preset: str) -> SamplingParams: ...


def model_id_for(path: Path) -> str:
    """A stable id for a model file without reading it: its name and size (a new download differs)."""
    try:
        return f"{path.name}#{path.stat().st_size}"
    except OSError:
        raise ModelLoadError(
            f"model file not found: {path}", hint="choose a model in the model manager or `hearth model use`"
        ) from None


def article_plain_text(article: Article) -> str:
    return html_to_text(article.content_html or article.summary_html or "")
