"""`hearth refresh` when every feed failed: the last line says what happened, grouped by the errors' kinds
(blocked by the site, not a feed, not found, the connection ...), and the connection hint only when it was the
connection. Real 127.0.0.1 servers answering 403 / 412 / garbage / 404, and a port nothing listens on."""

from __future__ import annotations

import socket
from pathlib import Path

from app.cli import run
from app.commands.fetch import all_failed_line, failure_kind
from app.errors import (
    BlockedError,
    ChallengeError,
    CookieExpiredError,
    CookieMissingError,
    FeedGoneError,
    FeedParseError,
    FetchTimeoutError,
    HearthError,
    HTTPStatusError,
    NetworkError,
    ScriptError,
)
from app.fetching.report import FeedOutcome
from app.models import FetchOutcome
from app.storage import open_store
from tests.fetching.fixtures import rss
from tests.support.http import LocalServer, Reply

RSS = {"Content-Type": "application/rss+xml"}
HTML = {"Content-Type": "text/html"}
CONNECTION_HINT = "check your connection"


def hearth(data_dir: Path, *argv: str) -> int:
    return run(["--data-dir", str(data_dir), *argv])


def subscribe(data_dir: Path, *urls: str) -> None:
    with open_store(data_dir / "hearth.sqlite3") as store:
        for url in urls:
            store.add_feed(url)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed: connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def last_line(err: str) -> str:
    return err.strip().splitlines()[-1]


def test_blocked_and_not_a_feed_say_so_without_the_connection_hint(data_dir, server: LocalServer, capsys):
    server.route("/403.xml", Reply(403, "Forbidden", HTML))
    server.route("/412.xml", Reply(412, "风控", HTML))
    server.route("/garbage.xml", Reply(200, "<html><body>this is a web page, not a feed</body></html>", HTML))
    subscribe(data_dir, *(server.url(p) for p in ("/403.xml", "/412.xml", "/garbage.xml")))
    assert hearth(data_dir, "refresh", "--all") == 1
    captured = capsys.readouterr()
    line = last_line(captured.err)
    assert line == (
        "hearth: all 3 feeds failed: 2 blocked by the site (sign in again or wait), "
        "1 not a feed (the address answers with something else)"
    )
    assert CONNECTION_HINT not in captured.err
    assert "3 errors" in captured.out  # each feed's own error is still listed
    assert len(server.requests_to("/403.xml")) == 1 and len(server.requests_to("/412.xml")) == 1


def test_every_feed_offline_keeps_the_connection_hint(data_dir, capsys):
    port = closed_port()
    subscribe(data_dir, f"http://127.0.0.1:{port}/a.xml", f"http://127.0.0.1:{port}/b.xml")
    assert hearth(data_dir, "refresh", "--all") == 1
    line = last_line(capsys.readouterr().err)
    assert line == "hearth: all 2 feeds failed — check your connection (and fetch.proxy)"


def test_a_mix_names_each_kind_and_the_connection_only_for_its_feeds(data_dir, server: LocalServer, capsys):
    server.route("/missing.xml", Reply(404, "no", HTML))
    server.route("/gone.xml", Reply(410))
    port = closed_port()
    subscribe(data_dir, server.url("/missing.xml"), server.url("/gone.xml"), f"http://127.0.0.1:{port}/c.xml")
    assert hearth(data_dir, "refresh", "--all") == 1
    line = last_line(capsys.readouterr().err)
    assert line == (
        "hearth: all 3 feeds failed: 2 not found (check the address), "
        "1 could not connect (check your connection and fetch.proxy)"
    )


def test_one_feed_blocked_says_what_to_do(data_dir, server: LocalServer, capsys):
    server.route("/f.xml", Reply(403, "Forbidden", HTML))
    subscribe(data_dir, server.url("/f.xml"))
    assert hearth(data_dir, "refresh", "--all") == 1
    line = last_line(capsys.readouterr().err)
    assert line == "hearth: the feed failed: blocked by the site (sign in again or wait)"


def test_not_every_feed_failed_means_no_failure_line(data_dir, server: LocalServer, capsys):
    server.route("/ok.xml", Reply(200, rss("OK"), RSS))
    server.route("/bad.xml", Reply(403))
    subscribe(data_dir, server.url("/ok.xml"), server.url("/bad.xml"))
    assert hearth(data_dir, "refresh", "--all") == 0
    captured = capsys.readouterr()
    assert "failed" not in captured.err and "1 error" in captured.out


def _failed(error_type: type[Exception] | None, status: int | None = None) -> FeedOutcome:
    return FeedOutcome(
        1, "F", "http://x/", FetchOutcome.ERROR, status=status, error="e", error_type=error_type
    )


def test_failure_kinds_follow_the_error_classes() -> None:
    cases = [
        (NetworkError, None, "connection"),
        (FetchTimeoutError, None, "connection"),
        (BlockedError, 403, "blocked"),
        (BlockedError, 429, "blocked"),
        (ChallengeError, None, "blocked"),
        (HTTPStatusError, 412, "blocked"),
        (CookieMissingError, None, "login"),
        (CookieExpiredError, None, "login"),
        (HTTPStatusError, 401, "login"),
        (HTTPStatusError, 404, "not_found"),
        (FeedGoneError, 410, "not_found"),
        (FeedParseError, 200, "not_feed"),
        (HTTPStatusError, 502, "server"),
        (ScriptError, None, "other"),
        (HearthError, None, "other"),
        (None, None, "other"),
    ]
    assert [failure_kind(_failed(kind, status)) for kind, status, _want in cases] == [c[2] for c in cases]
    line = all_failed_line([_failed(CookieExpiredError), _failed(ScriptError)])
    assert line.startswith("hearth: all 2 feeds failed: 1 login needed") and "1 other error" in line
