"""One feed's conditional GET: send back its ETag and Last-Modified, read the answer, and say what
to store (a `FetchState`) and whether there is a body left to parse.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime

import httpx

from app.errors import FeedGoneError, HearthError
from app.fetching import http
from app.fetching.options import FetchOptions
from app.fetching.schedule import (
    max_age_seconds,
    next_after_error,
    next_after_success,
    retry_after_seconds,
    status_error,
)
from app.models import Feed, FetchOutcome, FetchState


@dataclass(frozen=True, slots=True)
class FeedFetch:
    """The network half of a refresh: `body` is set when it still has to be parsed."""

    feed: Feed
    state: FetchState
    outcome: FetchOutcome
    body: bytes | None = None
    content_type: str | None = None
    url: str | None = None  # the address the body came from (the base for relative links)
    error: HearthError | None = None


def body_hash(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def interval_of(feed: Feed, options: FetchOptions) -> float:
    return float(feed.update_interval) if feed.update_interval else options.default_interval


def request_headers(feed: Feed, options: FetchOptions) -> dict[str, str]:
    """Validators sent back verbatim, the feed's own User-Agent and extra headers last (they win)."""
    headers: dict[str, str] = {"User-Agent": feed.user_agent or options.user_agent}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    headers.update(feed.extra_headers or {})
    return headers


def error_fetch(
    feed: Feed,
    error: HearthError,
    now: datetime,
    options: FetchOptions,
    *,
    status: int | None = None,
    retry_after: float | None = None,
) -> FeedFetch:
    """An error keeps the validators and the hash we had, so the next try is still conditional."""
    errors = feed.consecutive_errors + 1
    state = FetchState(
        fetched_at=now,
        next_fetch=next_after_error(now, interval_of(feed, options), errors, retry_after),
        status=status,
        etag=feed.etag,
        last_modified=feed.last_modified,
        body_hash=feed.body_hash,
        error=error.user_message(),
        disable=isinstance(error, FeedGoneError),
    )
    return FeedFetch(feed, state, FetchOutcome.ERROR, error=error)


def parse_failed(fetch: FeedFetch, error: HearthError, now: datetime, options: FetchOptions) -> FeedFetch:
    """The body arrived but is not a feed: forget its validators so a fixed feed is fetched in full."""
    failed = error_fetch(fetch.feed, error, now, options, status=fetch.state.status)
    state = replace(failed.state, new_url=fetch.state.new_url)
    return replace(failed, state=state)


async def fetch_feed(
    client: httpx.AsyncClient,
    feed: Feed,
    options: FetchOptions,
    now: datetime,
    *,
    cookie_header_for: http.CookieLookup | None = None,
) -> FeedFetch:
    try:
        result = await http.get(
            client,
            feed.url,
            options,
            headers=request_headers(feed, options),
            cookie_header_for=cookie_header_for,
        )
    except HearthError as exc:
        return error_fetch(feed, exc, now, options)
    headers = result.headers
    new_url = result.permanent_url if result.permanent_url and result.permanent_url != feed.url else None
    if result.status not in (200, 203, 304):
        retry = retry_after_seconds(headers.get("retry-after"), now) if result.status in (429, 503) else None
        fetch = error_fetch(
            feed,
            status_error(result.status, result.url, headers, now),
            now,
            options,
            status=result.status,
            retry_after=retry,
        )
        return replace(fetch, state=replace(fetch.state, new_url=new_url))
    next_fetch = next_after_success(
        now, interval_of(feed, options), max_age_seconds(headers.get("cache-control"))
    )
    etag = headers.get("etag") or (feed.etag if result.status == 304 else None)
    last_modified = headers.get("last-modified") or (feed.last_modified if result.status == 304 else None)
    if result.status == 304:
        state = FetchState(now, next_fetch, 304, etag, last_modified, feed.body_hash, new_url=new_url)
        return FeedFetch(feed, state, FetchOutcome.NOT_MODIFIED, url=result.url)
    digest = body_hash(result.body)
    state = FetchState(now, next_fetch, result.status, etag, last_modified, digest, new_url=new_url)
    if digest == feed.body_hash:
        return FeedFetch(feed, state, FetchOutcome.NOT_MODIFIED, url=result.url)
    return FeedFetch(
        feed, state, FetchOutcome.UPDATED, body=result.body, content_type=result.content_type, url=result.url
    )
