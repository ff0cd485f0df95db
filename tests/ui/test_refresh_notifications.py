"""Notifications after a refresh (issue 13): "N new articles in M feeds" through the tray after a refresh
the user started only when `ui.notify_manual_refresh` is on (default off); background refreshes notify as
before (`ui.notifications`). A real controller refreshing real feeds from a 127.0.0.1 server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import Key
from app.storage import open_store
from app.ui.tray import new_articles_message
from tests.support.http import LocalServer, Reply
from tests.ui.conftest import make_controller, wait_loaded


def rss(name: str, count: int) -> str:
    items = "".join(f"<item><title>{name} {i}</title><guid>{name}-{i}</guid></item>" for i in range(count))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>{items}</channel></rss>'


@pytest.fixture
def feeds(sample_dir: Path) -> Iterator[tuple[Path, list[int]]]:
    with LocalServer() as server:
        for name, count in (("Alpha", 3), ("Beta", 2)):
            server.route(
                f"/{name}.xml", Reply(200, rss(name, count), {"Content-Type": "application/rss+xml"})
            )
        with open_store(sample_dir / "hearth.sqlite3") as store:
            ids = [store.add_feed(server.url(f"/{name}.xml")).id for name in ("Alpha", "Beta")]
        yield sample_dir, ids


def run(
    qtbot, data_dir: Path, ids: list[int], *, background: bool, **settings: object
) -> list[tuple[str, str]]:
    ctl = make_controller(data_dir, **settings)
    qtbot.addWidget(ctl.window)
    shown: list[tuple[str, str]] = []
    ctl.tray.notify = lambda title, text: shown.append((title, text))
    ctl.start(show=True, schedule=False)
    wait_loaded(qtbot, ctl)
    try:
        if background:
            ctl._prepare_sources()
            ctl.refresher.start(ids, background=True)
        else:
            ctl.refresh(ids)
        qtbot.waitUntil(lambda: not ctl.refresher.is_running(), timeout=30000)
        qtbot.waitUntil(lambda: ctl.window.last_refresh_label.text() != "", timeout=10000)
    finally:
        ctl.refresher.cancel()
        ctl.refresher.wait(10)
        ctl.shutdown()
    return shown


def test_manual_refresh_notifies_only_when_asked(qtbot, feeds) -> None:
    data_dir, ids = feeds
    assert Key.UI_NOTIFY_MANUAL_REFRESH.default is False
    assert (
        run(qtbot, data_dir, ids, background=False) == []
    )  # default: a refresh you started says it in the status bar


def test_manual_refresh_with_the_setting_says_how_many_in_how_many_feeds(qtbot, feeds) -> None:
    data_dir, ids = feeds
    shown = run(qtbot, data_dir, ids, background=False, ui__notify_manual_refresh=True)
    assert len(shown) == 1
    title, text = shown[0]
    assert title == "5 new articles in 2 feeds"
    assert text.splitlines() == ["Alpha: 3", "Beta: 2"]


def test_background_refresh_keeps_todays_rule(qtbot, feeds) -> None:
    data_dir, ids = feeds
    assert [t for t, _ in run(qtbot, data_dir, ids, background=True)] == ["5 new articles in 2 feeds"]


def test_background_refresh_silent_with_notifications_off(qtbot, feeds) -> None:
    data_dir, ids = feeds
    assert (
        run(qtbot, data_dir, ids, background=True, ui__notifications=False, ui__notify_manual_refresh=True)
        == []
    )


def test_message_wording() -> None:
    assert new_articles_message({1: ("A", 1)}) == ("1 new article in 1 feed", "A: 1")
    many = {n: (f"F{n}", n) for n in range(1, 8)}
    title, text = new_articles_message(many)
    assert title == "28 new articles in 7 feeds"
    assert text.splitlines() == ["F7: 7", "F6: 6", "F5: 5", "F4: 4", "F3: 3", "and 2 more feeds"]
