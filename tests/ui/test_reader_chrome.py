"""The window around the reader: counts that mean one thing, settings changed by the CLI that survive the
app's next save, the broken-feed banner, search-box keys, the shortcut sheet, the Add-feed error, the
status line after a refresh that fetched nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.cli import run
from app.models import FetchState
from app.storage import open_store
from app.ui.dialogs.add_feed import address_problem
from tests.ui.conftest import select_node, wait_loaded


def list_rows(w) -> list:
    return [w.list_model.row_data(r) for r in range(w.list_model.rowCount())]


def test_every_count_means_what_its_row_says(qtbot, controller) -> None:
    ctl, w = controller, controller.window
    ctl.settings.set("ui.hide_read", False)
    ctl.settings.set("ui.mark_read_on_select", False)
    select_node(qtbot, ctl, "smart", "all")
    some = w.list_model.ids()[:3]
    w.set_read(some[:2], True)
    w.set_starred(some[1:3], True)
    ctl.db.wait_idle()
    qtbot.waitUntil(lambda: w.tree_model._smart["starred"].count == 2, timeout=5000)
    for name in ("all", "unread", "today"):
        select_node(qtbot, ctl, "smart", name)
        unread = sum(1 for r in list_rows(w) if not r.read)
        assert w.tree_model._smart[name].count == unread, name  # unread articles in that row
        assert "unread" in w.tree_model._smart[name].tooltip.lower()
    select_node(qtbot, ctl, "smart", "starred")
    assert w.tree_model._smart["starred"].count == w.list_model.rowCount() == 2
    for node in (n for n in w.tree_model.walk() if n.kind == "feed"):
        select_node(qtbot, ctl, "feed", node.key)
        assert node.count == sum(1 for r in list_rows(w) if not r.read)


def test_a_theme_set_from_the_cli_survives_the_apps_next_save(qtbot, controller, capsys) -> None:
    ctl, w = controller, controller.window
    ctl.settings.set("ui.theme", "dark")
    ctl.ctx.save_settings()
    assert run(["--data-dir", str(ctl.paths.data_dir), "config", "set", "ui.theme", "light"]) == 0
    capsys.readouterr()
    w.set_hide_read(True)  # the app saves a setting of its own
    on_disk = json.loads(ctl.paths.settings_path.read_text(encoding="utf-8"))
    assert on_disk["ui.theme"] == "light" and on_disk["ui.hide_read"] is True
    assert ctl.settings.get("ui.theme") == "light"  # and the app took the new value
    # a value the app changed itself (later, not saved yet) wins over the file's
    assert (
        run(["--data-dir", str(ctl.paths.data_dir), "config", "set", "refresh.interval_minutes", "30"]) == 0
    )
    ctl.settings.set("refresh.interval_minutes", 45)
    ctl.ctx.save_settings()
    assert json.loads(ctl.paths.settings_path.read_text(encoding="utf-8"))["refresh.interval_minutes"] == 45


def test_the_app_follows_a_cli_change_while_it_runs(qtbot, controller, capsys) -> None:
    ctl = controller
    assert ctl.settings.get("ui.theme") != "dark"
    assert run(["--data-dir", str(ctl.paths.data_dir), "config", "set", "ui.theme", "dark"]) == 0
    capsys.readouterr()
    ctl.reload_settings()  # what the file watcher calls a moment after the change
    assert ctl.settings.get("ui.theme") == "dark"
    assert QApplication.palette().window().color().name() == "#26292e"


def test_compact_list_set_from_the_cli_switches_the_running_window(qtbot, controller, capsys) -> None:
    ctl, w = controller, controller.window
    assert not w.list.compact and not w.actions_.compact_list.isChecked()
    assert run(["--data-dir", str(ctl.paths.data_dir), "config", "set", "ui.list_compact", "true"]) == 0
    capsys.readouterr()
    ctl.reload_settings()  # what the file watcher calls a moment after the change
    assert w.list.compact and w.actions_.compact_list.isChecked()
    assert run(["--data-dir", str(ctl.paths.data_dir), "config", "set", "ui.list_compact", "false"]) == 0
    capsys.readouterr()
    ctl.reload_settings()
    assert not w.list.compact and not w.actions_.compact_list.isChecked()
    assert json.loads(ctl.paths.settings_path.read_text(encoding="utf-8"))["ui.list_compact"] is False


def test_a_broken_feed_shows_a_banner_with_retry_and_edit(qtbot, controller) -> None:
    ctl, w = controller, controller.window
    feed = w.tree_model.feeds()[0]
    when = datetime(2026, 6, 1, 12, tzinfo=UTC)
    with open_store(ctl.paths.db_path) as store:
        for _ in range(2):
            store.record_fetch(feed.id, FetchState(when, when, 404, error="HTTP 404 Not Found"))
    w.reload_library()
    ctl.db.wait_idle()
    qtbot.waitUntil(lambda: w.tree_model.feed(feed.id).consecutive_errors == 2, timeout=5000)
    select_node(qtbot, ctl, "feed", feed.id)
    assert w.banner.isVisible()
    assert "HTTP 404" in w.banner.title.text() and "2 times" in w.banner.title.text()
    assert "Edit feed" in w.banner.detail.text() and feed.url in w.banner.detail.text()
    asked: list = []
    w.refresh_requested.connect(asked.append)
    qtbot.mouseClick(w.banner.retry_button, Qt.MouseButton.LeftButton)
    assert asked == [[feed.id]]
    qtbot.mouseClick(w.banner.edit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.dialogs.edit_feed is not None, timeout=3000)
    w.dialogs.edit_feed.reject()
    select_node(qtbot, ctl, "smart", "all")
    assert not w.banner.isVisible()


def test_escape_clears_search_and_down_moves_to_the_results(qtbot, controller) -> None:
    ctl, w = controller, controller.window
    select_node(qtbot, ctl, "smart", "all")
    everything = w.list_model.rowCount()
    w.focus_search()
    qtbot.keyClicks(w.search, "rust")
    qtbot.keyClick(w.search, Qt.Key.Key_Down)
    assert w.list_model.query.search == "rust"
    assert QApplication.focusWidget() is w.list and w.list.currentIndex().row() == 0
    w.focus_search()
    qtbot.keyClick(w.search, Qt.Key.Key_Escape)
    assert w.search.text() == "" and w.list_model.query.search is None
    assert w.list_model.rowCount() == everything


def test_the_sheet_lists_ctrl_keys_and_about_and_settings_have_keys(qtbot, controller) -> None:
    w = controller.window
    w.actions_.show_shortcuts()
    table = w.dialogs.shortcuts.table
    keys = {table.item(r, 0).text() for r in range(table.rowCount())}
    assert {"Ctrl+N", "Ctrl+I", "Ctrl+,", "Ctrl++", "Ctrl+0"} <= keys
    w.dialogs.shortcuts.close()
    assert "Ctrl+," in [s.toString() for s in w.library.settings_action.shortcuts()]
    assert w.actions_.about.text() == "About Hearth"


def test_the_add_feed_dialog_says_plainly_what_is_wrong(qtbot, controller) -> None:
    assert "“not a url at all” is not a web address" in address_problem("not a url at all")
    assert address_problem("example.org") is None and address_problem("http://127.0.0.1:8080/feed") is None
    w = controller.window
    w.library.add_feed("not a url at all")
    dialog = w.dialogs.add_feed
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert "is not a web address" in dialog.status.text() and "https://not" not in dialog.status.text()
    assert dialog.status.height() >= dialog.status.heightForWidth(dialog.status.width())  # not clipped
    dialog.reject()


def test_a_refresh_that_fetched_nothing_keeps_the_last_result(qtbot, controller) -> None:
    ctl, w = controller, controller.window
    report = SimpleNamespace(done=3, new_articles=1, errors=[], cancelled=False)
    ctl._show_refresh_result(report, background=False)
    assert "Refreshed 3 feeds, 1 new" in w.status_label.text()
    last = w.last_refresh_label.text()
    ctl._show_refresh_result(
        SimpleNamespace(done=0, new_articles=0, errors=[], cancelled=False), background=True
    )
    assert w.last_refresh_label.text() == last and "0 feeds" not in w.status_label.text()
    ctl._show_refresh_result(
        SimpleNamespace(done=1, new_articles=0, errors=[], cancelled=False), background=True
    )
    assert "Refreshed 1 feed," in w.status_label.text()
    select_node(qtbot, ctl, "feed", w.tree_model.feeds()[0].id)
    n = w.list_model.rowCount()
    assert w.status_label.text() == (f"{n:,} article" + ("" if n == 1 else "s"))
    wait_loaded(qtbot, ctl)


def test_o_says_so_when_no_browser_can_open_the_article(qtbot, controller) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    w = controller.window
    w.select_row(0)
    assert w.reader.article is not None and w.reader.article.url
    if QDesktopServices.openUrl(QUrl("https://example.invalid/")):
        import pytest

        pytest.skip("this platform has a browser; the message is for systems without one")
    w.open_in_browser()
    assert w.status_label.text().startswith("No web browser is set up to open")
