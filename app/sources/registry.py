"""Every source Hearth knows, URL matching, and the `fetch_source(feed)` the refresher and feed server inject.

    found = match_url("https://www.zhihu.com/people/diygod")     # (ActivitiesSource, {"id": "diygod"})
    store.add_feed(source_feed_url(*found), kind=found[0].id, params=found[1])
    fetch_source = make_source_fetcher(settings, vault=vault, site_states=store, data_dir=paths.data_dir)
    Refresher(store, settings, fetch_source=fetch_source)

A source feed's row stores the canonical public URL (https://www.zhihu.com/people/diygod/activities,
exec:COMMAND), `kind` = the source id and `params`; it is unique per source+params and clickable.
"""

from __future__ import annotations

import asyncio
import dataclasses
import http.cookiejar
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from app import USER_AGENT
from app.config import Key, Settings
from app.errors import SourceError
from app.feeds.normalize import MAX_HTML, bounded_html
from app.feeds.sanitize import sanitize_html
from app.fetching.site_gate import GateRegistry, SiteStateStore
from app.i18n import _
from app.models import Feed, ParsedFeed
from app.sources.base import ChallengeSolver, Source, SourceContext
from app.sources.bilibili import SOURCES as BILIBILI_SOURCES
from app.sources.budget import ACTIVE_FOR, SiteBudget, fair_intervals, refresh_cost
from app.sources.script import ScriptSource
from app.sources.weibo import SOURCES as WEIBO_SOURCES
from app.sources.zhihu import SOURCES as ZHIHU_SOURCES

log = logging.getLogger(__name__)

SourceFetcher = Callable[[Feed], Awaitable[ParsedFeed]]
_SOURCES: tuple[Source, ...] = (*ZHIHU_SOURCES, *BILIBILI_SOURCES, *WEIBO_SOURCES, ScriptSource())
_BY_ID: dict[str, Source] = {s.id: s for s in _SOURCES}
FEEDS_CACHE_FOR = timedelta(minutes=1)  # how long interval_for trusts its list of a site's feeds


# Sites with a published floor between requests of their own (stablog's 10 s for Weibo), as settings.
SITE_SPACING_SETTINGS = {"weibo.com": Key.WEIBO_MIN_SPACING_SECONDS}


def site_spacings(settings: Settings) -> dict[str, float]:
    """Each site's own spacing (seconds) where it has one; the others use sites.min_spacing_seconds."""
    return {site: settings.get(key) for site, key in SITE_SPACING_SETTINGS.items()}


def site_gates(settings: Settings, states: SiteStateStore) -> GateRegistry:
    """The per-site gates every request to a cookie site passes (spacing, hourly cap, cooldowns in `states`)."""
    return GateRegistry(
        states,
        min_spacing=settings.get(Key.SITES_MIN_SPACING_SECONDS),
        max_per_hour=settings.get(Key.SITES_MAX_PER_HOUR),
        site_spacing=site_spacings(settings),
    )


def site_budget(site: str, feeds: Sequence[Feed], settings: Settings) -> SiteBudget:
    """The request budget `feeds` (all on `site`) share, from the spacing and hourly cap settings."""
    spacing = site_spacings(settings).get(site, settings.get(Key.SITES_MIN_SPACING_SECONDS))
    return SiteBudget(
        site,
        len(feeds),
        sum(refresh_cost(f.kind) for f in feeds),
        spacing,
        settings.get(Key.SITES_MAX_PER_HOUR),
    )


def budget_notes(feeds: Sequence[Feed], settings: Settings, *, site: str | None = None) -> list[str]:
    """For each cookie site among `feeds` (or just `site`): how often its feeds can really refresh, and a
    warning when their intervals ask for more."""
    notes = []
    default = timedelta(minutes=settings.get(Key.REFRESH_INTERVAL_MINUTES))
    by_site: dict[str, list[Feed]] = {}
    for feed in feeds:
        feed_site = site_of(feed)
        if feed_site and feed.enabled and site in (None, feed_site):
            by_site.setdefault(feed_site, []).append(feed)
    for name, members in sorted(by_site.items()):
        budget = site_budget(name, members, settings)
        notes.append(budget.describe())
        shortest = min(
            timedelta(seconds=f.update_interval) if f.update_interval else default for f in members
        )
        warning = budget.warning(shortest)
        if warning:
            notes.append("warning: " + warning)
    return notes


def _active(newest: datetime | None, now: datetime) -> bool:
    return newest is not None and now - newest <= ACTIVE_FOR


def all_sources() -> tuple[Source, ...]:
    return _SOURCES


def get_source(source_id: str) -> Source:
    try:
        return _BY_ID[source_id]
    except KeyError:
        raise SourceError(
            f"no source called {source_id!r}",
            hint=_("known sources: {names}").format(names=", ".join(sorted(_BY_ID))),
        ) from None


def match_url(url: str) -> tuple[Source, dict[str, str]] | None:
    """The source (and its params) for a pasted URL: a site page, an RSSHub path on any host, exec:COMMAND."""
    for source in _SOURCES:
        params = source.match(url)
        if params is not None:
            return source, params
    return None


def source_feed_url(source: Source, params: Mapping[str, str]) -> str:
    """The canonical URL stored on the feed row."""
    return source.feed_url(params)


def source_title(source: Source, params: Mapping[str, str]) -> str:
    """A display title until the first fetch brings the real one."""
    return source.title(params)


def source_of(feed: Feed) -> tuple[Source, dict[str, str]]:
    """The source and params of a stored source feed (params from the row, else re-read from its URL)."""
    source = get_source(feed.kind)
    params = {str(k): str(v) for k, v in (feed.params or {}).items() if v is not None}
    if not params:
        params = source.match(feed.url) or {}
    return source, params


def site_of(feed: Feed) -> str | None:
    """The cookie site a feed's fetches go to (for per-site scheduling), None for ordinary feeds."""
    source = _BY_ID.get(feed.kind)
    return source.site if source is not None else None


def _known_title(source: Source, params: Mapping[str, str], feed: Feed) -> str | None:
    """The feed's real title, if a fetch already brought one (a placeholder from `source_title` is not)."""
    try:
        placeholder = source.title(params)
    except SourceError:
        placeholder = ""
    return feed.title if feed.title and feed.title != placeholder else None


def _no_cookie_jar() -> http.cookiejar.CookieJar:
    # Cookies come only from the vault, per request; nothing a response sets is kept or replayed.
    return http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


def build_source_client(settings: Settings) -> httpx.AsyncClient:
    proxy = settings.get(Key.FETCH_PROXY) or None
    timeout = httpx.Timeout(settings.get(Key.FETCH_TIMEOUT), connect=settings.get(Key.FETCH_CONNECT_TIMEOUT))
    return httpx.AsyncClient(
        timeout=timeout,
        proxy=proxy,
        follow_redirects=True,
        max_redirects=5,
        cookies=_no_cookie_jar(),
        headers={"User-Agent": settings.get(Key.FETCH_USER_AGENT) or USER_AGENT},
    )


class SourceFeedFetcher:
    """The callable behind `make_source_fetcher`; holds the per-site gates so they outlive single refreshes."""

    def __init__(
        self,
        settings: Settings,
        *,
        vault: Any = None,
        site_states: SiteStateStore | Callable[[], SiteStateStore],
        data_dir: Path | None = None,
        solve_challenge: ChallengeSolver | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings = settings
        self.vault = vault
        self.data_dir = data_dir
        self.solve_challenge = solve_challenge
        self.client = client
        self._site_states = site_states
        self._gates: GateRegistry | None = None
        self._newest: dict[int, datetime | None] = {}  # feed id -> its newest item's date, per fetch
        self._feeds_cache: dict[str, tuple[datetime, list[Feed]]] = {}

    @property
    def gates(self) -> GateRegistry:
        """Built on first use, so a store factory is called on the thread that runs the fetches."""
        if self._gates is None:
            states = self._site_states
            if not hasattr(states, "get_site_state"):
                states = states()  # type: ignore[operator]
            self._gates = site_gates(self.settings, states)  # type: ignore[arg-type]
        return self._gates

    async def __call__(self, feed: Feed) -> ParsedFeed:
        source, params = source_of(feed)
        gate = self.gates.gate(source.site) if source.site else None
        if gate is not None:
            gate.check(feed.url)  # cooling down: no cookie lookup, no request
        cookies = None
        if source.site and self.vault is not None:
            cookies = await asyncio.to_thread(self.vault.get, source.site)
        ctx = SourceContext(
            client=self.client,  # type: ignore[arg-type]  # set below when not shared
            settings=self.settings,
            cookies=cookies,
            gate=gate,
            solve_challenge=self.solve_challenge,
            save_cookies=self._saver(source.site, cookies) if source.site else None,
            data_dir=self.data_dir,
            extra={"known_title": _known_title(source, params, feed), "feed_id": feed.id},
        )
        if self.client is not None:
            return bounded_feed(await source.fetch(params, ctx))
        async with build_source_client(self.settings) as client:
            ctx.client = client
            return bounded_feed(await source.fetch(params, ctx))

    def interval_for(self, feed: Feed, wanted: timedelta, parsed: ParsedFeed | None = None) -> timedelta:
        """The interval to schedule a source feed at: the user's, stretched to fit its site's budget.

        Whether a feed is active comes from the newest item each fetch brought (remembered for the
        fetcher's lifetime); a feed not seen yet counts as active, so nothing is slowed by guesswork.
        """
        source = _BY_ID.get(feed.kind)
        if source is None or not source.site:
            return wanted
        now = datetime.now(UTC)
        if parsed is not None:
            dates = [i.published or i.updated for i in parsed.items if i.published or i.updated]
            self._newest[feed.id] = max(dates) if dates else None
        feeds = self._site_feeds(source.site, now)
        budget = site_budget(source.site, feeds, self.settings)
        dormant_ids = {f.id for f in feeds if f.id in self._newest and not _active(self._newest[f.id], now)}
        active_wanted, dormant_wanted = fair_intervals(
            wanted, active=len(feeds) - len(dormant_ids), dormant=len(dormant_ids), budget=budget
        )
        return dormant_wanted if feed.id in dormant_ids else active_wanted

    def _site_feeds(self, site: str, now: datetime) -> list[Feed]:
        cached = self._feeds_cache.get(site)
        if cached is not None and now - cached[0] < FEEDS_CACHE_FOR:
            return cached[1]
        listed = getattr(self.gates.states, "list_feeds", None)  # the store, once a factory has made it
        feeds = [f for f in listed(enabled_only=True) if site_of(f) == site] if listed else []
        self._feeds_cache[site] = (now, feeds)
        return feeds

    def _saver(self, site: str, cookies: Any) -> Callable[[dict[str, str]], Awaitable[None]] | None:
        vault = self.vault
        if vault is None or not hasattr(vault, "merge"):
            return None
        agent = getattr(cookies, "user_agent", None)

        async def save(updated: dict[str, str]) -> None:
            await asyncio.to_thread(vault.merge, site, updated, agent)

        return save


def bounded_feed(parsed: ParsedFeed) -> ParsedFeed:
    """A source's articles held to the bound a feed's get (app.feeds.normalize.MAX_HTML): a longer body is cut
    at a tag boundary, sanitised again (closing what the cut left open) and ends with the same note."""
    items = tuple(
        dataclasses.replace(
            item, content_html=_bounded(item.content_html), summary_html=_bounded(item.summary_html)
        )
        if len(item.content_html) > MAX_HTML or len(item.summary_html) > MAX_HTML
        else item
        for item in parsed.items
    )
    cut = sum(a is not b for a, b in zip(items, parsed.items, strict=True))
    if not cut:
        return parsed
    log.info("%s: %d article(s) cut to %d characters", parsed.title, cut, MAX_HTML)
    return dataclasses.replace(parsed, items=items)


def _bounded(html: str) -> str:
    return html if len(html) <= MAX_HTML else bounded_html(html, sanitize_html)


def make_source_fetcher(
    settings: Settings,
    *,
    vault: Any = None,
    site_states: SiteStateStore | Callable[[], SiteStateStore],
    data_dir: Path | None = None,
    solve_challenge: ChallengeSolver | None = None,
    client: httpx.AsyncClient | None = None,
) -> SourceFetcher:
    """`fetch_source(feed) -> ParsedFeed` for feeds whose kind is a source id.

    `vault` is a CookieVault (`get(site)`, and `merge(site, cookies, ua)` to keep a solved challenge's
    cookie); `site_states` is the store (or a factory for one) holding the per-site cooldowns, used on
    the thread that awaits the fetcher; `solve_challenge` comes from the UI (a webview), None headless.
    """
    return SourceFeedFetcher(
        settings,
        vault=vault,
        site_states=site_states,
        data_dir=data_dir,
        solve_challenge=solve_challenge,
        client=client,
    )
