"""Per-site politeness for cookie sites: spacing with jitter, an hourly cap, and a persisted ban cooldown.

A `SiteGate` sits on top of the fetch engine's per-host gate. Before each request a source awaits
`gate.acquire()`; during a cooldown that raises `BlockedError` at once (no request is made). A 403,
429 or captcha calls `gate.report_blocked()`, which starts a cooldown of 30 min doubling per strike up
to 24 h, saved in the store's `site_state` so a restart does not hammer a site that blocked us; a
success resets the level. Waiting is `asyncio.sleep`, and each site has its own lock, so one slow or
blocked site never holds up another. `app.fetching.schedule.spread_next_fetch` spreads a site's feeds over the interval.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol

from app.errors import BlockedError
from app.i18n import _
from app.models import Feed, SiteState

log = logging.getLogger(__name__)

BASE_COOLDOWN = timedelta(minutes=30)
MAX_COOLDOWN = timedelta(hours=24)
HOUR = timedelta(hours=1)
# what to do while a site cools down, where the site has its own cure
SITE_HINTS = {
    "bilibili.com": "Hearth will try again by itself; a signed-in cookie (`hearth cookies signin bilibili.com`) "
    "clears most of Bilibili's risk checks",
    "weibo.com": "Hearth will try again by itself; if it keeps happening, open Weibo with "
    "`hearth cookies signin weibo.com` and pass its check",
}


class SiteStateStore(Protocol):
    def get_site_state(self, site: str) -> SiteState | None: ...

    def save_site_state(self, state: SiteState) -> None: ...


def cooldown_for(level: int) -> timedelta:
    """The cooldown after the `level`-th consecutive block (1 -> 30 min, 2 -> 1 h, ... capped at 24 h)."""
    if level <= 0:
        return timedelta(0)
    return min(BASE_COOLDOWN * (2 ** min(level - 1, 16)), MAX_COOLDOWN)


def format_until(until: datetime) -> str:
    """'14:30' today, else '3 Mar 14:30', in the user's local time."""
    local = until.astimezone()
    now = datetime.now().astimezone()
    return f"{local:%H:%M}" if local.date() == now.date() else f"{local.day} {local:%b %H:%M}"


def blocked_error(site: str, state: SiteState, *, url: str = "", status: int | None = None) -> BlockedError:
    until = state.cooldown_until
    assert until is not None
    reason = f" ({state.last_error})" if state.last_error else ""
    return BlockedError(
        f"{site} blocked us{reason} — cooling down until {format_until(until)}",
        url=url,
        status=status,
        until=until,
        hint=SITE_HINTS.get(
            site, "Hearth will try again by itself; refreshing your cookie in the sign-in window may help"
        ),
    )


class SiteGate:
    """One site's politeness. Safe to share between concurrent fetches on one event loop (or successive loops)."""

    def __init__(
        self,
        site: str,
        states: SiteStateStore,
        *,
        min_spacing: float,
        max_per_hour: int,
        jitter: float = 0.3,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.site = site
        self.states = states
        self.min_spacing = max(0.0, min_spacing)
        self.max_per_hour = max(1, max_per_hour)
        self.jitter = jitter
        self._clock = clock or (lambda: datetime.now(UTC))
        self._sleep = sleep or asyncio.sleep
        self._rng = rng or random.Random()
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    # state --------------------------------------------------------------------------
    def state(self) -> SiteState:
        return self.states.get_site_state(self.site) or SiteState(site=self.site)

    def _save(self, state: SiteState) -> None:
        self.states.save_site_state(state)

    def cooling_down(self, now: datetime | None = None) -> SiteState | None:
        """The state if the site is in a cooldown now, else None."""
        state = self.state()
        now = now or self._clock()
        if state.cooldown_until is not None and state.cooldown_until > now:
            return state
        return None

    def check(self, url: str = "") -> None:
        """Raise BlockedError (no request made) while the site cools down."""
        state = self.cooling_down()
        if state is not None:
            raise blocked_error(self.site, state, url=url)

    # the gate -----------------------------------------------------------------------
    async def acquire(self, url: str = "") -> None:
        """Wait for this site's next slot (spacing with jitter), count the request, or raise BlockedError."""
        async with self._site_lock():
            self.check(url)
            state = self.state()
            now = self._clock()
            if state.hour_started is None or now - state.hour_started >= HOUR:
                state = dataclasses.replace(state, hour_started=now, requests_this_hour=0)
            if state.requests_this_hour >= self.max_per_hour:
                until = state.hour_started + HOUR if state.hour_started else now + HOUR
                raise BlockedError(
                    f"{self.site}: {self.max_per_hour} requests this hour — next allowed at {format_until(until)}",
                    url=url,
                    until=until,
                    hint=_("raise sites.max_per_hour if you are sure the site tolerates it"),
                )
            if state.last_request is not None and self.min_spacing > 0:
                spacing = self.min_spacing * (1.0 + self._rng.uniform(0.0, self.jitter))
                wait = (state.last_request + timedelta(seconds=spacing) - now).total_seconds()
                if wait > 0:
                    log.debug("%s: waiting %.1f s before the next request", self.site, wait)
                    await self._sleep(wait)
                    now = self._clock()
            state = dataclasses.replace(
                state, last_request=now, requests_this_hour=state.requests_this_hour + 1
            )
            self._save(state)

    def report_blocked(
        self,
        reason: str,
        *,
        url: str = "",
        status: int | None = None,
        at_least: timedelta = timedelta(0),
    ) -> BlockedError:
        """Start (or lengthen) the cooldown, persist it, and return the error to raise.

        `at_least` is the site's own floor for this answer (Bilibili's 412 lasts about an hour,
        Weibo's 418 two or three); the doubling per strike still applies above it.
        """
        state = self.state()
        now = self._clock()
        level = state.cooldown_level + 1
        length = max(cooldown_for(level), at_least)
        state = dataclasses.replace(
            state, cooldown_level=level, cooldown_until=now + length, last_error=reason
        )
        self._save(state)
        log.warning("%s blocked us (%s); cooling down for %s", self.site, reason, length)
        return blocked_error(self.site, state, url=url, status=status)

    def report_success(self) -> None:
        """A successful fetch resets the cooldown level."""
        state = self.state()
        if state.cooldown_level or state.cooldown_until or state.last_error:
            self._save(dataclasses.replace(state, cooldown_level=0, cooldown_until=None, last_error=None))

    def _site_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock


class GateRegistry:
    """One `SiteGate` per site, built on demand from the settings (shared by all fetches of a fetcher)."""

    def __init__(
        self,
        states: SiteStateStore,
        *,
        min_spacing: float,
        max_per_hour: int,
        clock: Callable[[], datetime] | None = None,
        site_spacing: Mapping[str, float] | None = None,
    ) -> None:
        self.states = states
        self.min_spacing = min_spacing
        self.max_per_hour = max_per_hour
        self.clock = clock
        self.site_spacing = dict(site_spacing or {})  # a site's own spacing replaces min_spacing
        self._gates: dict[str, SiteGate] = {}

    def spacing_for(self, site: str) -> float:
        return self.site_spacing.get(site, self.min_spacing)

    def gate(self, site: str) -> SiteGate:
        if site not in self._gates:
            self._gates[site] = SiteGate(
                site,
                self.states,
                min_spacing=self.spacing_for(site),
                max_per_hour=self.max_per_hour,
                clock=self.clock,
            )
        return self._gates[site]


def stagger_due(
    feeds: Iterable[Feed],
    now: datetime,
    *,
    site_of: Callable[[Feed], str | None],
    spacing: float,
    burst: int = 3,
) -> tuple[list[Feed], dict[int, datetime]]:
    """Split due feeds into those to fetch now and, per site, the rest with staggered times.

    Feeds of no site are all fetched now. Of each site's feeds, `burst` go now and the rest are
    deferred `spacing` seconds apart, so a queue of 40 Zhihu feeds does not sit in the refresher
    holding slots that other sites could use.
    """
    now_list: list[Feed] = []
    deferred: dict[int, datetime] = {}
    per_site: dict[str, int] = {}
    for feed in feeds:
        site = site_of(feed)
        if site is None:
            now_list.append(feed)
            continue
        n = per_site.get(site, 0)
        per_site[site] = n + 1
        if n < burst:
            now_list.append(feed)
        else:
            deferred[feed.id] = now + timedelta(seconds=spacing * (n + 1))
    return now_list, deferred
