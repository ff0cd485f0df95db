"""The article list's delegate (issue 13): right-to-left titles and snippets drawn right-aligned in their own
direction (rich and compact rows; LTR and CJK rows unchanged), and the ✦ AI marker drawn in compact rows too.
Real store, real database thread, a real list view painted offscreen and read back pixel by pixel."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFontMetrics, QImage

from app.models import ArticleQuery, ParsedItem
from app.storage import open_store
from app.ui.article_delegate import AI_MARK, text_direction
from app.ui.article_list_view import ArticleListView
from app.ui.article_model import TITLE, ArticleListModel
from app.ui.article_previews import PreviewCache
from app.ui.db_executor import DbExecutor

LTR, RTL = Qt.LayoutDirection.LeftToRight, Qt.LayoutDirection.RightToLeft
ROWS = {  # title -> snippet text (each short, so its side of the row is plain to see)
    "مرحبا بالعالم": "هذا نص قصير",  # Arabic
    "שלום עולם": "טקסט קצר בעברית",  # Hebrew
    "Hello world": "A short snippet",
    "你好世界": "一段很短的摘要",  # CJK: left to right
}


def test_direction_is_the_first_strong_character() -> None:
    assert text_direction("مرحبا") == RTL and text_direction("שלום") == RTL
    assert (
        text_direction("Hello") == LTR
        and text_direction("你好") == LTR
        and text_direction("こんにちは") == LTR
    )
    assert text_direction("2024: שלום") == RTL  # digits and punctuation are not strong
    assert text_direction("«مرحبا» hello") == RTL and text_direction("hello مرحبا") == LTR
    assert text_direction("") == LTR and text_direction("123 …") == LTR


@dataclass
class Rig:
    view: ArticleListView
    model: ArticleListModel
    previews: PreviewCache
    ids: dict[str, int]  # title -> article id


@pytest.fixture
def rig(qtbot, tmp_path: Path) -> Iterator[Rig]:
    path = tmp_path / "hearth.sqlite3"
    now = datetime.now(UTC)
    with open_store(path) as store:
        feed = store.add_feed("https://example.org/feed.xml", title="F")
        store.upsert_articles(
            feed.id,
            [
                ParsedItem(guid=str(n), url=f"https://example.org/{n}", title=title,
                           published=now - timedelta(minutes=n), content_html=f"<p>{snippet}</p>")
                for n, (title, snippet) in enumerate(ROWS.items())
            ],
        )  # fmt: skip
    gui_store = open_store(path)
    db = DbExecutor(path)
    previews = PreviewCache(db.submit, None, lambda *_a: None, lambda: False)  # no images: no fetcher
    model = ArticleListModel(gui_store)
    view = ArticleListView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setup_header()
    view.set_previews(previews, compact=False)
    view.resize(760, 600)
    model.set_query(ArticleQuery(smart="all"))
    view.show()
    qtbot.waitExposed(view)
    ids = {model.row_data(r).title: model.article_id(r) for r in range(model.rowCount())}  # type: ignore[union-attr]
    try:
        yield Rig(view, model, previews, ids)  # type: ignore[arg-type]
    finally:
        db.close()
        gui_store.close()


def _ink_span(image: QImage, base: QColor) -> tuple[int, int] | None:
    """The leftmost and rightmost x with ink (a pixel far from the background), or None for none."""
    xs = [
        x
        for x in range(image.width())
        for y in range(0, image.height(), 1)
        if abs(image.pixelColor(x, y).lightness() - base.lightness()) > 60
    ]
    return (min(xs), max(xs)) if xs else None


def _shot(view: ArticleListView, rect: QRect) -> QImage:
    view.viewport().repaint()
    return view.viewport().grab(rect).toImage()


def _row(rig: Rig, title: str) -> int:
    return rig.model.row_of(rig.ids[title])  # type: ignore[return-value]


def _base(view: ArticleListView) -> QColor:
    return view.palette().color(view.viewport().backgroundRole())


def _assert_side(span: tuple[int, int] | None, width: int, rtl: bool, what: str) -> None:
    assert span is not None, f"no ink for {what}"
    left, right = span
    if rtl:  # right-aligned: the ink ends at the right edge and starts past the middle
        assert right > width - 40 and left > width // 2, (what, span, width)
    else:
        assert left < 40 and right < width // 2, (what, span, width)


def _rich_title_band(rig: Rig, row: int) -> QRect:
    cell = rig.view.visualRect(rig.model.index(row, TITLE))
    fm = QFontMetrics(rig.view.font())
    return QRect(cell.left(), cell.top() + 2, cell.width(), fm.height() + 4)


def test_rich_rows_draw_rtl_titles_and_snippets_at_the_right(qtbot, rig: Rig) -> None:
    qtbot.waitUntil(lambda: all(rig.previews.preview(i) is not None for i in rig.ids.values()), timeout=10000)
    base = _base(rig.view)
    for title, snippet in ROWS.items():
        rtl = text_direction(title) == RTL
        row = _row(rig, title)
        band = _rich_title_band(rig, row)
        _assert_side(_ink_span(_shot(rig.view, band), base), band.width(), rtl, f"title {title}")
        cell = rig.view.visualRect(rig.model.index(row, TITLE))
        snippet_band = rig.view.delegate.snippet_band(cell, rig.view.font())
        shot = _shot(rig.view, snippet_band)
        _assert_side(_ink_span(shot, base), snippet_band.width(), rtl, f"snippet {snippet}")


def test_compact_rows_draw_rtl_titles_at_the_right(qtbot, rig: Rig) -> None:
    rig.view.set_compact(True)
    base = _base(rig.view)
    for title in ROWS:
        cell = rig.view.visualRect(rig.model.index(_row(rig, title), TITLE))
        rtl = text_direction(title) == RTL
        _assert_side(_ink_span(_shot(rig.view, cell), base), cell.width(), rtl, f"compact {title}")


def _marker_ink(rig: Rig, title: str) -> int:
    """Ink in the trailing band of a compact row's Title cell, where the ✦ goes."""
    cell = rig.view.visualRect(rig.model.index(_row(rig, title), TITLE))
    fm = QFontMetrics(rig.view.font())
    width = fm.horizontalAdvance(AI_MARK) + 10
    rtl = text_direction(title) == RTL
    band = QRect(cell.left() if rtl else cell.right() - width + 1, cell.top(), width, cell.height())
    shot = _shot(rig.view, band)
    base = _base(rig.view)
    return sum(
        1
        for x in range(shot.width())
        for y in range(shot.height())
        if abs(shot.pixelColor(x, y).lightness() - base.lightness()) > 40
    )


def test_compact_rows_draw_the_ai_marker(qtbot, rig: Rig) -> None:
    rig.view.set_compact(True)
    assert _marker_ink(rig, "Hello world") == 0 and _marker_ink(rig, "שלום עולם") == 0
    rig.model.mark_ai(rig.ids["Hello world"], "summary")
    rig.model.mark_ai(rig.ids["שלום עולם"], "translation")
    assert _marker_ink(rig, "Hello world") > 5  # at the right end of the title
    assert _marker_ink(rig, "שלום עולם") > 5  # at the left end: the title's end in right-to-left
    assert _marker_ink(rig, "你好世界") == 0  # no summary, no marker


def test_compact_marker_layout_keeps_the_title_clear_of_the_marker(rig: Rig) -> None:
    delegate = rig.view.delegate
    fm = QFontMetrics(rig.view.font())
    cell = QRect(0, 0, 300, 20)
    text, marker = delegate.compact_title_boxes(cell, fm, LTR, False)
    assert marker is None and text.width() == 300 - 6
    text, marker = delegate.compact_title_boxes(cell, fm, LTR, True)
    assert marker is not None and marker.left() > text.right() and marker.right() <= cell.right()
    assert marker.width() >= fm.horizontalAdvance(AI_MARK)
    text, marker = delegate.compact_title_boxes(cell, fm, RTL, True)
    assert marker is not None and marker.right() < text.left() and marker.left() >= cell.left()


def test_ltr_rows_paint_as_before_whatever_the_rtl_rows(qtbot, rig: Rig) -> None:
    """An LTR row's pixels do not depend on RTL rows around it (the direction is per row)."""
    qtbot.waitUntil(lambda: all(rig.previews.preview(i) is not None for i in rig.ids.values()), timeout=10000)
    band = _rich_title_band(rig, _row(rig, "Hello world"))
    before = _shot(rig.view, band)
    rig.model.set_titles({rig.ids["你好世界"]: "שלום"})  # another row turns right-to-left
    after = _shot(rig.view, band)
    assert before == after
