"""How often each feed of a cookie site can really be refreshed, and intervals that fit the site's budget.

A site gets one request per `spacing` seconds (plus jitter) and at most `max_per_hour`; N feeds
costing c requests each cannot all be refreshed more often than every N·c/capacity hours, whatever
the user's interval says (RSSHub users polling 1,000 Zhihu people every 15 minutes were banned).
When the wish exceeds the budget, feeds with nothing new for two weeks are stretched first (up to
4× the interval), and only then every feed, so the active ones stay the freshest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

JITTER_MEAN = 0.15  # SiteGate adds uniform(0, 0.3) × spacing: 15 % on average
ACTIVE_FOR = timedelta(days=14)
DORMANT_FACTOR = 4.0
# requests one refresh costs where it is more than one (first fetches may cost one more: a name)
REQUESTS_PER_REFRESH: Mapping[str, float] = {
    "zhihu.zhuanlan": 2,
    "zhihu.collection": 1.5,
    "zhihu.people.allCollections": 6,
    "weibo.user": 1.5,  # some posts need their full text
    "weibo.timeline": 1.5,
}


def refresh_cost(source_id: str) -> float:
    return float(REQUESTS_PER_REFRESH.get(source_id, 1.0))


@dataclass(frozen=True, slots=True)
class SiteBudget:
    """One site's request budget and the feeds sharing it."""

    site: str
    feeds: int
    requests_per_refresh: float  # all the site's feeds together, one refresh each
    spacing: float  # seconds between requests
    max_per_hour: int

    @property
    def requests_per_hour(self) -> float:
        by_spacing = 3600.0 / (self.spacing * (1 + JITTER_MEAN)) if self.spacing > 0 else math.inf
        return min(by_spacing, float(max(1, self.max_per_hour)))

    @property
    def min_interval(self) -> timedelta:
        """The shortest interval at which every feed of the site can be refreshed."""
        return (
            timedelta(hours=self.requests_per_refresh / self.requests_per_hour)
            if self.feeds
            else timedelta(0)
        )

    def describe(self) -> str:
        spacing = f"one request every {self.spacing:g} s, " if self.spacing > 0 else ""
        return (
            f"{self.site}: {self.feeds} feed{'s share' if self.feeds != 1 else ' shares'} {spacing}"
            f"at most {self.max_per_hour} an hour; each can be refreshed every {format_interval(self.min_interval)} at best"
        )

    def warning(self, interval: timedelta) -> str | None:
        """A note when `interval` (what the user asked for) is shorter than the site allows, else None."""
        if interval >= self.min_interval:
            return None
        return (
            f"{self.site}: feeds set to refresh every {format_interval(interval)} will really be refreshed "
            f"about every {format_interval(self.min_interval)} (dormant ones less often) — "
            "fewer feeds on this site, or a longer interval, keeps them on time"
        )


def format_interval(value: timedelta) -> str:
    minutes = value.total_seconds() / 60
    if minutes < 1:
        return f"{max(1, round(value.total_seconds()))} s"
    if minutes < 90:
        return f"{math.ceil(minutes)} min"
    return f"{minutes / 60:.1f} h"


def fair_intervals(
    wanted: timedelta, *, active: int, dormant: int, budget: SiteBudget
) -> tuple[timedelta, timedelta]:
    """(interval for active feeds, interval for dormant ones) that fit the budget, active ones never slower."""
    feeds = active + dormant
    if feeds == 0 or wanted.total_seconds() <= 0:
        return wanted, wanted
    cost = budget.requests_per_refresh / budget.feeds if budget.feeds else 1.0
    capacity = budget.requests_per_hour / 3600.0  # requests per second
    base = wanted.total_seconds()
    if cost * feeds / base <= capacity:
        return wanted, wanted
    # stretch the dormant ones just enough, up to DORMANT_FACTOR
    room = capacity * base / cost - active  # how many "full-rate" feeds the dormant ones may add up to
    if dormant and room > 0 and dormant / room <= DORMANT_FACTOR:
        return wanted, timedelta(seconds=base * dormant / room)
    scale = cost * (active + dormant / DORMANT_FACTOR) / (base * capacity)
    return timedelta(seconds=base * scale), timedelta(seconds=base * scale * DORMANT_FACTOR)
