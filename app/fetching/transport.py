"""A transport with one connection pool per host, each capped at ONE connection.

The shared client routes every request through this; a dict lookup finds the host's pool, so the
cost of a request does not grow with the number of hosts kept alive (httpcore scans its whole pool
on every request), and the one-connection-per-host rule holds even across redirects.
"""

from __future__ import annotations

import ssl

import httpx

from app.errors import ConfigError
from app.i18n import _

_ONE = httpx.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=30.0)
OriginKey = tuple[bytes, bytes, int | None]


class PerHostTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, proxy: str | None = None, ssl_context: ssl.SSLContext | None = None) -> None:
        self._proxy = proxy
        self._ssl = ssl_context or httpx.create_ssl_context()
        self._pools: dict[OriginKey, httpx.AsyncHTTPTransport] = {}
        if proxy:
            self._new_pool()  # fail now, with a clear message, if the proxy URL is unusable

    def _new_pool(self) -> httpx.AsyncHTTPTransport:
        try:
            return httpx.AsyncHTTPTransport(verify=self._ssl, limits=_ONE, proxy=self._proxy, trust_env=False)
        except ImportError as exc:  # socks5:// needs the optional socksio package
            raise ConfigError(
                f"the proxy {self._proxy} needs a package that is not installed ({exc.name})",
                hint=_("pip install 'httpx[socks]', or use an http:// proxy"),
            ) from None
        except ValueError as exc:
            raise ConfigError(
                f"fetch.proxy is not a usable proxy URL: {exc}", hint=_("e.g. http://127.0.0.1:8080")
            ) from None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        key = (url.raw_scheme, url.raw_host.lower(), url.port)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = self._new_pool()
        return await pool.handle_async_request(request)

    async def release_host(self, host: str) -> None:
        """Close the idle connections to `host` (its feeds are done), so sockets do not pile up."""
        raw = host.lower().encode("idna") if host else b""
        for key in [k for k in self._pools if k[1] == raw]:
            await self._pools.pop(key).aclose()

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()
