"""What a refresh did, feed by feed and in total."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.models import FetchOutcome


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    feed_id: int
    title: str  # the feed's title (or its address while it has none)
    url: str
    outcome: FetchOutcome
    new_articles: int = 0
    updated_articles: int = 0
    status: int | None = None  # HTTP status, None when no response came
    error: str | None = None  # the user-facing message
    new_url: str | None = None  # the feed moved permanently (301/308) and its address was updated
    disabled: bool = False  # 410: the feed was disabled
    error_type: type[Exception] | None = None  # the error's class (app.errors): failures grouped by kind

    @property
    def ok(self) -> bool:
        return self.outcome != FetchOutcome.ERROR


@dataclass(slots=True)
class RefreshReport:
    total: int  # feeds the refresh set out to fetch
    outcomes: list[FeedOutcome] = field(default_factory=list)
    cancelled: bool = False
    elapsed: float = 0.0  # seconds
    retention_deleted: int = 0

    @property
    def done(self) -> int:
        return len(self.outcomes)

    @property
    def new_articles(self) -> int:
        return sum(o.new_articles for o in self.outcomes)

    @property
    def updated(self) -> int:
        return sum(1 for o in self.outcomes if o.outcome == FetchOutcome.UPDATED)

    @property
    def not_modified(self) -> int:
        return sum(1 for o in self.outcomes if o.outcome == FetchOutcome.NOT_MODIFIED)

    @property
    def errors(self) -> list[FeedOutcome]:
        return [o for o in self.outcomes if o.outcome == FetchOutcome.ERROR]

    @property
    def all_failed(self) -> bool:
        """Every feed that was tried failed (offline, a broken proxy ...): worth a non-zero exit."""
        return bool(self.outcomes) and all(o.outcome == FetchOutcome.ERROR for o in self.outcomes)

    def by_feed(self) -> dict[int, FeedOutcome]:
        return {o.feed_id: o for o in self.outcomes}
