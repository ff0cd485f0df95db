"""Frozen dataclasses shared by every layer: what a parser produces and what the store hands back.

All datetimes are timezone-aware UTC. Parsed items are immutable; only storage turns them into
stored `Article`s (with ids and read/starred status).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class FeedKind(StrEnum):
    """Feed.kind of a feed Hearth fetches and parses itself. A source feed's kind is its source's id
    ("zhihu.people.activities"), which the source registry owns."""

    FEED = "feed"
    # the script source's id: feeds, storage and the server refuse or skip command feeds without the registry
    SCRIPT = "script"


class FetchOutcome(StrEnum):
    """What became of one feed in a refresh (the strings are what reports and JSON output say)."""

    UPDATED = "updated"  # a body was parsed and stored
    NOT_MODIFIED = "not_modified"  # 304, or the same bytes as last time
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Enclosure:
    url: str
    type: str = ""
    length: int | None = None


@dataclass(frozen=True, slots=True)
class ParsedItem:
    guid: str  # stable: id, else link, else a hash of title and date
    url: str | None
    title: str
    author: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    content_html: str = ""  # already sanitised
    summary_html: str = ""  # already sanitised
    enclosures: tuple[Enclosure, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    site_url: str | None = None
    feed_url: str | None = None  # the feed's self link, if it declares one
    icon_url: str | None = None
    description: str = ""
    items: tuple[ParsedItem, ...] = ()
    format: str = ""  # "rss20", "atom10", "rdf", "json11", "zhihu" ...


@dataclass(frozen=True, slots=True)
class Folder:
    id: int
    name: str
    parent_id: int | None = None
    position: int = 0


@dataclass(frozen=True, slots=True)
class Feed:
    id: int
    url: str
    title: str
    site_url: str | None = None
    icon_url: str | None = None
    kind: str = FeedKind.FEED
    params: dict[str, Any] = field(default_factory=dict)
    folder_id: int | None = None
    # per-feed settings
    update_interval: int | None = None  # seconds; None = the global interval
    user_agent: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)
    enabled: bool = True
    retention_days: int | None = None  # None = the global retention
    # fetch state
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    last_fetch: datetime | None = None
    next_fetch: datetime | None = None
    last_status: int | None = None
    consecutive_errors: int = 0
    last_error: str | None = None
    created: datetime | None = None


@dataclass(frozen=True, slots=True)
class Article:
    id: int
    feed_id: int
    guid: str
    url: str | None
    title: str
    author: str | None
    published: datetime | None
    updated: datetime | None
    content_html: str
    summary_html: str
    enclosures: tuple[Enclosure, ...]
    first_seen: datetime
    read: bool = False
    starred: bool = False


@dataclass(frozen=True, slots=True)
class ArticleRow:
    """The light row an article list shows: no content."""

    id: int
    feed_id: int
    feed_title: str
    title: str
    url: str | None
    author: str | None
    published: datetime | None  # published, else updated, else first seen
    read: bool
    starred: bool


@dataclass(frozen=True, slots=True)
class Summary:
    article_id: int
    model_id: str
    prompt_version: str
    text: str
    created: datetime


@dataclass(frozen=True, slots=True)
class FetchState:
    """What one fetch leaves on the feed row; written with the feed's articles in one transaction."""

    fetched_at: datetime
    next_fetch: datetime
    status: int | None  # HTTP status, None when no response came
    etag: str | None = None  # stored verbatim, sent back verbatim
    last_modified: str | None = None
    body_hash: str | None = None
    error: str | None = None  # None on success (resets consecutive_errors), else the user-facing text
    new_url: str | None = None  # after a 301/308
    disable: bool = False  # 410 Gone


@dataclass(frozen=True, slots=True)
class UpsertResult:
    new_ids: tuple[int, ...] = ()
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class ArticleQuery:
    """Which articles a list shows. Smart views: "all", "unread", "starred", "today"."""

    smart: str | None = None
    feed_ids: tuple[int, ...] | None = None
    folder_id: int | None = None  # includes sub-folders
    search: str | None = None  # FTS5 query over title + plain text
    unread_only: bool = False
    sort: str = "newest"  # "newest", "oldest", "title", "feed" (by feed title, then newest first)


@dataclass(frozen=True, slots=True)
class Outline:
    """One OPML outline: a folder (url None, children) or a feed (url set)."""

    title: str
    url: str | None = None
    site_url: str | None = None
    kind: str = FeedKind.FEED
    children: tuple[Outline, ...] = ()


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A feed offered by a web page (discovery)."""

    url: str
    title: str = ""
    type: str = ""


@dataclass(frozen=True, slots=True)
class SiteState:
    """Per-site politeness and cooldown, persisted so a restart does not hammer a site that blocked us."""

    site: str
    cooldown_until: datetime | None = None
    cooldown_level: int = 0  # doubles the cooldown each time: 30 min ... 24 h
    last_request: datetime | None = None
    requests_this_hour: int = 0
    hour_started: datetime | None = None
    last_error: str | None = None
