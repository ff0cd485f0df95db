"""A fast asyncio HTTP/1.1 server for the refresh benchmark: many feeds on many loopback addresses.

Every request waits `latency` seconds (a stand-in for a real network round trip), then answers
200 with the feed, or 304 when the client sends back the ETag or Last-Modified it was given.
It counts requests and the most requests one host ever had in flight at once.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

LAST_MODIFIED = format_datetime(datetime(2024, 5, 1, 12, 0, tzinfo=UTC), usegmt=True)


def make_feed(n: int, items: int = 50) -> bytes:
    """An RSS 2.0 feed with `items` items of realistic size (~0.8 KB of HTML each)."""
    base = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
        f"<title>Bench feed {n}</title><link>http://example.org/{n}/</link>",
        f"<description>Feed number {n} of the refresh benchmark</description>",
    ]
    for i in range(items):
        when = format_datetime(base - timedelta(hours=i * 7 + n % 13), usegmt=True)
        para = (
            f"Paragraph about item {i} of feed {n}, with <b>bold</b> words and a <a href='/x/{i}'>link</a>. "
        )
        body = "<p>" + para * 5 + "</p><ul><li>one</li><li>two</li></ul>"
        parts.append(
            f"<item><title>Item {i} of feed {n}: something happened</title>"
            f"<link>http://example.org/{n}/posts/{i}</link><guid>urn:bench:{n}:{i}</guid>"
            f"<pubDate>{when}</pubDate><author>writer{i % 5}@example.org (Writer {i % 5})</author>"
            f"<description><![CDATA[{body}]]></description></item>"
        )
    parts.append("</channel></rss>\n")
    return "".join(parts).encode()


@dataclass
class BenchServer:
    """Serves `/feed/<n>.xml` for n in range(feeds) on every address in `hosts`, all on one port."""

    hosts: list[str]
    feeds: int
    items: int = 50
    latency: float = 0.03
    port: int = 0
    requests: int = 0
    not_modified: int = 0
    max_in_flight_per_host: int = 0
    max_in_flight: int = 0
    _bodies: dict[str, bytes] = field(default_factory=dict)
    _in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _total_in_flight: int = 0

    def url(self, n: int) -> str:
        return f"http://{self.hosts[n % len(self.hosts)]}:{self.port}/feed/{n}.xml"

    def urls(self) -> list[str]:
        return [self.url(n) for n in range(self.feeds)]

    def etag(self, n: int) -> str:
        return f'"bench-{n}-v1"'

    # lifecycle --------------------------------------------------------------
    def start(self) -> BenchServer:
        for n in range(self.feeds):
            self._bodies[f"/feed/{n}.xml"] = make_feed(n, self.items)
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    _error: BaseException | None = None

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._servers = self._loop.run_until_complete(self._bind())
        except OSError as exc:
            self._error = exc
            ready.set()
            return
        ready.set()
        self._loop.run_forever()

    async def _bind(self) -> list[asyncio.Server]:
        first = await asyncio.start_server(self._serve, self.hosts[0], self.port, backlog=512)
        self.port = first.sockets[0].getsockname()[1]
        servers = [first]
        for host in self.hosts[1:]:
            servers.append(await asyncio.start_server(self._serve, host, self.port, backlog=512))
        return servers

    def stop(self) -> None:
        async def close() -> None:
            for srv in self._servers:
                srv.close()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> BenchServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # HTTP -------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = writer.get_extra_info("sockname")[0]
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path, version = [*lines[0].split(" "), "", "", ""][:3]
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
                self.requests += 1
                self._in_flight[host] += 1
                self._total_in_flight += 1
                self.max_in_flight_per_host = max(self.max_in_flight_per_host, self._in_flight[host])
                self.max_in_flight = max(self.max_in_flight, self._total_in_flight)
                try:
                    await asyncio.sleep(self.latency)
                    writer.write(self._respond(method, path, headers, keep_alive))
                    await writer.drain()
                finally:
                    self._in_flight[host] -= 1
                    self._total_in_flight -= 1
                if not keep_alive:
                    return
        except ConnectionError:
            return
        finally:
            writer.close()

    def _respond(self, method: str, path: str, headers: dict[str, str], keep_alive: bool) -> bytes:
        body = self._bodies.get(path.split("?", 1)[0])
        conn = "keep-alive" if keep_alive else "close"
        if body is None:
            return f"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: {conn}\r\n\r\n".encode()
        n = int(path.rsplit("/", 1)[1].split(".")[0])
        etag = self.etag(n)
        common = f"ETag: {etag}\r\nLast-Modified: {LAST_MODIFIED}\r\nConnection: {conn}\r\n"
        if headers.get("if-none-match") == etag or (
            "if-none-match" not in headers and headers.get("if-modified-since") == LAST_MODIFIED
        ):
            self.not_modified += 1
            return f"HTTP/1.1 304 Not Modified\r\n{common}\r\n".encode()
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n{common}\r\n"
        ).encode()
        return head if method == "HEAD" else head + body
