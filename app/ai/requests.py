"""The requests a model thread runs: one frozen dataclass per kind (load, summarise, digest, translate, ask, brief,
and each chat step). A worker maps each type to one handler; `request_kinds()` lists them all, so a test can
check that no kind lacks one. Qt-free and torch-free: the window builds these, the worker (app.ui.ai_worker)
runs them, and the results are the types of app.ai.results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from app.ai.results import (
    AskResult,
    BriefingResult,
    ChatOpened,
    DigestResult,
    ModelLoaded,
    ReadAheadResult,
    Reply,
    SummariesQueued,
    SummaryResult,
    TitlesTranslated,
    TranslationResult,
)

DEFAULT_AUTO_SUMMARIES = 5


@dataclass(frozen=True)
class AiRequest:
    """The base of every request. `result_types` names what its run may finish with (None aside: nothing done,
    e.g. cancelled before it began or a background job that found its work already done)."""

    result_types: ClassVar[tuple[type, ...]] = ()

    @property
    def kind(self) -> str:
        """A name for logs and messages (the class name)."""
        return type(self).__name__


@dataclass(frozen=True)
class LoadModelRequest(AiRequest):
    """Load the configured model now (it loads on first use otherwise)."""

    result_types = (ModelLoaded,)


@dataclass(frozen=True)
class SummarizeRequest(AiRequest):
    article_id: int
    refresh: bool = False  # write it again, replacing the saved one

    result_types = (SummaryResult,)


@dataclass(frozen=True)
class DigestRequest(AiRequest):
    """One briefing over the unread articles of `scope` ("unread", "folder:ID" or a feed id), or over
    `article_ids` when given."""

    scope: str = "unread"
    article_ids: tuple[int, ...] | None = None

    result_types = (DigestResult,)


@dataclass(frozen=True)
class AutoSummaryRequest(AiRequest):
    """Run a feed's AI rules (app.storage.ai_rules: summarise, translate) on its newest unread articles after a
    refresh: queue a background summary / translation for each of the newest `limit` that has none yet (one
    model run each, so `limit` caps the runs; a user request pre-empts any of them)."""

    feed_id: int
    limit: int = DEFAULT_AUTO_SUMMARIES

    result_types = (SummariesQueued,)


@dataclass(frozen=True)
class TranslateRequest(AiRequest):
    article_id: int
    language: str | None = None  # None: ai.language
    refresh: bool = False
    max_block_tokens: int | None = None  # cap per block (tests keep generation short)

    result_types = (TranslationResult,)


@dataclass(frozen=True)
class TranslateTitlesRequest(AiRequest):
    """The titles of the visible list into ai.language (or `language`), each reported as it is done."""

    article_ids: tuple[int, ...]
    language: str | None = None

    result_types = (TitlesTranslated,)


@dataclass(frozen=True)
class AskRequest(AiRequest):
    question: str
    scope: str = "all"  # app.storage.retrieval.parse_scope text

    result_types = (AskResult,)


@dataclass(frozen=True)
class BriefRequest(AiRequest):
    """The daily briefing of a scope (app.ai.briefing)."""

    scope: str = "all"
    refresh: bool = False

    result_types = (BriefingResult,)


@dataclass(frozen=True)
class ReadAheadRequest(AiRequest):
    """Read the newest unread articles ahead of the user (app.ai.read_ahead); always a background job, which any
    user request pre-empts and which pauses on battery and while the user types a question."""

    limit: int = 10

    result_types = (ReadAheadResult,)


# chat about one article: each step runs on the article's chat (opened once, kept by the worker) -------------
@dataclass(frozen=True)
class ChatRequest(AiRequest):
    """The base of the chat steps (not a request of its own)."""

    article_id: int


@dataclass(frozen=True)
class ChatOpenRequest(ChatRequest):
    result_types = (ChatOpened,)


@dataclass(frozen=True)
class ChatResetRequest(ChatRequest):
    """Forget the conversation (the article stays read)."""

    result_types = (ChatOpened,)


@dataclass(frozen=True)
class ChatAskRequest(ChatRequest):
    text: str
    temperature: float | None = None  # None: the settings' chat sampling
    top_p: float | None = None

    result_types = (Reply,)


@dataclass(frozen=True)
class ChatInstructRequest(ChatRequest):
    text: str
    temperature: float | None = None
    top_p: float | None = None

    result_types = (Reply,)


@dataclass(frozen=True)
class ChatFreeRequest(ChatRequest):
    text: str
    temperature: float | None = None
    top_p: float | None = None

    result_types = (Reply,)


@dataclass(frozen=True)
class ChatRegenerateRequest(ChatRequest):
    temperature: float | None = None
    top_p: float | None = None

    result_types = (Reply,)


@dataclass(frozen=True)
class ChatContinueRequest(ChatRequest):
    result_types = (Reply,)


ABSTRACT_REQUESTS = (AiRequest, ChatRequest)


def request_kinds() -> tuple[type[AiRequest], ...]:
    """Every request type Hearth defines (the bases excepted), in definition order."""
    found: list[type[AiRequest]] = []
    stack = list(reversed(AiRequest.__subclasses__()))
    while stack:
        cls = stack.pop()
        stack.extend(reversed(cls.__subclasses__()))
        if cls not in ABSTRACT_REQUESTS and cls.__module__ == __name__:
            found.append(cls)
    return tuple(found)
