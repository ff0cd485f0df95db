"""Full text for teaser feeds: after a refresh has stored its feeds, fetch the pages of the new articles
of feeds whose full-text option is on (or "auto" and detected as teasers), extract each article and
store it as the article's content, the feed's teaser kept as its summary.

Pages go through the same client and rules as feeds (`app.fetching.http`: one connection per host,
the host spacing, cookies only from the vault and only for their host, redirects checked, the body
capped). At most `per_feed` pages per feed per refresh; a failed page is recorded on its article and
never fails the feed. A page is fetched again when its feed item changes upstream (an edited teaser).
A page that answers 429/503 is retried: within the refresh when its Retry-After is short (at most
`retries` times, waiting at most `wait_cap` seconds), else at a later refresh no sooner than the server
asked and with a growing backoff, `MAX_BUSY_ATTEMPTS` times in all; the rest of that host waits too.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING

import httpx

from app.errors import BlockedError, BodyTooLargeError, HearthError, HTTPStatusError
from app.feeds.extract import extract_article, is_html, is_teaser_feed
from app.fetching import http
from app.fetching.options import FetchOptions
from app.fetching.schedule import MAX_RETRY_AFTER, retry_after_seconds
from app.i18n import _
from app.models import Feed, FeedKind, ParsedFeed
from app.urls import host_of

if TYPE_CHECKING:
    from app.fetching.writer import StoreWriter
    from app.storage import Store
    from app.storage.full_text import FullTextCandidate

log = logging.getLogger(__name__)

PER_FEED = 20  # pages fetched for one feed in one refresh
PAGE_CAP_BYTES = 5 * 1024 * 1024  # an article page larger than this (decoded) is not read
ACCEPT_HTML = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
BUSY_STATUSES = (429, 503)  # "slow down" / "unavailable": worth asking again later
RETRIES = 2  # busy replies retried within one refresh, when the server's Retry-After is short
WAIT_CAP = 10.0  # the longest Retry-After waited for inside a refresh (seconds)
MAX_BUSY_ATTEMPTS = 5  # busy replies for one version of an item before its page is given up
BUSY_BACKOFF = 15 * 60.0  # the wait before the next refresh's try, doubling per busy reply


@dataclass(frozen=True, slots=True)
class PageJob:
    feed: Feed
    candidate: FullTextCandidate


@dataclass(slots=True)
class FullTextTally:
    fetched: int = 0
    failed: int = 0
    deferred: int = 0  # left for a later refresh: their host answered busy


class PageOutcome(Enum):
    FETCHED = "fetched"
    FAILED = "failed"  # recorded on the article; tried again only when its item changes
    BUSY = "busy"  # 429/503 and no short wait: recorded for a later refresh, the host's rest waits too
    CANCELLED = "cancelled"


def busy_retry_at(attempts: int, retry_after: float | None, now: float) -> float | None:
    """When a page that answered busy `attempts` times (this one included) is tried again: after the
    backoff, and no sooner than the server asked; None once MAX_BUSY_ATTEMPTS is reached."""
    if attempts >= MAX_BUSY_ATTEMPTS:
        return None
    backoff = BUSY_BACKOFF * 2 ** (attempts - 1)
    return now + min(max(backoff, retry_after or 0.0), MAX_RETRY_AFTER)


async def pause(seconds: float, cancel: threading.Event) -> bool:
    """Sleep up to `seconds`, waking early when `cancel` is set; False if it was."""
    deadline = time.monotonic() + seconds
    while not cancel.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return True
        await asyncio.sleep(min(left, 0.2))
    return False


def _plan(store: Store, feed_id: int, teaser: bool | None, limit: int) -> list[FullTextCandidate]:
    """On the writer thread: note what detection saw (when it changed), and pick the pages to fetch
    if the option is on (none on a host that answered busy and asked for more time than it had)."""
    setting = store.full_text_setting(feed_id)
    if teaser is not None and setting.teaser != teaser:
        setting = store.note_teaser_feed(feed_id, teaser)
    if not setting.enabled:
        return []
    waiting = {host_of(url) for url in store.busy_full_text_urls(feed_id)}  # asked for time: not yet
    return [c for c in store.full_text_candidates(feed_id, limit) if host_of(c.url) not in waiting]


class FullTextQueue:
    """`await queue.plan(writer, feed, parsed)` after each feed is stored; `await queue.run(...)` once
    the feeds are done fetches the planned pages, one host at a time per host."""

    def __init__(
        self,
        options: FetchOptions,
        cookies: http.CookieLookup | None,
        *,
        per_feed: int = PER_FEED,
        retries: int = RETRIES,
        wait_cap: float = WAIT_CAP,
    ) -> None:
        self.options = replace(options, max_body_bytes=min(options.max_body_bytes, PAGE_CAP_BYTES))
        self.cookies = cookies
        self.per_feed = per_feed
        self.retries = retries
        self.wait_cap = wait_cap
        self.jobs: list[PageJob] = []

    async def plan(self, writer: StoreWriter, feed: Feed, parsed: ParsedFeed | None, *, ok: bool) -> None:
        """After a feed's fetch is stored: detection runs on the items it parsed (if any), and a feed
        with the option on gets pages queued (new articles, and those a previous cap left over)."""
        if feed.kind != FeedKind.FEED or not ok:
            return
        teaser = is_teaser_feed(parsed.items) if parsed is not None and parsed.items else None
        try:
            found = await writer.run(lambda store: _plan(store, feed.id, teaser, self.per_feed))
        except HearthError as exc:
            log.warning("full text for feed %s not planned: %s", feed.id, exc.user_message())
            return
        self.jobs.extend(PageJob(feed, candidate) for candidate in found)

    async def run(
        self, client: httpx.AsyncClient, writer: StoreWriter, cancel: threading.Event
    ) -> FullTextTally:
        tally = FullTextTally()
        jobs, self.jobs = self.jobs, []
        if not jobs:
            return tally
        by_host: dict[str, list[PageJob]] = defaultdict(list)
        for job in jobs:
            by_host[host_of(job.candidate.url)].append(job)
        slots = asyncio.Semaphore(self.options.concurrency)

        async def one_host(host_jobs: list[PageJob]) -> None:
            async with slots:
                last: float | None = None
                for index, job in enumerate(host_jobs):
                    if cancel.is_set():
                        return
                    if self.options.host_spacing and last is not None:
                        await asyncio.sleep(max(0.0, last + self.options.host_spacing - time.monotonic()))
                    outcome = await self._one(client, writer, job, cancel)
                    last = time.monotonic()
                    if outcome is PageOutcome.FETCHED:
                        tally.fetched += 1
                    elif outcome is PageOutcome.FAILED:
                        tally.failed += 1
                    elif outcome is PageOutcome.BUSY:  # the host asked for time: its other pages wait
                        tally.deferred += len(host_jobs) - index
                        return
                    else:
                        return

        await asyncio.gather(*(one_host(group) for group in by_host.values()))
        log.info(
            "full text: %d articles fetched, %d failed, %d left for later (busy servers)",
            tally.fetched,
            tally.failed,
            tally.deferred,
        )
        return tally

    async def _one(
        self, client: httpx.AsyncClient, writer: StoreWriter, job: PageJob, cancel: threading.Event
    ) -> PageOutcome:
        candidate = job.candidate
        article_id = candidate.article_id
        for attempt in range(self.retries + 1):
            try:
                html, status = await fetch_article(
                    client, candidate.url, job.feed, self.options, self.cookies
                )
            except BlockedError as exc:
                if exc.status not in BUSY_STATUSES:
                    return await self._failed(writer, candidate, exc)
                wait = _seconds_until(exc.until)
                if wait is not None and wait <= self.wait_cap and attempt < self.retries:
                    log.info("article page %s is busy (%s): again in %.1f s", candidate.url, exc.status, wait)
                    if not await pause(wait, cancel):
                        return PageOutcome.CANCELLED
                    continue
                return await self._busy(writer, candidate, exc, wait)
            except HearthError as exc:
                return await self._failed(writer, candidate, exc)
            except Exception:  # a bug costs one article, never the refresh
                log.exception("full text of article %s failed unexpectedly", article_id)
                return PageOutcome.FAILED
            try:
                await writer.run(
                    lambda s, html=html, status=status: s.store_full_text(
                        article_id, html, status=status, item_hash=candidate.item_hash
                    )
                )
            except HearthError as exc:
                log.warning("could not store the full text of article %s: %s", article_id, exc.user_message())
                return PageOutcome.FAILED
            return PageOutcome.FETCHED
        raise AssertionError("unreachable: the last attempt returns")  # pragma: no cover

    async def _failed(
        self, writer: StoreWriter, candidate: FullTextCandidate, exc: HearthError
    ) -> PageOutcome:
        await self._record(writer, candidate, exc, attempts=0, retry_at=None)
        return PageOutcome.FAILED

    async def _busy(
        self, writer: StoreWriter, candidate: FullTextCandidate, exc: BlockedError, wait: float | None
    ) -> PageOutcome:
        attempts = candidate.busy_attempts + 1
        retry_at = busy_retry_at(attempts, wait, time.time())
        await self._record(writer, candidate, exc, attempts=attempts, retry_at=retry_at)
        return PageOutcome.BUSY

    async def _record(
        self,
        writer: StoreWriter,
        candidate: FullTextCandidate,
        exc: HearthError,
        *,
        attempts: int,
        retry_at: float | None,
    ) -> None:
        status, message = getattr(exc, "status", None), exc.user_message()
        log.info("full text of article %s failed: %s", candidate.article_id, message)
        try:
            await writer.run(
                lambda s: s.record_full_text_error(
                    candidate.article_id,
                    message,
                    status=status,
                    item_hash=candidate.item_hash,
                    attempts=attempts,
                    retry_at=retry_at,
                )
            )
        except HearthError as store_exc:
            log.warning("could not record a full-text failure: %s", store_exc.user_message())


def _seconds_until(until: datetime | None) -> float | None:
    return None if until is None else max(0.0, (until - datetime.now(UTC)).total_seconds())


async def fetch_article(
    client: httpx.AsyncClient,
    url: str,
    feed: Feed,
    options: FetchOptions,
    cookie_header_for: http.CookieLookup | None = None,
) -> tuple[str, int]:
    """GET an article's page and extract it: (sanitised, bounded HTML, status). Raises a HearthError
    (FetchError for the network or an HTTP error, FeedParseError for a page without an article; a
    BlockedError whose `until` is the server's Retry-After, if it gave one, for 429 and 503)."""
    headers = {"User-Agent": feed.user_agent or options.user_agent, "Accept": ACCEPT_HTML}
    try:
        result = await http.get(client, url, options, headers=headers, cookie_header_for=cookie_header_for)
    except BodyTooLargeError:
        mb = options.max_body_bytes / (1024 * 1024)
        raise BodyTooLargeError(
            f"the article page {url} is larger than {mb:g} MB", url=url, hint=_("the feed's own text is kept")
        ) from None
    if result.status in BUSY_STATUSES:
        wait = retry_after_seconds(result.headers.get("retry-after"), datetime.now(UTC))
        what = "asks Hearth to slow down" if result.status == 429 else "is unavailable"
        raise BlockedError(
            f"the article page {result.url} {what} (HTTP {result.status})",
            url=result.url,
            status=result.status,
            until=None if wait is None else datetime.fromtimestamp(time.time() + wait, UTC),
            hint=_("the feed's own text is kept; Hearth asks again later"),
        )
    if result.status not in (200, 203):
        raise HTTPStatusError(
            f"the article page {result.url} answered HTTP {result.status}",
            url=result.url,
            status=result.status,
            hint=_("the feed's own text is kept"),
        )
    if not is_html(result.content_type):
        raise HearthError(
            f"{result.url} is not a web page ({result.content_type})", hint=_("the feed's own text is kept")
        )
    html = await asyncio.to_thread(extract_article, result.body, result.url)
    return html, result.status
