"""Which AI rules run on each feed's new articles (summarise, translate and into which language): one row per
feed in `feed_ai_rules`, dropped with its feed."""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import NotFoundError
from app.storage.db import StoreBase


@dataclass(frozen=True, slots=True)
class FeedRules:
    feed_id: int
    summarize: bool = False
    translate: bool = False
    language: str = ""  # "" means ai.language

    @property
    def any(self) -> bool:
        return self.summarize or self.translate


class RuleStore(StoreBase):
    def feed_rules(self, feed_id: int) -> FeedRules:
        """The feed's rules (all off when none were set)."""
        row = self._conn.execute(
            "SELECT summarize, translate, language FROM feed_ai_rules WHERE feed_id = ?", (feed_id,)
        ).fetchone()
        if row is None:
            return FeedRules(feed_id)
        return FeedRules(feed_id, bool(row[0]), bool(row[1]), row[2])

    def set_feed_rules(self, rules: FeedRules) -> None:
        """Store a feed's rules; a feed with every rule off has no row."""
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM feeds WHERE id = ?", (rules.feed_id,)).fetchone() is None:
                raise NotFoundError(
                    f"no feed with id {rules.feed_id}", hint="`hearth list` shows the feed ids"
                )
            if not rules.any:
                conn.execute("DELETE FROM feed_ai_rules WHERE feed_id = ?", (rules.feed_id,))
                return
            conn.execute(
                "INSERT OR REPLACE INTO feed_ai_rules(feed_id, summarize, translate, language) VALUES (?, ?, ?, ?)",
                (rules.feed_id, int(rules.summarize), int(rules.translate), rules.language),
            )

    def all_feed_rules(self) -> dict[int, FeedRules]:
        """Every feed that has a rule on, by feed id."""
        rows = self._conn.execute("SELECT feed_id, summarize, translate, language FROM feed_ai_rules")
        return {r[0]: FeedRules(r[0], bool(r[1]), bool(r[2]), r[3]) for r in rows}
