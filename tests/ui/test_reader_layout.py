"""Window layouts: titles keep their room at 800×600 and 1000×700, and the reader keeps ≥ 480 px beside an
open AI panel (or the panel goes below it) at every size; the web reader exists only after the first paint."""

from __future__ import annotations

import pytest

from app.ui.article_model import TITLE
from app.ui.layout import READER_MIN


def resize(qtbot, w, width: int, height: int) -> None:
    w.resize(width, height)
    qtbot.waitUntil(lambda: w.width() == width and w.height() == height, timeout=3000)
    w.panes.arrange(force=True)
    qtbot.wait(1)


@pytest.mark.parametrize(("width", "height"), [(800, 600), (1000, 700), (1280, 800), (1920, 1080)])
def test_titles_keep_their_room(qtbot, controller, width: int, height: int) -> None:
    w = controller.window
    resize(qtbot, w, width, height)
    assert w.panes.stacked() is (width < 1100)
    title = w.list.header().sectionSize(TITLE)
    assert title >= 300, (width, title)  # a readable title, not "…" or a dozen characters
    assert w.reader.width() >= READER_MIN


@pytest.mark.parametrize(("width", "height"), [(800, 600), (1000, 700), (1300, 820), (1920, 1080)])
def test_the_reader_keeps_480px_beside_the_ai_panel(qtbot, controller, width: int, height: int) -> None:
    w = controller.window
    assert w.side_panels is not None, "the AI panel is installed while ai.enabled is on"
    resize(qtbot, w, width, height)
    w.set_side_panel_visible(True)
    qtbot.waitUntil(w.side_panels.isVisible, timeout=3000)
    qtbot.wait(1)
    assert w.width() == width  # the panel did not push the window wider
    tabs = w.panes.reader_tabs
    if width >= 1300:  # beside, where it fits, and the reader keeps its 480 px
        assert not w.panes.side_is_tab() and w.side_panels.width() >= 300
        assert w.reader.width() >= READER_MIN, (width, w.reader.width())
    if width < 1100:  # a tab next to the article, as wide and tall as the reader
        assert w.panes.side_is_tab() and tabs.currentWidget() is w.side_panels
        assert w.side_panels.width() >= READER_MIN and w.side_panels.height() >= 300
        tabs.setCurrentIndex(0)
        qtbot.waitUntil(w.reader.isVisible, timeout=3000)
    assert w.reader.width() >= READER_MIN, (width, w.reader.width())
    w.set_side_panel_visible(False)
    assert not w.panes.side_is_tab() and tabs.count() == 1


def test_the_web_reader_is_built_after_the_first_paint_and_shows_articles(qtbot, controller) -> None:
    w = controller.window
    qtbot.waitUntil(lambda: w.reader.web is not None, timeout=10000)
    assert w._painted
    w.select_row(0)
    web = w.reader.web
    qtbot.waitUntil(lambda: web.loaded and web.article is not None, timeout=15000)
    assert w.reader.currentWidget() is web and web.article.id == w.current_article_id()
    assert w.reader.article.title in w.reader.toPlainText()


def test_reading_size_keys_and_memory(qtbot, controller) -> None:
    w = controller.window
    qtbot.waitUntil(lambda: w.reader.web is not None, timeout=10000)
    start = w.reader.font_px
    w.actions_.zoom_in.trigger()
    w.actions_.zoom_in.trigger()
    assert w.reader.font_px == start + 2
    w.actions_.zoom_out.trigger()
    assert w.reader.font_px == start + 1
    assert "font-size" not in w.reader.toPlainText()
    w.actions_.zoom_reset.trigger()
    assert w.reader.font_px == 16
    w.reader.zoom(3)
    w._restore_reader_prefs()  # what the next start reads back
    assert w.reader.font_px == 19
    assert {"Ctrl++", "Ctrl+-", "Ctrl+0"} <= {a.shortcut().toString() for a in w.actions_.keyboard}


def test_a_window_with_the_panel_open_can_be_made_narrow(qtbot, controller) -> None:
    w = controller.window
    resize(qtbot, w, 1300, 820)
    w.set_side_panel_visible(True)
    qtbot.waitUntil(w.side_panels.isVisible, timeout=3000)
    resize(qtbot, w, 800, 600)  # from three columns with the panel beside, straight to 800 px
    assert w.width() == 800 and w.panes.side_is_tab()
    w.panes.reader_tabs.setCurrentIndex(0)
    qtbot.waitUntil(w.reader.isVisible, timeout=3000)
    assert w.reader.width() >= READER_MIN
