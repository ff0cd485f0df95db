"""The refresher: fetch many feeds at once (one request per host at a time, spaced), parse them in a
process pool, and commit each feed's result the moment it is ready.

    with Refresher(store, settings, fetch_source=..., cookie_header_for=vault.cookie_header_for) as r:
        report = r.refresh(all=True, progress=on_progress, cancel=stop_event)

`store` is only used on the calling thread (to pick feeds and apply retention); writes go through
a writer thread with its own connection. Progress callbacks run on the thread that runs the loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from app.config import Key, Settings
from app.errors import BlockedError, HearthError, SourceError, StorageError
from app.fetching.cookies import CookieMemo
from app.fetching.feed_fetch import (
    FeedFetch,
    error_fetch,
    fetch_feed,
    interval_of,
    parse_failed,
)
from app.fetching.full_text import FullTextQueue
from app.fetching.http import CookieLookup
from app.fetching.options import FetchOptions, build_client
from app.fetching.parse_pool import ParserPool
from app.fetching.report import FeedOutcome, RefreshReport
from app.fetching.schedule import spread_next_fetch
from app.fetching.transport import PerHostTransport
from app.fetching.writer import StoreWriter
from app.i18n import _
from app.models import Feed, FeedKind, FetchOutcome, FetchState, ParsedFeed
from app.urls import host_of

if TYPE_CHECKING:
    from app.storage import Store

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int, Feed, FeedOutcome], None]
SourceFetcher = Callable[[Feed], Awaitable[ParsedFeed]]
_CANCEL_POLL = 0.05  # seconds between looks at the cancel event


class Refresher:
    def __init__(
        self,
        store: Store,
        settings: Settings | None = None,
        *,
        options: FetchOptions | None = None,
        fetch_source: SourceFetcher | None = None,
        cookie_header_for: CookieLookup | None = None,
        retention_days: int | None = None,
    ) -> None:
        if options is None:
            options = FetchOptions.from_settings(settings) if settings is not None else FetchOptions()
        if retention_days is None and settings is not None:
            retention_days = settings.get(Key.RETENTION_DAYS)
        self.store = store
        self.options = options
        self.fetch_source = fetch_source
        self.cookie_header_for = cookie_header_for
        self.retention_days = retention_days
        self._parser = ParserPool(options.workers(), options.parse_start_method, max_items=options.max_items)

    # lifecycle ----------------------------------------------------------------------------
    def close(self) -> None:
        self._parser.close()

    def __enter__(self) -> Refresher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # which feeds --------------------------------------------------------------------------
    def select_feeds(self, *, all: bool = False, feed_ids: Iterable[int] | None = None) -> list[Feed]:
        """Named feeds (even disabled ones: the user asked), else all enabled, else the due ones.
        An unknown id raises NotFoundError before anything is fetched."""
        if feed_ids is not None:
            return [self.store.get_feed(int(i)) for i in dict.fromkeys(feed_ids)]
        if all:
            return self.store.list_feeds(enabled_only=True)
        return self.store.due_feeds(datetime.now(UTC))

    # running ------------------------------------------------------------------------------
    def refresh(
        self,
        *,
        all: bool = False,
        feed_ids: Iterable[int] | None = None,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> RefreshReport:
        """Refresh on this thread (with its own event loop); see `refresh_feeds` for the details."""
        feeds = self.select_feeds(all=all, feed_ids=feed_ids)
        report = asyncio.run(self.refresh_feeds(feeds, progress=progress, cancel=cancel))
        self.apply_retention(report)
        return report

    def apply_retention(self, report: RefreshReport) -> None:
        if self.retention_days is None or report.cancelled or not report.outcomes:
            return
        try:
            report.retention_deleted = self.store.apply_retention(default_days=self.retention_days)
        except StorageError as exc:
            log.warning("retention after the refresh failed: %s", exc.user_message())

    async def refresh_feeds(
        self,
        feeds: Sequence[Feed],
        *,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> RefreshReport:
        """Fetch, parse and commit `feeds`. Feeds are grouped by host; each host gets one request at
        a time, `options.concurrency` hosts are fetched at once. Cancelling stops new fetches at once;
        what was already fetched is still stored and reported."""
        started = time.perf_counter()
        report = RefreshReport(total=len(feeds))
        if not feeds:
            return report
        run = _Run(self, report, progress, cancel)
        try:
            await run.go(feeds)
        finally:
            report.elapsed = time.perf_counter() - started
        return report


class _Run:
    """The state of one refresh: shared client, slots, the writer and the report."""

    def __init__(
        self,
        refresher: Refresher,
        report: RefreshReport,
        progress: ProgressCallback | None,
        cancel: threading.Event | None,
    ) -> None:
        self.refresher = refresher
        self.options = refresher.options
        self.report = report
        self.progress = progress
        self.cancel = cancel or threading.Event()
        self.cookies = CookieMemo(refresher.cookie_header_for) if refresher.cookie_header_for else None
        self.slots = asyncio.Semaphore(self.options.concurrency)
        # fetched-but-not-yet-stored bodies are bounded, so a slow disk slows the fetching, not RAM
        self.backlog = asyncio.Semaphore(2 * self.options.concurrency + 8)
        self.finishing: set[asyncio.Task[None]] = set()
        self.full_text = FullTextQueue(self.options, self.cookies)

    async def go(self, feeds: Sequence[Feed]) -> None:
        writer = await asyncio.to_thread(StoreWriter, self.refresher.store.path)
        self.writer = writer
        try:
            self.transport = PerHostTransport(proxy=self.options.proxy)
            async with build_client(self.options, self.transport) as client:
                self.client = client
                groups: dict[str, list[Feed]] = defaultdict(list)
                for feed in feeds:
                    groups[_host_key(feed)].append(feed)
                hosts = [asyncio.create_task(self._run_host(key, group)) for key, group in groups.items()]
                watcher = asyncio.create_task(self._watch_cancel(hosts))
                try:
                    await asyncio.gather(*hosts, return_exceptions=True)
                    while self.finishing:
                        await asyncio.gather(*list(self.finishing), return_exceptions=True)
                    await self.full_text.run(client, writer, self.cancel)  # teaser feeds' pages, last
                finally:
                    watcher.cancel()
                    for task in hosts:
                        task.cancel()
        finally:
            await asyncio.to_thread(writer.close)
        self.report.cancelled = self.cancel.is_set() and self.report.done < self.report.total

    async def _watch_cancel(self, hosts: list[asyncio.Task[None]]) -> None:
        while not self.cancel.is_set():
            await asyncio.sleep(_CANCEL_POLL)
        for task in hosts:
            task.cancel()

    async def _run_host(self, key: str, feeds: list[Feed]) -> None:
        try:
            await self._fetch_host(key, feeds)
        finally:
            if not key.startswith("source:"):
                await self.transport.release_host(key)

    async def _fetch_host(self, key: str, feeds: list[Feed]) -> None:
        spacing = 0.0 if key.startswith("source:") else self.options.host_spacing
        last_finished: float | None = None
        for feed in feeds:
            if self.cancel.is_set():
                return
            await self.backlog.acquire()
            try:
                if spacing and last_finished is not None:
                    await asyncio.sleep(max(0.0, last_finished + spacing - time.monotonic()))
                async with self.slots:
                    if self.cancel.is_set():
                        self.backlog.release()
                        return
                    fetched = await self._fetch(feed)
                last_finished = time.monotonic()
            except BaseException:
                self.backlog.release()
                raise
            task = asyncio.create_task(self._finish(fetched))
            self.finishing.add(task)
            task.add_done_callback(self.finishing.discard)

    async def _fetch(self, feed: Feed) -> FeedFetch | tuple[FeedFetch, ParsedFeed]:
        now = datetime.now(UTC)
        try:
            if feed.kind != FeedKind.FEED:
                return await self._fetch_source(feed, now)
            return await fetch_feed(self.client, feed, self.options, now, cookie_header_for=self.cookies)
        except Exception as exc:  # a bug must cost one feed, not the whole refresh
            log.exception("fetching feed %s (%s) failed unexpectedly", feed.id, feed.url)
            return error_fetch(
                feed,
                HearthError(f"unexpected error: {exc!r}", hint=_("please report this")),
                now,
                self.options,
            )

    async def _fetch_source(self, feed: Feed, now: datetime) -> FeedFetch | tuple[FeedFetch, ParsedFeed]:
        source = self.refresher.fetch_source
        if source is None:
            err = SourceError(
                f"no source adapter for {feed.kind}", hint=_("update Hearth, or remove this feed")
            )
            return error_fetch(feed, err, now, self.options)
        try:
            parsed = await source(feed)
        except BlockedError as exc:
            wait = (exc.until - now).total_seconds() if exc.until else None
            return error_fetch(feed, exc, now, self.options, status=exc.status, retry_after=wait)
        except HearthError as exc:
            return error_fetch(feed, exc, now, self.options)
        # A site's feeds keep their own phase of the interval, so they never come due as one burst.
        interval = timedelta(seconds=interval_of(feed, self.options))
        if hasattr(source, "interval_for"):  # a cookie site's budget stretches it (dormant feeds first)
            interval = source.interval_for(feed, interval, parsed)
        state = FetchState(now, spread_next_fetch(feed.id, now, interval), 200)
        return FeedFetch(feed, state, FetchOutcome.UPDATED), parsed

    async def _finish(self, fetched: FeedFetch | tuple[FeedFetch, ParsedFeed]) -> None:
        try:
            fetch, parsed = fetched if isinstance(fetched, tuple) else (fetched, None)
            if fetch.body is not None:
                try:
                    parsed = await self.refresher._parser.parse(
                        fetch.body, fetch.url or fetch.feed.url, fetch.content_type
                    )
                except HearthError as exc:
                    fetch = parse_failed(fetch, exc, datetime.now(UTC), self.options)
                except Exception as exc:
                    log.exception("parsing feed %s (%s) failed unexpectedly", fetch.feed.id, fetch.feed.url)
                    err = HearthError(
                        f"unexpected error while parsing: {exc!r}", hint=_("please report this")
                    )
                    fetch = parse_failed(fetch, err, datetime.now(UTC), self.options)
            outcome = await self._store(fetch, parsed)
        finally:
            self.backlog.release()
        self.report.outcomes.append(outcome)
        if self.progress is not None:
            try:
                self.progress(self.report.done, self.report.total, fetch.feed, outcome)
            except Exception:
                log.exception("the refresh progress callback failed")

    async def _store(self, fetch: FeedFetch, parsed: ParsedFeed | None) -> FeedOutcome:
        feed, state = fetch.feed, fetch.state
        title = feed.title or (parsed.title if parsed else "") or feed.url
        try:
            result = await self.writer.record(feed.id, state, parsed)
            await self.full_text.plan(self.writer, feed, parsed, ok=state.error is None)
        except HearthError as exc:
            log.warning("could not store feed %s: %s", feed.id, exc.user_message())
            return FeedOutcome(
                feed.id,
                title,
                feed.url,
                FetchOutcome.ERROR,
                status=state.status,
                error=f"could not be stored: {exc.user_message()}",
                error_type=type(exc),
            )
        return FeedOutcome(
            feed.id,
            title,
            state.new_url or feed.url,
            fetch.outcome,
            new_articles=len(result.new_ids),
            updated_articles=result.updated,
            status=state.status,
            error=state.error,
            new_url=state.new_url,
            disabled=state.disable,
            error_type=type(fetch.error) if fetch.error is not None else None,
        )


def _host_key(feed: Feed) -> str:
    if feed.kind != FeedKind.FEED:
        return f"source:{feed.kind}"
    return host_of(feed.url) or feed.url
