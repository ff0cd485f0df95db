"""Keyboard: j/k, n/p across feeds, m, s, space, / and ?, and no shortcut while typing in the search box."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.ui.conftest import select_node


def focus_list(qtbot, w) -> None:
    w.activateWindow()
    w.list.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w.list, timeout=2000)


def test_j_k_move_and_m_s_toggle(qtbot, controller) -> None:
    ctl, w = controller, controller.window
    ctl.settings.set("ui.mark_read_on_select", False)
    select_node(qtbot, ctl, "smart", "all")
    focus_list(qtbot, w)
    start = max(w.list.currentIndex().row(), -1)  # focusing a view may make row 0 current
    qtbot.keyClick(w.list, Qt.Key.Key_J)
    assert w.list.currentIndex().row() == start + 1
    w.select_row(0)
    qtbot.keyClick(w.list, Qt.Key.Key_J)
    qtbot.keyClick(w.list, Qt.Key.Key_J)
    assert w.list.currentIndex().row() == 2
    qtbot.keyClick(w.list, Qt.Key.Key_K)
    assert w.list.currentIndex().row() == 1
    row = w.list_model.row_data(1)
    qtbot.keyClick(w.list, Qt.Key.Key_M)
    assert w.list_model.row_data(1).read is (not row.read)
    qtbot.keyClick(w.list, Qt.Key.Key_S)
    assert w.list_model.row_data(1).starred is (not row.starred)
    ctl.db.wait_idle()


def test_n_p_cross_feeds_and_space(qtbot, controller) -> None:
    ctl, w = controller, controller.window
    feeds = [n for n in w.tree_model.walk() if n.kind == "feed"]
    first = feeds[0]
    select_node(qtbot, ctl, "feed", first.key)
    focus_list(qtbot, w)
    seen_feeds = set()
    for _ in range(first.count + 1):
        qtbot.keyClick(w.list, Qt.Key.Key_N)
        seen_feeds.add(w.tree.current_node().key)
    assert len(seen_feeds) == 2  # ran out of unread in the first feed and moved on to the next one
    assert w.tree.current_node().key != first.key
    qtbot.keyClick(w.list, Qt.Key.Key_P)  # back within the list / feeds
    assert w.reader.article is not None
    current = w.reader.article.id
    qtbot.keyClick(w.list, Qt.Key.Key_Space)  # a short article: space moves to the next unread
    assert w.reader.article is not None and w.reader.article.id != current


def test_typing_in_search_does_not_trigger_shortcuts(qtbot, controller) -> None:
    ctl, w = controller, controller.window
    select_node(qtbot, ctl, "smart", "all")
    focus_list(qtbot, w)
    qtbot.keyClick(w.list, Qt.Key.Key_Slash)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w.search, timeout=2000)
    shown = w.reader.article.id if w.reader.article else None
    before = (w.list.currentIndex().row(), w.tree.current_node().key, shown)
    qtbot.keyClicks(w.search, "jkmsn ")
    assert w.search.text() == "jkmsn "
    after_shown = w.reader.article.id if w.reader.article else None
    assert (w.list.currentIndex().row(), w.tree.current_node().key, after_shown) == before


def test_question_mark_shows_the_sheet(qtbot, controller) -> None:
    w = controller.window
    focus_list(qtbot, w)
    qtbot.keyClick(w.list, Qt.Key.Key_Question, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(
        lambda: w.dialogs.shortcuts is not None and w.dialogs.shortcuts.isVisible(),
        timeout=2000,
    )
    keys = {w.dialogs.shortcuts.table.item(r, 0).text() for r in range(w.dialogs.shortcuts.table.rowCount())}
    assert {"J", "K", "N", "P", "M", "S", "O", "R", "Shift+R", "Shift+A", "/", "?"} <= keys
    w.dialogs.shortcuts.close()
