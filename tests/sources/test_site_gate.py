"""Per-site politeness: spacing, hourly cap, ban cooldown growth and persistence, no cross-site slowdown."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.errors import BlockedError
from app.fetching.schedule import spread_next_fetch
from app.fetching.site_gate import SiteGate, cooldown_for, stagger_due
from app.models import Feed
from app.storage import open_store
from tests.sources.conftest import fetch_source
from tests.sources.fake_zhihu import FakeZhihu

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_cooldown_doubles_from_30_minutes_to_a_day() -> None:
    assert [cooldown_for(n) for n in range(1, 8)] == [
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=4),
        timedelta(hours=8),
        timedelta(hours=16),
        timedelta(hours=24),
    ]
    assert cooldown_for(50) == timedelta(hours=24)


def test_cooldown_grows_persists_across_restart_and_resets_on_success(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    store = open_store(db)
    clock = Clock()
    gate = SiteGate("zhihu.com", store, min_spacing=0, max_per_hour=100, clock=clock)
    err = gate.report_blocked("HTTP 403")
    assert err.until == T0 + timedelta(minutes=30)
    assert "cooling down until" in str(err)
    clock.now = err.until + timedelta(seconds=1)  # the cooldown ran out; blocked again at once
    err2 = gate.report_blocked("HTTP 429")
    assert err2.until == clock.now + timedelta(hours=1)
    store.close()

    # a new Store on the same file (an app restart) still knows
    store2 = open_store(db)
    gate2 = SiteGate("zhihu.com", store2, min_spacing=0, max_per_hour=100, clock=clock)
    state = store2.get_site_state("zhihu.com")
    assert state is not None and state.cooldown_level == 2 and state.last_error == "HTTP 429"
    with pytest.raises(BlockedError) as blocked:
        gate2.check()
    assert blocked.value.until == err2.until
    with pytest.raises(BlockedError):
        asyncio.run(gate2.acquire())
    assert (
        SiteGate("other.example", store2, min_spacing=0, max_per_hour=100, clock=clock).cooling_down() is None
    )

    clock.now = err2.until + timedelta(minutes=1)
    asyncio.run(gate2.acquire())
    gate2.report_success()
    state = store2.get_site_state("zhihu.com")
    assert state is not None and state.cooldown_level == 0 and state.cooldown_until is None
    assert gate2.report_blocked("HTTP 403").until == clock.now + timedelta(minutes=30)  # back to level 1
    store2.close()


def test_403_and_429_start_a_cooldown_and_no_request_is_made_during_it(
    tmp_path: Path, zhihu: FakeZhihu
) -> None:
    store = open_store(tmp_path / "h.sqlite3")
    gate = SiteGate("zhihu.com", store, min_spacing=0, max_per_hour=100)
    zhihu.block_next = 1
    with pytest.raises(BlockedError, match="cooling down until") as err:
        fetch_source(zhihu, "zhihu.people.activities", {"id": "diygod"}, gate=gate)
    assert err.value.status == 403 and err.value.until is not None
    assert "HTTP 403" in str(err.value)
    sent = len(zhihu.requests)
    with pytest.raises(BlockedError):
        fetch_source(zhihu, "zhihu.people.answers", {"id": "diygod"}, gate=gate)
    assert len(zhihu.requests) == sent  # nothing went out
    # once the cooldown is over (pretend), a 429 makes it longer
    state = store.get_site_state("zhihu.com")
    assert state is not None and state.cooldown_level == 1
    store.save_site_state(type(state)(site="zhihu.com", cooldown_level=1))
    zhihu.block_next, zhihu.block_status = 1, 429
    with pytest.raises(BlockedError) as err:
        fetch_source(zhihu, "zhihu.people.activities", {"id": "diygod"}, gate=gate)
    assert err.value.status == 429
    state = store.get_site_state("zhihu.com")
    assert state is not None and state.cooldown_level == 2
    store.close()


def test_spacing_waits_between_requests_to_one_site_only(tmp_path: Path) -> None:
    """Ordering on a fake clock, not a stopwatch: zhihu's second request sleeps its 0.3 s spacing while
    bilibili's request goes through without sleeping, before zhihu's sleep is over."""
    store = open_store(tmp_path / "h.sqlite3")
    clock = Clock()
    slept: dict[str, list[float]] = {"zhihu.com": [], "bilibili.com": []}
    wake_zhihu = asyncio.Event()
    order: list[str] = []

    def sleeper(site: str):  # type: ignore[no-untyped-def]
        async def sleep(seconds: float) -> None:
            slept[site].append(seconds)
            if site == "zhihu.com":
                await wake_zhihu.wait()
            clock.now += timedelta(seconds=seconds)

        return sleep

    slow = SiteGate(
        "zhihu.com",
        store,
        min_spacing=0.3,
        max_per_hour=100,
        jitter=0.0,
        clock=clock,
        sleep=sleeper("zhihu.com"),
    )
    other = SiteGate(
        "bilibili.com",
        store,
        min_spacing=0.3,
        max_per_hour=100,
        jitter=0.0,
        clock=clock,
        sleep=sleeper("bilibili.com"),
    )

    async def go() -> None:
        await slow.acquire()
        order.append("zhihu 1")
        second = asyncio.create_task(slow.acquire())
        for _ in range(1000):  # until zhihu's second request is inside its spacing sleep
            if slept["zhihu.com"]:
                break
            await asyncio.sleep(0)
        assert slept["zhihu.com"], "the second zhihu request did not wait for its spacing"
        # a regression (one lock for all sites) would block here: fail instead of hanging
        await asyncio.wait_for(other.acquire(), timeout=60)
        order.append("bilibili 1")
        wake_zhihu.set()
        await second
        order.append("zhihu 2")

    asyncio.run(go())
    assert order == ["zhihu 1", "bilibili 1", "zhihu 2"]
    assert slept == {"zhihu.com": [pytest.approx(0.3)], "bilibili.com": []}
    store.close()


def test_jitter_adds_up_to_the_given_fraction(tmp_path: Path) -> None:
    store = open_store(tmp_path / "h.sqlite3")
    clock = Clock()
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    gate = SiteGate(
        "zhihu.com", store, min_spacing=5.0, max_per_hour=100, jitter=0.3, clock=clock, sleep=fake_sleep
    )

    async def go() -> None:
        for _ in range(20):
            await gate.acquire()

    asyncio.run(go())
    assert len(waits) == 19 and all(5.0 <= w <= 6.5 for w in waits)
    assert max(waits) - min(waits) > 0.1  # jittered, not fixed
    store.close()


def test_hourly_cap(tmp_path: Path) -> None:
    store = open_store(tmp_path / "h.sqlite3")
    clock = Clock()
    gate = SiteGate("zhihu.com", store, min_spacing=0, max_per_hour=3, clock=clock)

    async def go(n: int) -> None:
        for _ in range(n):
            await gate.acquire()

    asyncio.run(go(3))
    with pytest.raises(BlockedError, match="3 requests this hour") as err:
        asyncio.run(go(1))
    assert err.value.until == T0 + timedelta(hours=1)
    clock.now = T0 + timedelta(hours=1, seconds=1)
    asyncio.run(go(3))  # a new hour
    store.close()


def test_spread_next_fetch_spreads_feeds_over_the_interval() -> None:
    interval = timedelta(hours=1)
    times = sorted(spread_next_fetch(feed_id, T0, interval) for feed_id in range(1, 31))
    assert all(T0 + interval / 2 <= t < T0 + interval * 1.5 for t in times)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert min(gaps) > 30  # 30 feeds in an hour: never two within half a minute
    assert max(gaps) < 300
    # a feed keeps its phase from one fetch to the next
    first = spread_next_fetch(7, T0, interval)
    assert spread_next_fetch(7, first + timedelta(seconds=3), interval) == first + interval


def test_stagger_due_defers_a_burst_of_one_site() -> None:
    def feed(i: int, kind: str) -> Feed:
        return Feed(id=i, url=f"https://x/{i}", title="", kind=kind)

    feeds = [feed(i, "zhihu.people.activities") for i in range(1, 8)] + [feed(100, "feed")]
    site = {"zhihu.people.activities": "zhihu.com"}
    now_list, later = stagger_due(feeds, T0, site_of=lambda f: site.get(f.kind), spacing=10, burst=3)
    assert [f.id for f in now_list] == [1, 2, 3, 100]
    assert sorted(later) == [4, 5, 6, 7]
    assert later[4] == T0 + timedelta(seconds=40) and later[7] == T0 + timedelta(seconds=70)
