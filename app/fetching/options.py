"""What the fetch engine is allowed to do (timeouts, caps, concurrency, identity) and the shared client."""

from __future__ import annotations

import http.cookiejar
import os
import sys
from dataclasses import dataclass, replace
from typing import Any

import httpx

from app import USER_AGENT
from app.config import Key, Settings
from app.fetching.decoding import ACCEPT_ENCODING
from app.fetching.transport import PerHostTransport

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.7"
)
DAY = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """Fetch limits and identity; `from_settings` reads them from the `fetch.*` settings."""

    concurrency: int = 16  # requests in flight at once (never more than one per host)
    host_spacing: float = 0.0  # seconds between the end of one request to a host and the next
    user_agent: str = USER_AGENT
    proxy: str | None = None
    max_body_bytes: int = 20 * 1024 * 1024  # decoded bytes (app.fetching.decoding)
    max_items: int = 500  # items parsed from one feed per refresh, the newest
    connect_timeout: float = 10.0
    timeout: float = 60.0  # the whole request, redirects and body included
    default_interval: float = 3600.0  # seconds between fetches of a feed without its own interval
    max_redirects: int = 5
    parse_workers: int = 0  # processes parsing feeds; 0 = min(4, cores)
    # How parse workers start: None = fork on Linux (cheapest for the CLI). A GUI process passes
    # "forkserver": forking a process with Qt's threads and ~100 MB mapped stalls every thread in it.
    parse_start_method: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> FetchOptions:
        options = cls(
            concurrency=max(1, settings.get(Key.FETCH_CONCURRENCY)),
            host_spacing=max(0.0, settings.get(Key.FETCH_HOST_SPACING_SECONDS)),
            user_agent=settings.get(Key.FETCH_USER_AGENT).strip() or USER_AGENT,
            proxy=settings.get(Key.FETCH_PROXY).strip() or None,
            max_body_bytes=max(1, settings.get(Key.FETCH_MAX_BODY_MB)) * 1024 * 1024,
            max_items=max(1, settings.get(Key.FETCH_MAX_ITEMS_PER_FEED)),
            connect_timeout=max(0.01, settings.get(Key.FETCH_CONNECT_TIMEOUT)),
            timeout=max(0.01, settings.get(Key.FETCH_TIMEOUT)),
            default_interval=max(60.0, float(settings.get(Key.REFRESH_INTERVAL_MINUTES)) * 60.0),
        )
        return replace(options, **overrides) if overrides else options

    def workers(self) -> int:
        return self.parse_workers if self.parse_workers > 0 else max(1, min(4, os.cpu_count() or 1))


class _NoCookies(http.cookiejar.CookieJar):
    """A jar that never keeps anything: cookies only ever come from the vault, per request."""

    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        return None

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None


def build_client(options: FetchOptions, transport: PerHostTransport | None = None) -> httpx.AsyncClient:
    """The one client a refresh shares: a pool per host (one connection each), no cookie jar, no
    environment proxies (fetch.proxy is the only one), and redirects left to `app.fetching.http`."""
    timeout = httpx.Timeout(
        connect=options.connect_timeout, read=options.timeout, write=options.timeout, pool=options.timeout
    )
    return httpx.AsyncClient(
        transport=transport or PerHostTransport(proxy=options.proxy),
        timeout=timeout,
        cookies=_NoCookies(),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": options.user_agent, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
    )


def mp_start_method(wanted: str | None = None) -> str | None:
    """Parse workers fork on Linux (fast, nothing to re-import) unless told otherwise; elsewhere the
    platform default."""
    if wanted:
        return wanted
    return "fork" if sys.platform.startswith("linux") else None
