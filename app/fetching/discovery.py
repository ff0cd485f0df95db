"""Finding the feed behind an address: the address itself, the feeds a page links to
(`<link rel="alternate">`), or the usual feed paths on its host.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

import httpx

from app.errors import DiscoveryError, FetchError, HearthError
from app.fetching import http
from app.fetching.options import FetchOptions, build_client
from app.fetching.schedule import status_error
from app.i18n import _
from app.models import FeedLink

log = logging.getLogger(__name__)


def normalize_url(url: str) -> str:
    """Add https:// to a bare host ("example.org/blog"); refuse what is not a web address."""
    url = url.strip()
    if not url:
        raise DiscoveryError("no address given", hint=_("e.g. hearth add https://example.org/"))
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise DiscoveryError(f"{url!r} is not a web address", hint=_("use an http:// or https:// address"))
    return url


def discover(
    url: str, *, options: FetchOptions | None = None, cookie_header_for: http.CookieLookup | None = None
) -> list[FeedLink]:
    """The feeds offered at `url` (blocking; runs its own event loop). Raises DiscoveryError when none."""
    return asyncio.run(discover_async(url, options=options, cookie_header_for=cookie_header_for))


async def discover_async(
    url: str,
    *,
    options: FetchOptions | None = None,
    client: httpx.AsyncClient | None = None,
    cookie_header_for: http.CookieLookup | None = None,
) -> list[FeedLink]:
    options = options or FetchOptions()
    url = normalize_url(url)
    if client is None:
        async with build_client(options) as own:
            return await _discover(own, url, options, cookie_header_for)
    return await _discover(client, url, options, cookie_header_for)


async def _discover(
    client: httpx.AsyncClient, url: str, options: FetchOptions, cookies: http.CookieLookup | None
) -> list[FeedLink]:
    from app.feeds.feed_links import find_feed_links, looks_like_feed

    result = await http.get(client, url, options, cookie_header_for=cookies)
    if result.status != 200:
        from datetime import UTC, datetime

        raise status_error(result.status, result.url, result.headers, datetime.now(UTC))
    if looks_like_feed(result.body, result.content_type):
        return [await _feed_link(result)]
    if _is_html(result):
        links = find_feed_links(result.body, result.url)
        if links:
            return links
    found = await _try_common_paths(client, result.url, options, cookies)
    if found:
        return [found]
    raise DiscoveryError(
        f"no feed found at {url}",
        hint=_(
            "the page links to no feed and none of the usual feed paths exist; "
            "look for an RSS or Atom link on the site and add that address"
        ),
    )


async def _feed_link(result: http.HTTPResult) -> FeedLink:
    """The address is a feed: name it by its title (which also proves that it parses)."""
    from app.feeds.parse import parse_feed

    parsed = await asyncio.to_thread(
        parse_feed, result.body, url=result.url, content_type=result.content_type
    )
    kind = (result.content_type or "").split(";")[0].strip()
    return FeedLink(url=result.url, title=parsed.title, type=kind)


async def _try_common_paths(
    client: httpx.AsyncClient, page_url: str, options: FetchOptions, cookies: http.CookieLookup | None
) -> FeedLink | None:
    """Try /feed, /rss.xml ... on the page's host, one request at a time; the first feed wins."""
    from app.feeds.feed_links import common_feed_urls, looks_like_feed

    for candidate in dict.fromkeys(common_feed_urls(page_url)):
        try:
            result = await http.get(client, candidate, options, cookie_header_for=cookies)
        except FetchError as exc:
            log.debug("no feed at %s: %s", candidate, exc)
            continue
        if result.status == 200 and looks_like_feed(result.body, result.content_type):
            try:
                return await _feed_link(result)
            except HearthError as exc:
                log.debug("%s looks like a feed but does not parse: %s", candidate, exc)
    return None


def _is_html(result: http.HTTPResult) -> bool:
    kind = (result.content_type or "").lower()
    if "html" in kind:
        return True
    head = result.body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))
