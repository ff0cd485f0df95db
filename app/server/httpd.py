"""`FeedServer`: the feed service on a loopback-only ThreadingHTTPServer, in a background thread.

server = FeedServer(library, port=1200).start()   # GUI: while the app is open (or a data folder's Paths)
...; server.stop()                                        # bounded, joins the thread
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from app.config import Key, Paths, Settings
from app.errors import ConfigError, HearthError
from app.library import KEYRING, Library, outcomes_by_feed
from app.library.wiring import ChallengeSolver
from app.server.service import FeedService, RefreshFunc, Reply, text_reply

if TYPE_CHECKING:
    from app.storage import Store
    from app.vault import CookieVault

log = logging.getLogger(__name__)

MAX_CONCURRENT = 16  # requests handled at once; more get a quick 503
STOP_TIMEOUT = 10.0


def check_loopback(host: str) -> str:
    """The address to bind, which must be a loopback one (127.x.y.z, ::1, localhost)."""
    name = host.strip() or "127.0.0.1"
    if name.lower() == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise ConfigError(
            f"the feed server only listens on this computer (127.0.0.1), not on {host!r}",
            hint="it serves your cookies' worth of content; use --host 127.0.0.1 (or another 127.x address)",
        )
    return str(address)


def refresh_through(library: Library) -> RefreshFunc:
    """Refresh feeds the way the app does (politeness gates, the vault's cookies), on the calling thread."""

    def refresh(store: Store, feed_ids: Sequence[int]) -> dict[int, str | None]:
        return dict(outcomes_by_feed(library.refresh(feed_ids, store=store)))

    return refresh


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], service: FeedService) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.service = service
        self.slots = threading.BoundedSemaphore(MAX_CONCURRENT)
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "Hearth"

    def log_message(self, format: str, *args: Any) -> None:
        # the path may carry ?key=: log the path only
        log.debug("feed server: %s %s", self.command, urlsplit(self.path).path)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, *, head: bool) -> None:
        if not self.server.slots.acquire(blocking=False):
            self._send(
                text_reply(
                    503,
                    "503 Service Unavailable: the feed server is busy; try again.",
                    **{"Retry-After": "5"},
                ),
                head,
            )
            return
        try:
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            try:
                reply = self.server.service.handle(unquote(parts.path) or "/", query)
            except HearthError as exc:  # storage could not open, etc.
                reply = text_reply(500, f"500 Internal Server Error: {exc.user_message()}")
            self._send(reply, head)
        finally:
            self.server.slots.release()

    def _send(self, reply: Reply, head: bool) -> None:
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("Cache-Control", "no-cache")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if not head:
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class FeedServer:
    """The local feed server; `port=0` picks a free port (see `.port` after `start()`)."""

    def __init__(
        self,
        library: Library | Paths,
        settings: Settings | None = None,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        vault: CookieVault | None = None,
        refresh: RefreshFunc | Literal["default"] | None = "default",
        solve_challenge: ChallengeSolver | None = None,
    ) -> None:
        if not isinstance(library, Library):  # a data folder: the server opens a library of its own
            chosen = KEYRING if vault is None else vault
            library = Library(library, settings, vault=chosen, solve_challenge=solve_challenge)
        settings = library.settings
        self.library = library
        self.host = check_loopback(host)
        self.requested_port = settings.get(Key.SERVER_PORT) if port is None else int(port)
        self.paths = library.paths
        if refresh == "default":
            refresh = refresh_through(library)
        self.service = FeedService(
            settings, library.open_store, refresh=refresh, base_url=lambda: self.base_url
        )
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._finished = threading.Event()  # set when the serving thread's loop has returned

    @property
    def port(self) -> int:
        return self._httpd.server_address[1] if self._httpd else self.requested_port

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def start(self) -> FeedServer:
        if self._httpd is not None:
            return self
        try:
            self._httpd = _HTTPServer((self.host, self.requested_port), self.service)
        except OSError as exc:
            raise ConfigError(
                f"the feed server could not listen on {self.host}:{self.requested_port} ({exc.strerror or exc})",
                hint="another program uses that port: pick another with --port or the server.port setting",
            ) from None
        self._finished.clear()
        self._thread = threading.Thread(
            target=self._serve, args=(self._httpd,), name="hearth-feed-server", daemon=True
        )
        self._thread.start()
        log.info("feed server listening on %s", self.base_url)
        return self

    def _serve(self, httpd: _HTTPServer) -> None:
        try:
            httpd.serve_forever(poll_interval=0.2)
        finally:
            self._finished.set()

    def serve_forever(self) -> None:
        """Run on this thread until interrupted (for `hearth serve`): a signal handler that raises
        (Python's SIGINT -> KeyboardInterrupt, or `hearth serve`'s SIGTERM) ends the wait, then the
        server stops. The wait is on an Event, not `Thread.join`: on Python 3.11 a KeyboardInterrupt
        inside join() marks the still-running thread as stopped (it releases that thread's lock)."""
        self.start()
        try:
            while not self._finished.wait(1.0):
                pass
        finally:
            self.stop()

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)
        log.info("feed server stopped")

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
