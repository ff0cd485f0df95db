"""The GUI thread is never blocked by a refresh of slow feeds, and the reader loads images only via Hearth."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QTimer, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from app.models import ParsedItem
from app.storage import open_store
from tests.support.http import LocalServer, Reply
from tests.ui.conftest import make_controller, select_node, wait_loaded


def slow_rss(n: int) -> str:
    items = "".join(
        f"<item><title>Slow {n}.{i}</title><guid>s{n}-{i}</guid><description>{'text ' * 200}</description></item>"
        for i in range(150)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Slow {n}</title>{items}</channel></rss>'


def test_a_refresh_of_slow_feeds_runs_off_the_gui_thread_while_its_events_keep_flowing(
    qtbot, sample_dir, server: LocalServer, monkeypatch
) -> None:
    """Behaviour, not milliseconds (the lateness figures are in tests/bench/bench_gui_latency.py):
    every feed's write happens on another thread, and the GUI keeps handling its timers and the
    refresh's own signals while the refresh is still running."""
    from app.fetching.writer import StoreWriter

    for n in range(6):
        server.route(
            f"/slow{n}.xml",
            Reply(200, slow_rss(n), {"Content-Type": "application/rss+xml"}, delay=0.3, chunk_delay=0.05),
        )
    with open_store(sample_dir / "hearth.sqlite3") as store:
        ids = [store.add_feed(server.url(f"/slow{n}.xml")).id for n in range(6)]
    writer_threads: list[int] = []
    record = StoreWriter._record

    def spy(self, feed_id, state, parsed):  # type: ignore[no-untyped-def]
        writer_threads.append(threading.get_ident())
        return record(self, feed_id, state, parsed)

    monkeypatch.setattr(StoreWriter, "_record", spy)
    ctl = make_controller(sample_dir)
    qtbot.addWidget(ctl.window)
    ctl.start(show=True, schedule=False)
    wait_loaded(qtbot, ctl)
    ticks_while_running: list[bool] = []
    timer = QTimer(interval=10)
    timer.timeout.connect(lambda: ticks_while_running.append(ctl.refresher.is_running()))
    try:
        ctl.refresh(ids)
        timer.start()
        # the last server reply cannot have been sent before the GUI has run this timer at least once
        # unless the GUI thread was blocked by the refresh: each reply waits 0.3 s and streams slowly
        qtbot.waitUntil(lambda: not ctl.refresher.is_running(), timeout=60000)
        # counts are coalesced live updates: each feed's row may catch up a moment after the refresh
        qtbot.waitUntil(lambda: all(ctl.window.tree_model._feeds[i].count == 150 for i in ids), timeout=30000)
        timer.stop()
        assert len(writer_threads) == 6 and threading.get_ident() not in writer_threads
        assert True in ticks_while_running, "the GUI thread ran no timer while the refresh was running"
        assert all(ctl.window.tree_model._feeds[i].count == 150 for i in ids)
    finally:
        timer.stop()
        ctl.refresher.cancel()
        ctl.refresher.wait(10)
        ctl.shutdown()


def test_quit_cancels_a_refresh_and_keeps_what_was_committed(qtbot, sample_dir, server: LocalServer) -> None:
    server.route("/fast.xml", Reply(200, slow_rss(1), {"Content-Type": "application/rss+xml"}))
    slow_host = LocalServer(host="127.0.0.2").start()  # another host: fetched alongside, not after
    slow_host.route("/stuck.xml", Reply(200, slow_rss(2), {"Content-Type": "application/rss+xml"}, delay=20))
    with open_store(sample_dir / "hearth.sqlite3") as store:
        fast = store.add_feed(server.url("/fast.xml")).id
        stuck = store.add_feed(slow_host.url("/stuck.xml")).id
    ctl = make_controller(sample_dir)
    qtbot.addWidget(ctl.window)
    ctl.start(show=True, schedule=False)
    wait_loaded(qtbot, ctl)
    ctl.refresh([fast, stuck])
    qtbot.waitUntil(lambda: ctl.window.tree_model._feeds[fast].count == 150, timeout=15000)
    ctl.quit()
    assert not ctl.refresher.is_running()
    with open_store(sample_dir / "hearth.sqlite3") as store:
        assert store.unread_counts().get(fast) == 150
        assert not store.unread_counts().get(stuck)
    stuck_requests = slow_host.requests_to("/stuck.xml")
    assert stuck_requests  # it was in flight when Quit cancelled it
    # ordering, not a stopwatch: Quit returned while the server was still holding its 20 s reply
    assert stuck_requests[0].finished == 0.0
    slow_host.stop()


def test_reader_images_come_through_hearths_fetcher_and_links_open_outside(qtbot, controller, server) -> None:
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cf"
        "c0f01f0005000201a5b3c8a80000000049454e44ae426082"
    )
    server.route("/pic.png", Reply(200, png, {"Content-Type": "image/png"}))
    ctl, w = controller, controller.window
    with open_store(ctl.paths.db_path) as store:
        feed = store.list_feeds()[0]
        store.upsert_articles(
            feed.id,
            [
                ParsedItem(
                    guid="img",
                    url="https://example.org/img",
                    title="Zzz with a picture",
                    content_html=f'<p>look <img src="{server.url("/pic.png")}"> and <a href="https://example.org/x">a link</a></p>',
                )
            ],
        )
    select_node(qtbot, ctl, "feed", feed.id)
    row = next(r for r in range(w.list_model.rowCount()) if w.list_model.row_data(r).title.startswith("Zzz"))
    w.select_row(row)
    qtbot.waitUntil(lambda: ctl.resources.cached(server.url("/pic.png")) is not None, timeout=5000)
    request = server.requests_to("/pic.png")[0]
    assert request.headers["user-agent"].startswith("Hearth/")
    assert len(server.requests_to("/pic.png")) == 1
    opened: list[QUrl] = []

    class Catcher(QObject):
        @Slot(QUrl)
        def open(self, url: QUrl) -> None:
            opened.append(url)

    catcher = Catcher()
    QDesktopServices.setUrlHandler("https", catcher, "open")
    try:
        w.reader.anchorClicked.emit(QUrl("https://example.org/x"))
        w.reader.anchorClicked.emit(QUrl("file:///etc/passwd"))
    finally:
        QDesktopServices.unsetUrlHandler("https")
    assert [u.toString() for u in opened] == ["https://example.org/x"]
