"""The local feed server runs while the app runs when `server.enabled` is on, and stops when turned off."""

from __future__ import annotations

import socket

import feedparser
import httpx

from tests.ui.conftest import make_controller, wait_loaded


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_feed_server_follows_the_setting(qtbot, sample_dir) -> None:
    port = _free_port()
    ctl = make_controller(sample_dir, server__enabled=True, server__port=port)
    qtbot.addWidget(ctl.window)
    ctl.start(show=True, schedule=False)
    wait_loaded(qtbot, ctl)
    try:
        assert ctl.feed_server is not None and ctl.feed_server.port == port
        feed = ctl.store.list_feeds()[0]
        # The sample feed was never fetched, so the server tries its (unreachable) site once and then
        # serves what the database holds.
        body = httpx.get(f"http://127.0.0.1:{port}/feeds/{feed.id}", timeout=10).content
        parsed = feedparser.parse(body)
        assert parsed.entries, body[:200]
        ctl.settings.set("server.enabled", False)
        ctl.apply_settings()
        assert ctl.feed_server is None
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
            raise AssertionError("the server still answers after it was switched off")
        except httpx.ConnectError:
            pass
    finally:
        ctl.shutdown()
