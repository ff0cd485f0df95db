"""What the assistant's runs produce: how a run ended (`FinishReason`), which chat mode wrote a reply, and one
frozen dataclass per result (summary, digest, translation, answer, briefing, chat reply, ...).

Imports nothing of Hearth, torch or Qt, so the window, the CLI and every feature module can share these types.
The enums are `StrEnum`s: they print, compare, serialise and store as the same strings as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

ARTICLE_LINK = "hearth://article/{id}"


class FinishReason(StrEnum):
    """Why a run stopped. The first four come from the generation loop; the rest from the features."""

    STOP = "stop"  # a stop string (the end of the turn)
    LENGTH = "length"  # the token budget
    EOS = "eos"  # the model's end-of-text token
    CANCELLED = "cancelled"
    CACHED = "cached"  # nothing generated: the stored result
    EMPTY = "empty"  # nothing to work on (no articles in the scope)
    NOTHING_FOUND = "nothing-found"  # the library had nothing relevant to a question
    SKIPPED = "skipped"  # a translation run already in the target language


class ReplyKind(StrEnum):
    """The chat mode that wrote a reply."""

    CHAT = "chat"
    FREE = "free"
    INSTRUCT = "instruct"


class StateSource(StrEnum):
    """Where a chat's article state came from."""

    READ_NOW = ""  # prefilled just now (falsy, as the empty string was)
    MEMORY = "memory"  # the state cache's memory
    DISK = "disk"  # the state cache's folder


@dataclass(frozen=True)
class DigestItem:
    article_id: int
    title: str
    url: str | None

    @property
    def link(self) -> str:
        return ARTICLE_LINK.format(id=self.article_id)


@dataclass(frozen=True)
class ModelLoaded:
    note: str  # one line: file, generation, size, plan


@dataclass(frozen=True)
class SummariesQueued:
    """The feed's AI rules queued as background jobs on its newest unread articles (summaries, translations)."""

    feed_id: int
    queued: int  # background runs queued (summaries + translations) for the feed's newest unread articles
    summaries: tuple[int, ...] = ()  # the articles a summary was queued for
    translations: tuple[int, ...] = ()  # the articles a translation was queued for


@dataclass(frozen=True)
class ChatOpened:
    """A chat has read its article (or was reset): what it holds."""

    article_id: int
    tokens: int  # tokens of the article context in the chat's base state
    cut_to: int | None  # the article was cut to this many tokens (None: whole)
    from_cache: StateSource


@dataclass(frozen=True)
class SummaryResult:
    article_id: int
    text: str
    cached: bool  # came from the database, nothing was generated
    finish_reason: FinishReason  # CACHED, STOP, LENGTH, EOS, CANCELLED
    model_id: str
    cut_to: int | None = None  # the article was cut to this many tokens


@dataclass(frozen=True)
class DigestResult:
    text: str
    items: list[DigestItem] = field(default_factory=list)
    finish_reason: FinishReason = FinishReason.STOP
    cached: bool = False  # came from the database, nothing was generated


@dataclass(frozen=True)
class TranslatedBlock:
    """One text run done: `index` counts runs from 0 of `total`; `text` is its translation."""

    index: int
    total: int
    kind: str
    source: str
    text: str
    skipped: bool = False  # already in the target language (or no words): kept as it was


@dataclass(frozen=True)
class TranslationResult:
    article_id: int
    language: str
    title: str
    html: str  # the article with translated text (untranslated runs kept as they were when cancelled)
    cached: bool
    finish_reason: FinishReason  # CACHED, STOP, CANCELLED
    model_id: str
    blocks_done: int = 0
    blocks_total: int = 0
    first_block_s: float | None = None  # from the call to the first finished block


@dataclass(frozen=True)
class CitedSource:
    number: int
    article_id: int
    title: str
    url: str | None
    cited: bool  # the answer refers to it

    @property
    def link(self) -> str:
        return ARTICLE_LINK.format(id=self.article_id)


@dataclass(frozen=True)
class AskResult:
    question: str
    answer: str
    sources: list[CitedSource] = field(default_factory=list)
    finish_reason: FinishReason = FinishReason.STOP  # STOP, LENGTH, EOS, CANCELLED, NOTHING_FOUND
    first_text_s: float | None = (
        None  # from the call to the first answer text (retrieval and reading included)
    )
    prompt_tokens: int = 0

    @property
    def found(self) -> bool:
        return bool(self.sources)


@dataclass(frozen=True)
class BriefingResult:
    text: str
    items: list[DigestItem] = field(default_factory=list)  # numbered as in the text: items[0] is [1]
    since: datetime | None = None
    cached: bool = False
    finish_reason: FinishReason = FinishReason.STOP  # CACHED, STOP, LENGTH, EOS, CANCELLED, EMPTY


@dataclass(frozen=True)
class Reply:
    """One chat generation (built-in engine or model server): `text` is the whole answer (after /continue, the
    earlier part too)."""

    kind: ReplyKind
    text: str
    finish_reason: FinishReason  # STOP, LENGTH, EOS, CANCELLED
    prompt_tokens: int  # tokens prefilled for this reply (the question, never the article)
    new_tokens: int
    first_text_s: float | None = None  # from the call to the first text out


@dataclass(frozen=True)
class ReadAheadProgress:
    """Read-ahead is at article `done` + 1 of `total` (`article_id`; None when all are done)."""

    done: int
    total: int
    article_id: int | None


@dataclass(frozen=True)
class ReadAheadResult:
    """One read-ahead pass: the articles read (their states now cached), of `total` planned."""

    read: tuple[int, ...]
    total: int
    finish_reason: FinishReason  # STOP, CANCELLED (pre-empted or paused: it runs again later)


@dataclass(frozen=True)
class TitlesTranslated:
    """Titles of a list in `language`: (article id, title) in the order asked, as far as it got."""

    language: str
    titles: tuple[tuple[int, str], ...]
    finish_reason: FinishReason  # STOP, CANCELLED


AiResult = (
    ModelLoaded
    | SummariesQueued
    | ChatOpened
    | SummaryResult
    | DigestResult
    | TranslationResult
    | AskResult
    | BriefingResult
    | Reply
    | ReadAheadResult
    | TitlesTranslated
)
