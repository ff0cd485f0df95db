"""Shutdown stops the producers first, delivers what they already queued for the GUI thread, and only then
closes the stores: the controller object outlives shutdown (tests, a second window), and a `feed_done` still
in the event queue used to reach the AI panel's auto-summary after its store was closed ("Cannot operate on
a closed database", seen in a full run)."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt

from app.storage import open_store
from tests.support.http import LocalServer, Reply
from tests.ui.conftest import make_controller, wait_loaded

RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Quick</title>'
    + "".join(f"<item><title>Q{i}</title><guid>q{i}</guid></item>" for i in range(5))
    + "</channel></rss>"
)


def test_a_feed_done_queued_before_shutdown_is_delivered_while_the_store_is_open(
    qtbot, sample_dir, server: LocalServer
) -> None:
    server.route("/quick.xml", Reply(200, RSS, {"Content-Type": "application/rss+xml"}))
    with open_store(sample_dir / "hearth.sqlite3") as store:
        feed = store.add_feed(server.url("/quick.xml")).id
    ctl = make_controller(sample_dir)
    qtbot.addWidget(ctl.window)
    ctl.start(show=True, schedule=False)
    wait_loaded(qtbot, ctl)
    assert ctl.ai_panel is not None  # its auto-summary slot reads the store on every feed_done
    emitted = threading.Event()
    # runs on the refresh thread at emission time: the GUI's own queued slots for it are still waiting
    ctl.refresher.feed_done.connect(lambda _outcome: emitted.set(), Qt.ConnectionType.DirectConnection)
    delivered: list[int] = []
    ctl.refresher.feed_done.connect(lambda outcome: delivered.append(outcome.feed_id))
    ctl.refresh([feed])
    assert emitted.wait(30)  # no Qt events processed since: the queued feed_done is pending
    ctl.shutdown()
    assert delivered == [feed]  # delivered during shutdown, before the store closed
    assert not ctl.refresher.is_running()
    qtbot.wait(20)  # nothing left to reach a closed store (pytest-qt fails the test on any exception here)
