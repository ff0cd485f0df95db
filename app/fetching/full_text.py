"""Full text for teaser feeds: after a refresh has stored its feeds, fetch the pages of the new articles
of feeds whose full-text option is on (or "auto" and detected as teasers), extract each article and
store it as the article's content, the feed's teaser kept as its summary.

Pages go through the same client and rules as feeds (`app.fetching.http`: one connection per host,
the host spacing, cookies only from the vault and only for their host, redirects checked, the body
capped). At most `per_feed` pages per feed per refresh; a failed page is recorded on its article and
never fails the feed.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import httpx

from app.errors import BodyTooLargeError, HearthError, HTTPStatusError
from app.feeds.extract import extract_article, is_html, is_teaser_feed
from app.fetching import http
from app.fetching.options import FetchOptions
from app.models import FEED_KIND, Feed, ParsedFeed
from app.urls import host_of

if TYPE_CHECKING:
    from app.fetching.writer import StoreWriter
    from app.storage import Store
    from app.storage.full_text import FullTextCandidate

log = logging.getLogger(__name__)

PER_FEED = 20  # pages fetched for one feed in one refresh
PAGE_CAP_BYTES = 5 * 1024 * 1024  # an article page larger than this (decoded) is not read
ACCEPT_HTML = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


@dataclass(frozen=True, slots=True)
class PageJob:
    feed: Feed
    candidate: FullTextCandidate


@dataclass(slots=True)
class FullTextTally:
    fetched: int = 0
    failed: int = 0


def _plan(store: Store, feed_id: int, teaser: bool | None, limit: int) -> list[FullTextCandidate]:
    """On the writer thread: note what detection saw (when it changed), and pick the pages to fetch
    if the option is on."""
    setting = store.full_text_setting(feed_id)
    if teaser is not None and setting.teaser != teaser:
        setting = store.note_teaser_feed(feed_id, teaser)
    if not setting.enabled:
        return []
    return store.full_text_candidates(feed_id, limit)


class FullTextQueue:
    """`await queue.plan(writer, feed, parsed)` after each feed is stored; `await queue.run(...)` once
    the feeds are done fetches the planned pages, one host at a time per host."""

    def __init__(
        self, options: FetchOptions, cookies: http.CookieLookup | None, *, per_feed: int = PER_FEED
    ) -> None:
        self.options = replace(options, max_body_bytes=min(options.max_body_bytes, PAGE_CAP_BYTES))
        self.cookies = cookies
        self.per_feed = per_feed
        self.jobs: list[PageJob] = []

    async def plan(self, writer: StoreWriter, feed: Feed, parsed: ParsedFeed | None, *, ok: bool) -> None:
        """After a feed's fetch is stored: detection runs on the items it parsed (if any), and a feed
        with the option on gets pages queued (new articles, and those a previous cap left over)."""
        if feed.kind != FEED_KIND or not ok:
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
                for job in host_jobs:
                    if cancel.is_set():
                        return
                    if self.options.host_spacing and last is not None:
                        await asyncio.sleep(max(0.0, last + self.options.host_spacing - time.monotonic()))
                    ok = await self._one(client, writer, job)
                    last = time.monotonic()
                    if ok:
                        tally.fetched += 1
                    else:
                        tally.failed += 1

        await asyncio.gather(*(one_host(group) for group in by_host.values()))
        log.info("full text: %d articles fetched, %d failed", tally.fetched, tally.failed)
        return tally

    async def _one(self, client: httpx.AsyncClient, writer: StoreWriter, job: PageJob) -> bool:
        article_id = job.candidate.article_id
        try:
            html, status = await fetch_article(
                client, job.candidate.url, job.feed, self.options, self.cookies
            )
        except HearthError as exc:
            status = getattr(exc, "status", None)
            message = exc.user_message()
            log.info("full text of article %s failed: %s", article_id, message)
            try:
                await writer.run(lambda s: s.record_full_text_error(article_id, message, status=status))
            except HearthError as store_exc:
                log.warning("could not record a full-text failure: %s", store_exc.user_message())
            return False
        except Exception:  # a bug costs one article, never the refresh
            log.exception("full text of article %s failed unexpectedly", article_id)
            return False
        try:
            await writer.run(lambda s: s.store_full_text(article_id, html, status=status))
        except HearthError as exc:
            log.warning("could not store the full text of article %s: %s", article_id, exc.user_message())
            return False
        return True


async def fetch_article(
    client: httpx.AsyncClient,
    url: str,
    feed: Feed,
    options: FetchOptions,
    cookie_header_for: http.CookieLookup | None = None,
) -> tuple[str, int]:
    """GET an article's page and extract it: (sanitised, bounded HTML, status). Raises a HearthError
    (FetchError for the network or an HTTP error, FeedParseError for a page without an article)."""
    headers = {"User-Agent": feed.user_agent or options.user_agent, "Accept": ACCEPT_HTML}
    try:
        result = await http.get(client, url, options, headers=headers, cookie_header_for=cookie_header_for)
    except BodyTooLargeError:
        mb = options.max_body_bytes / (1024 * 1024)
        raise BodyTooLargeError(
            f"the article page {url} is larger than {mb:g} MB", url=url, hint="the feed's own text is kept"
        ) from None
    if result.status not in (200, 203):
        raise HTTPStatusError(
            f"the article page {result.url} answered HTTP {result.status}",
            url=result.url,
            status=result.status,
            hint="the feed's own text is kept",
        )
    if not is_html(result.content_type):
        raise HearthError(
            f"{result.url} is not a web page ({result.content_type})", hint="the feed's own text is kept"
        )
    html = await asyncio.to_thread(extract_article, result.body, result.url)
    return html, result.status
