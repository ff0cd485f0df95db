"""A real HTTP server on 127.0.0.1 for tests: routes are plain functions, every request is recorded.

    with LocalServer() as srv:
        srv.route("/feed.xml", lambda req: Reply(200, body=xml, headers={"ETag": '"v1"'}))
        httpx.get(srv.url("/feed.xml"))
        assert srv.requests[0].headers["user-agent"].startswith("Hearth/")

A route may also be a `Reply` (served every time) or a list of `Reply` (served in turn, the last repeats).
Replies can be delayed (`delay=`) to test timeouts and per-host serialisation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Request:
    method: str
    path: str  # path with query, as sent
    headers: dict[str, str]  # lower-cased names
    body: bytes
    started: float  # when the handler began (after reading the request line and headers)
    finished: float = 0.0  # after the body was written (a busy GIL can make this late)
    host: str = ""
    replied: float = 0.0  # just before the status line went out: never later than the client's receipt


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunk_delay: float = 0.0  # sleep between 64 KiB chunks (slow bodies)


Route = Callable[[Request], Reply] | Reply | list[Reply]


class LocalServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._routes: dict[str, Route] = {}
        self._counters: dict[str, int] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    time.monotonic(),
                    host=self.headers.get("host", ""),
                )
                with server._lock:
                    server.requests.append(req)
                reply = server._reply_for(req)
                if reply.delay:
                    time.sleep(reply.delay)
                data = reply.body.encode() if isinstance(reply.body, str) else reply.body
                req.replied = time.monotonic()
                try:
                    self.send_response(reply.status)
                    headers = {k.lower(): v for k, v in reply.headers.items()}
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    if "content-length" not in headers:
                        self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        for i in range(0, len(data), 65536):
                            self.wfile.write(data[i : i + 65536])
                            if reply.chunk_delay:
                                self.wfile.flush()
                                time.sleep(reply.chunk_delay)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                req.finished = time.monotonic()

            do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _handle

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self.host, self.port = self._httpd.server_address[:2]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # routes -----------------------------------------------------------------
    def route(self, path: str, route: Route) -> None:
        """`path` matches the request path without its query; a full "path?query" match wins."""
        self._routes[path] = route
        self._counters[path] = 0

    def _reply_for(self, req: Request) -> Reply:
        key = req.path if req.path in self._routes else urlsplit(req.path).path
        route = self._routes.get(key)
        if route is None:
            return Reply(404, body=b"not found", headers={"Content-Type": "text/plain"})
        if isinstance(route, Reply):
            return route
        if isinstance(route, list):
            with self._lock:
                n = self._counters[key]
                self._counters[key] = n + 1
            return route[min(n, len(route) - 1)]
        return route(req)

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.requests if urlsplit(r.path).path == path or r.path == path]

    # lifecycle --------------------------------------------------------------
    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
