"""The truth about a cookie site's budget: how often N feeds can really refresh, and active feeds kept fresher."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from app.models import ParsedFeed, ParsedItem
from app.sources.budget import SiteBudget, fair_intervals
from app.sources.registry import budget_notes, make_source_fetcher
from app.storage import open_store

HOUR = timedelta(hours=1)


def test_n_feeds_share_the_sites_budget() -> None:
    budget = SiteBudget("zhihu.com", 40, 40.0, spacing=5.0, max_per_hour=120)
    assert budget.requests_per_hour == 120  # the cap binds before the spacing (≈626/h)
    assert budget.min_interval == timedelta(minutes=20)
    assert budget.describe() == (
        "zhihu.com: 40 feeds share one request every 5 s, at most 120 an hour; "
        "each can be refreshed every 20 min at best"
    )
    assert budget.warning(timedelta(minutes=60)) is None
    warning = budget.warning(timedelta(minutes=15))
    assert warning is not None and "every 15 min will really be refreshed about every 20 min" in warning
    # 1,000 Zhihu people every 15 minutes, as RSSHub users did: the real figure
    assert SiteBudget("zhihu.com", 1000, 1000.0, 5.0, 120).min_interval == timedelta(hours=1000 / 120)
    # Weibo's 10 s spacing binds before the cap
    weibo = SiteBudget("weibo.com", 30, 45.0, spacing=10.0, max_per_hour=1000)
    assert weibo.requests_per_hour == pytest.approx(3600 / 11.5)


def _demand(active: int, dormant: int, a: timedelta, d: timedelta) -> float:
    return (active / a.total_seconds() + dormant / d.total_seconds()) * 3600


@pytest.mark.parametrize(("active", "dormant"), [(10, 10), (10, 200), (100, 50), (0, 80), (80, 0)])
def test_fair_intervals_fit_the_budget_and_favour_active_feeds(active: int, dormant: int) -> None:
    feeds = active + dormant
    budget = SiteBudget("bilibili.com", feeds, float(feeds), 5.0, 120)
    a, d = fair_intervals(HOUR, active=active, dormant=dormant, budget=budget)
    assert a >= HOUR and d >= a
    assert _demand(active, dormant, a, d) <= 120 * 1.0001
    if feeds <= 120:
        assert a == d == HOUR  # nothing to stretch
    elif active <= 120 and active + dormant / 4 <= 120:
        assert a == HOUR and d > HOUR  # only the dormant ones wait longer
    else:
        assert d == a * 4


def _parsed(newest: datetime) -> ParsedFeed:
    return ParsedFeed(title="t", items=(ParsedItem(guid="1", url=None, title="x", published=newest),))


def test_the_fetcher_schedules_dormant_feeds_later(tmp_path: Path) -> None:
    store = open_store(tmp_path / "hearth.sqlite3")
    try:
        feeds = [
            store.add_feed(
                f"https://space.bilibili.com/{n}/video", kind="bilibili.user.video", params={"uid": str(n)}
            )
            for n in range(1, 201)
        ]
        zhihu = store.add_feed("https://www.zhihu.com/hot", kind="zhihu.hot", params={})
        fetcher: Any = make_source_fetcher(Settings(None, {}), site_states=store)
        now = datetime.now(UTC)
        for feed in feeds[:120]:
            fetcher.interval_for(feed, HOUR, _parsed(now - timedelta(days=60)))  # nothing new for 2 months
        fresh = fetcher.interval_for(feeds[150], HOUR, _parsed(now - timedelta(hours=2)))
        stale = fetcher.interval_for(feeds[0], HOUR, None)
        assert HOUR <= fresh < stale
        # 80 active + 120 dormant feeds over 120 requests an hour: the active keep their hour,
        # the dormant wait three (80/h + 120/3h = 120/h)
        assert fresh == HOUR and stale == 3 * HOUR
        assert fetcher.interval_for(zhihu, HOUR, None) == HOUR  # its own site has room
        notes = budget_notes(store.list_feeds(), Settings(None, {}))
        assert notes[0].startswith("bilibili.com: 200 feeds share one request every 5 s")
        assert notes[1].startswith("warning: bilibili.com: feeds set to refresh every 60 min")
        assert notes[2].startswith("zhihu.com: 1 feed share")
    finally:
        store.close()
