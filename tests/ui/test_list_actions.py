"""The article list's actions in the real window on a real profile (offscreen): Copy link, mark above /
below as read with Undo, and the Sort menu (newest, oldest, title, feed) kept in window.ini."""

from __future__ import annotations

import itertools
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu

from app.storage import open_store
from app.ui.article_model import DATE, TITLE
from tests.ui.conftest import make_controller, select_node, wait_loaded


def read_flags(ctl, ids: list[int]) -> list[bool]:
    ctl.db.wait_idle()
    with open_store(ctl.paths.db_path) as store:
        by_id = {row.id: row.read for row in store.rows(ids)}
    return [by_id[i] for i in ids]


def test_copy_link_copies_the_selected_articles_addresses(qtbot, controller) -> None:
    w = controller.window
    select_node(qtbot, controller, "smart", "all")
    w.select_row(0)
    actions = w.actions_.list_actions
    actions.copy_link.trigger()
    assert QGuiApplication.clipboard().text() == w.list_model.row_data(0).url
    w.list.selectionModel().select(
        w.list_model.index(2, 0),
        w.list.selectionModel().SelectionFlag.Select | w.list.selectionModel().SelectionFlag.Rows,
    )
    actions.copy_links()
    assert QGuiApplication.clipboard().text().splitlines() == [w.list_model.row_data(r).url for r in (0, 2)]
    assert w.status_label.text() == "2 links copied"


def test_context_menu_and_article_menu_offer_the_list_actions(qtbot, controller) -> None:
    w = controller.window
    menu = QMenu(w)
    w.actions_.list_actions.fill_context_menu(menu)
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts == ["Copy link", "Mark above as read", "Mark below as read"]
    article_menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "&Article")
    assert {"Open in browser", "Copy link"} <= {a.text() for a in article_menu.actions()}
    toolbar = {a.text() for a in w.menus.toolbar.actions()}
    assert {"Open in browser", "Copy link"} <= toolbar
    assert w.actions_.list_actions.copy_link in w.actions_.sheet_actions()  # listed on the ? sheet


def test_mark_above_as_read_then_undo(qtbot, controller) -> None:
    ctl, w = controller, controller.window
    select_node(qtbot, ctl, "smart", "all")
    ids = w.list_model.ids()
    before = read_flags(ctl, ids)
    w.select_row(5)  # read on select
    ctl.db.wait_idle()
    w.actions_.list_actions.mark_above.trigger()
    qtbot.waitUntil(lambda: bool(w.undo_stack), timeout=5000)  # the write is done and undoable
    assert read_flags(ctl, ids[:5]) == [True] * 5
    assert read_flags(ctl, ids[6:]) == before[6:]  # nothing below it changed
    newly = [i for i, was in zip(ids[:5], before[:5], strict=True) if not was]
    assert sorted(w.undo_stack[-1][1]) == sorted(newly) and newly
    w.actions_.undo.trigger()
    qtbot.waitUntil(lambda: read_flags(ctl, ids[:5]) == before[:5], timeout=5000)
    assert all(w.list_model.row_data(r).read == before[r] for r in range(5))


def test_mark_below_as_read_leaves_the_rows_above(qtbot, controller) -> None:
    ctl, w = controller, controller.window
    select_node(qtbot, ctl, "smart", "all")
    ids = w.list_model.ids()
    before = read_flags(ctl, ids)
    w.select_row(2)
    ctl.db.wait_idle()
    w.actions_.list_actions.mark_below.trigger()
    qtbot.waitUntil(lambda: bool(w.undo_stack), timeout=5000)
    assert all(read_flags(ctl, ids[3:]))
    assert read_flags(ctl, ids[:2]) == before[:2]
    assert all(w.list_model.row_data(r).read for r in range(3, len(ids)))
    w.select_row(len(ids) - 1)
    w.actions_.list_actions.mark_below.trigger()
    assert "nothing below" in w.status_label.text()


def test_sort_menu_orders_the_list_and_follows_the_header(qtbot, controller) -> None:
    ctl, w = controller, controller.window
    select_node(qtbot, ctl, "smart", "all")
    actions = w.actions_.list_actions
    rows = lambda: [w.list_model.row_data(r) for r in range(w.list_model.rowCount())]  # noqa: E731
    dates = [r.published for r in rows()]
    assert dates == sorted(dates, reverse=True) and actions.sort_actions["newest"].isChecked()
    actions.sort_actions["title"].trigger()
    titles = [r.title for r in rows()]
    assert titles == sorted(titles, key=str.casefold) and titles != [
        r.title for r in sorted(rows(), key=lambda r: r.published)
    ]
    assert w.list.header().sortIndicatorSection() == TITLE
    actions.sort_actions["feed"].trigger()
    listed = rows()
    assert [r.feed_title.casefold() for r in listed] == sorted(r.feed_title.casefold() for r in listed)
    for a, b in itertools.pairwise(listed):
        if a.feed_id == b.feed_id:
            assert a.published >= b.published  # newest first within a feed
    actions.sort_actions["oldest"].trigger()
    assert [r.published for r in rows()] == sorted(dates)
    w.list.sortByColumn(DATE, Qt.SortOrder.DescendingOrder)  # a header click
    assert actions.sort_actions["newest"].isChecked() and w.list_model.query.sort == "newest"
    select_node(qtbot, ctl, "feed", w.tree_model.feeds()[0].id)
    actions.sort_actions["title"].trigger()
    select_node(qtbot, ctl, "smart", "all")  # another view keeps the order
    assert w.list_model.query.sort == "title"


def test_sort_order_is_kept_in_window_ini(qtbot, sample_dir: Path) -> None:
    first = make_controller(sample_dir)
    qtbot.addWidget(first.window)
    first.start(show=True, schedule=False)
    wait_loaded(qtbot, first)
    first.window.actions_.list_actions.sort_actions["feed"].trigger()
    first.shutdown()
    assert "sort=feed" in (sample_dir / "window.ini").read_text()
    second = make_controller(sample_dir)
    qtbot.addWidget(second.window)
    second.start(show=True, schedule=False)
    try:
        wait_loaded(qtbot, second)
        w = second.window
        select_node(qtbot, second, "smart", "all")
        assert w.list_model.query.sort == "feed"
        assert w.actions_.list_actions.sort_actions["feed"].isChecked()
        feeds = [w.list_model.row_data(r).feed_title.casefold() for r in range(w.list_model.rowCount())]
        assert feeds == sorted(feeds)
    finally:
        second.shutdown()
