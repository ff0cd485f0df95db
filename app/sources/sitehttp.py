"""One cookie site's HTTP for a fetch: the vault's cookie (only to that site's hosts), the browser's UA and
client hints, the site gate before every request, transport errors as typed `FetchError`s.

Bilibili and Weibo clients build on this; each maps its own site's answers (codes, bans) to errors.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import httpx

from app.config import Key
from app.errors import BlockedError, BodyTooLargeError, FetchTimeoutError, NetworkError
from app.fetching.decoding import BodyOverCap, BoundedBody, UnreadableEncoding
from app.i18n import _
from app.sources.base import SourceContext
from app.sources.hints import browser_headers

log = logging.getLogger(__name__)


class SiteHTTP:
    """Per-fetch: the working cookie dict (device cookies a fetch adds are saved back to the vault)."""

    def __init__(
        self,
        ctx: SourceContext,
        *,
        label: str,
        default_ua: str,
        cookie_hosts: Callable[[str], bool],  # url -> may the site's cookie go there
    ) -> None:
        self.ctx = ctx
        self.label = label  # "Bilibili", for messages
        self.cookies: dict[str, str] = dict(ctx.cookies.cookies) if ctx.cookies else {}
        self.user_agent = (ctx.cookies.user_agent if ctx.cookies else None) or default_ua
        self._cookie_hosts = cookie_hosts

    def headers_for(self, url: str, extra: Mapping[str, str]) -> dict[str, str]:
        """UA + hints + the site's extra headers, and the Cookie only when `url` is one of the site's hosts."""
        headers = browser_headers(self.user_agent)
        headers.update({"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
        headers.update(extra)
        if self.cookies and self._cookie_hosts(url):
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    async def get(self, url: str, *, headers: Mapping[str, str], params: Any = None) -> httpx.Response:
        """One GET through the site gate (which raises BlockedError during a cooldown, before any request)."""
        request = self.ctx.client.build_request(
            "GET", url, params=params, headers=self.headers_for(url, headers)
        )
        return await send_gated(self.ctx, request, label=self.label, url=url)

    def blocked(
        self, reason: str, *, url: str, status: int | None, at_least: timedelta, hint: str
    ) -> BlockedError:
        """Cool the site down (persisted, at least `at_least`) and return the error that says so and what to do."""
        gate = self.ctx.gate
        if gate is not None:
            error = gate.report_blocked(reason, url=url, status=status, at_least=at_least)
            error.hint = hint
            return error
        return BlockedError(f"{self.label} blocked us ({reason})", url=url, status=status, hint=hint)

    def succeeded(self) -> None:
        if self.ctx.gate is not None:
            self.ctx.gate.report_success()

    async def save_cookies(self) -> None:
        """Keep cookies this fetch added (device ids) in the vault, with the UA they go with."""
        if self.ctx.save_cookies is None:
            return
        result = self.ctx.save_cookies(dict(self.cookies))
        if inspect.isawaitable(result):
            await result


def site_hosts(site: str, *bases: str, domains: tuple[str, ...] = ()) -> Callable[[str], bool]:
    """A predicate: is `url` on the site's own domains (or exactly one of the configured bases' host:port)?"""
    own = (site, *domains)
    exact = {_netloc(b) for b in bases if b}

    def allowed(url: str) -> bool:
        parsed = httpx.URL(url)
        host = (parsed.host or "").lower().rstrip(".")
        if any(host == d or host.endswith("." + d) for d in own):
            return True
        return _netloc(url) in exact

    return allowed


def _netloc(url: str) -> str:
    parsed = httpx.URL(url)
    host = (parsed.host or "").lower()
    return f"{host}:{parsed.port}" if parsed.port else host


async def send_gated(
    ctx: SourceContext, request: httpx.Request, *, label: str, url: str, follow_redirects: bool = True
) -> httpx.Response:
    """Send `request` once the site gate allows it (the gate raises BlockedError during a cooldown), read the
    body (at most `fetch.max_body_mb`, as a feed's: a longer one is a BodyTooLargeError, never held whole), and
    turn timeouts and transport failures into Hearth's errors naming the site."""
    if ctx.gate is not None:
        await ctx.gate.acquire(url)
    cap = max(1, ctx.settings.get(Key.FETCH_MAX_BODY_MB)) * 1024 * 1024
    try:
        response = await ctx.client.send(request, follow_redirects=follow_redirects, stream=True)
        try:
            body = await _read_capped(response, cap, label=label, url=url)
        finally:
            await response.aclose()
    except httpx.TimeoutException as exc:
        raise FetchTimeoutError(
            f"{label} did not answer in time ({exc.__class__.__name__})", url=url
        ) from None
    except httpx.TransportError as exc:
        raise NetworkError(f"could not reach {label}: {exc}", url=url) from None
    log.debug("GET %s -> %s", request.url, response.status_code)
    headers = [  # the body is decoded already
        (k, v)
        for k, v in response.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=body,
        request=response.request,
        history=response.history,
        extensions=response.extensions,
    )


async def _read_capped(response: httpx.Response, cap: int, *, label: str, url: str) -> bytes:
    """The decoded body, undone in bounded steps as a feed's is (app.fetching.decoding): past `cap` decoded
    bytes the read stops with BodyTooLargeError, so a huge or compressed-bomb page is never held whole."""
    too_large = BodyTooLargeError(
        f"{label} sent more than {cap // (1024 * 1024)} MB for one page",
        url=url,
        hint=_("raise fetch.max_body_mb if it is really that big"),
    )
    declared = response.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > cap:
        raise too_large  # compressed bytes over the cap mean decoded bytes over it too
    try:
        body = BoundedBody(response.headers.get("content-encoding"), cap)
        async for raw in response.aiter_raw():
            body.feed(raw)
        return body.finish()
    except BodyOverCap:
        raise too_large from None
    except UnreadableEncoding as exc:
        raise NetworkError(f"{label} sent a body that could not be decompressed ({exc})", url=url) from None
