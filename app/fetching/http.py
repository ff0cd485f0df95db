"""One GET with our rules: redirects by hand, cookies only from the vault and only for their host,
a cap on the body, a deadline on the whole exchange, and errors turned into `FetchError`s.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from app.errors import BodyTooLargeError, FetchError, FetchTimeoutError, NetworkError
from app.fetching.decoding import BodyOverCap, BoundedBody, UnreadableEncoding
from app.fetching.options import FetchOptions
from app.i18n import _
from app.urls import host_of

log = logging.getLogger(__name__)

CookieLookup = Callable[[str], str | None]
REDIRECTS = {301, 302, 303, 307, 308}
PERMANENT = {301, 308}


@dataclass(frozen=True, slots=True)
class HTTPResult:
    url: str  # where the body came from, after redirects
    status: int
    headers: httpx.Headers
    body: bytes  # decoded (gzip, deflate, brotli, zstd undone, at most the cap); empty for 304
    permanent_url: str | None = None  # set when every redirect from the start was permanent (301/308)

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


async def get(
    client: httpx.AsyncClient,
    url: str,
    options: FetchOptions,
    *,
    headers: Mapping[str, str] | None = None,
    cookie_header_for: CookieLookup | None = None,
) -> HTTPResult:
    """GET `url`; raises NetworkError, FetchTimeoutError, BodyTooLargeError or FetchError."""
    try:
        async with asyncio.timeout(options.timeout):
            return await _get(client, url, options, dict(headers or {}), cookie_header_for)
    except TimeoutError:
        raise FetchTimeoutError(
            f"{host_of(url) or url} did not answer within {options.timeout:g} s",
            url=url,
            hint=_("the server is slow or down; Hearth will try again later"),
        ) from None


async def _get(
    client: httpx.AsyncClient,
    url: str,
    options: FetchOptions,
    headers: dict[str, str],
    cookie_header_for: CookieLookup | None,
) -> HTTPResult:
    permanent: str | None = None
    still_permanent = True
    current = url
    for _hop in range(options.max_redirects + 1):
        request_headers = dict(headers)
        # never a Cookie the caller typed for another host: only the vault's, for this hop's host
        request_headers.pop("Cookie", None)
        request_headers.pop("cookie", None)
        cookie = cookie_header_for(current) if cookie_header_for else None
        if cookie:
            request_headers["Cookie"] = cookie
        response = await _send(client, current, request_headers, options)
        try:
            location = response.headers.get("location")
            if response.status_code in REDIRECTS and location:
                target = urljoin(current, location.strip())
                if urlsplit(target).scheme not in ("http", "https"):
                    raise FetchError(f"{current} redirects to {target}, which is not a web address", url=url)
                if still_permanent and response.status_code in PERMANENT:
                    permanent = target
                else:
                    still_permanent = False
                await _read_body(response, current, options)  # read to the end: the connection is reused
                current = target
                continue
            body = await _read_body(response, current, options)
            return HTTPResult(current, response.status_code, response.headers, body, permanent)
        finally:
            await response.aclose()
    raise FetchError(
        f"{url} redirects more than {options.max_redirects} times",
        url=url,
        hint=_("the server is misconfigured or loops; try the site's address in a browser"),
    )


async def _send(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], options: FetchOptions
) -> httpx.Response:
    host = host_of(url) or url
    try:
        request = client.build_request("GET", url, headers=headers)
        return await client.send(request, stream=True)
    except httpx.ConnectTimeout:
        raise FetchTimeoutError(
            f"could not connect to {host} within {options.connect_timeout:g} s",
            url=url,
            hint=_("the server is down or unreachable; Hearth will try again later"),
        ) from None
    except httpx.TimeoutException:
        raise FetchTimeoutError(
            f"{host} did not answer within {options.timeout:g} s",
            url=url,
            hint=_("Hearth will try again later"),
        ) from None
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise FetchError(
            f"{url!r} is not a web address Hearth can fetch ({exc})",
            url=url,
            hint=_("use an http:// or https:// address"),
        ) from None
    except httpx.ProxyError as exc:
        raise NetworkError(
            f"the proxy refused the request for {host}: {exc}",
            url=url,
            hint=_("check the fetch.proxy setting"),
        ) from None
    except httpx.ConnectError as exc:
        raise NetworkError(
            f"could not connect to {host}: {_reason(exc)}",
            url=url,
            hint=_("check the address and your connection"),
        ) from None
    except httpx.TransportError as exc:
        raise NetworkError(
            f"the connection to {host} failed: {_reason(exc)}", url=url, hint=_("Hearth will try again later")
        ) from None


async def _read_body(response: httpx.Response, url: str, options: FetchOptions) -> bytes:
    """The body, decoded by `BoundedBody` from the raw stream: the cap counts decoded bytes as each
    bounded step produces them, so a decompression bomb stops at the cap, not after expanding."""
    cap = options.max_body_bytes
    declared = response.headers.get("content-length")
    if declared and declared.isascii() and declared.isdigit() and int(declared) > cap:
        raise _too_large(url, cap)  # compressed bytes over the cap mean decoded bytes over it too
    try:
        body = BoundedBody(response.headers.get("content-encoding"), cap)
        async for chunk in response.aiter_raw():
            body.feed(chunk)
        return body.finish()
    except BodyOverCap:
        raise _too_large(url, cap) from None
    except UnreadableEncoding as exc:
        raise NetworkError(
            f"{host_of(url)} sent a body that could not be decompressed ({exc})",
            url=url,
            hint=_("the server is misconfigured; Hearth will try again later"),
        ) from None
    except httpx.TimeoutException:
        raise FetchTimeoutError(
            f"{host_of(url)} stopped sending within {options.timeout:g} s",
            url=url,
            hint=_("Hearth will try again later"),
        ) from None
    except httpx.TransportError as exc:
        raise NetworkError(
            f"the connection to {host_of(url)} broke: {_reason(exc)}",
            url=url,
            hint=_("Hearth will try again later"),
        ) from None


def _too_large(url: str, cap: int) -> BodyTooLargeError:
    return BodyTooLargeError(
        f"the feed at {url} is larger than {cap / (1024 * 1024):g} MB",
        url=url,
        hint=_("raise fetch.max_body_mb if it is really that big"),
    )


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__
