"""The reader's resource fetcher closes cleanly: downloads asked for just before close, and ones in flight,
are cancelled and awaited, so no coroutine is left never awaited and no task is destroyed while pending."""

from __future__ import annotations

import gc
import logging
import warnings
from pathlib import Path

from app.config import Settings
from app.ui.resource_fetcher import ResourceFetcher
from tests.support.http import LocalServer, Reply


def test_close_with_downloads_queued_and_in_flight_leaves_nothing_pending(
    qtbot, tmp_path: Path, caplog
) -> None:
    with LocalServer() as server:
        server.route(
            "/slow.png", Reply(200, b"\x89PNG" + b"0" * 100, {"Content-Type": "image/png"}, delay=2.0)
        )
        fetcher = ResourceFetcher(tmp_path / "cache", Settings())
        done: list[Path | None] = []
        with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.ERROR, logger="asyncio"):
            warnings.simplefilter("always")
            fetcher.fetch(server.url("/slow.png"), done.append)  # in flight by the time close() runs
            qtbot.waitUntil(lambda: len(server.requests) == 1, timeout=10000)
            for i in range(30):  # queued a moment before close: their tasks may not exist yet
                fetcher.fetch(server.url(f"/slow.png?n={i}"), done.append)
            fetcher.close()
            gc.collect()
            qtbot.waitUntil(lambda: len(done) == 31, timeout=10000)  # every caller hears back, with None
        never_awaited = [w for w in caught if "never awaited" in str(w.message)]
        assert never_awaited == []
        assert not [r for r in caplog.records if "destroyed but it is pending" in r.getMessage()]
        assert done == [None] * 31


def test_after_close_nothing_downloads(qtbot, tmp_path: Path) -> None:
    """A late request (the window's favicons, released after a quick shutdown) gets None at once and
    starts no new download thread."""
    import threading

    with LocalServer() as server:
        server.route("/icon.png", Reply(200, b"\x89PNG" + b"0" * 10, {"Content-Type": "image/png"}))
        fetcher = ResourceFetcher(tmp_path / "cache", Settings())
        fetcher.close()

        def loops() -> int:
            return sum(t.name == "hearth-resources" for t in threading.enumerate())

        before = loops()  # other tests' fetchers may still be ending
        done: list[Path | None] = []
        fetcher.fetch(server.url("/icon.png"), done.append)
        assert done == [None] and server.requests == []
        assert loops() <= before
