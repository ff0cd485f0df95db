"""How an article row is painted: rich (title, a two-line snippet, feed · date, a thumbnail at the right)
or compact (the plain one-line columns; the Title cell with the ✦ AI marker at its end).

Each title and snippet is laid out in its own direction (the first strong character, Unicode's rule): an
Arabic or Hebrew one is drawn right to left and right-aligned, in both modes; LTR and CJK text as before.

The rich row lives in the Title column (the Feed and Date columns are hidden then; the view does that).
Every row has the same height (the view, a table with one fixed row height, measures the first row's
hint: 100,000 rows cost nothing to lay out); what a row needs that is not in memory yet (its snippet,
its thumbnail) is asked of the PreviewCache and painted when it arrives.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QTextLayout, QTextOption
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QWidget

from app.models import ArticleRow
from app.ui.article_model import AI_ROLE, ROW_ROLE, TITLE, format_date
from app.ui.article_previews import THUMB_SIZE, PreviewCache

if TYPE_CHECKING:
    from PySide6.QtWidgets import QStyle

PAD = 6  # around the row's text
GAP = 2  # between its lines
SNIPPET_LINES = 2
AI_MARKER_ROLE = Qt.ItemDataRole.UserRole + 3  # the model's "has summary / translation" marker, if any
AI_MARK = "✦"  # the article has a summary / translation (ArticleListModel AI_ROLE)

Index = QModelIndex | QPersistentModelIndex
_RTL_CLASSES = frozenset({"R", "AL"})  # Hebrew, Arabic (and the other right-to-left scripts)
_LTR = Qt.LayoutDirection.LeftToRight
_RTL = Qt.LayoutDirection.RightToLeft


def text_direction(text: str) -> Qt.LayoutDirection:
    """The direction of `text` by its first strong character (as QString::isRightToLeft decides): right to
    left for Hebrew/Arabic, left to right for Latin, CJK and text without a strong character."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return _LTR
        if kind in _RTL_CLASSES:
            return _RTL
    return _LTR


def _flags(direction: Qt.LayoutDirection) -> Qt.AlignmentFlag:
    """drawText flags for one line: leading-aligned, vertically centred, in `direction`."""
    if direction == _RTL:
        return (
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignAbsolute | Qt.AlignmentFlag.AlignVCenter
        ) | Qt.TextFlag.TextForceRightToLeft  # type: ignore[return-value]
    return (
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignAbsolute | Qt.AlignmentFlag.AlignVCenter
    ) | Qt.TextFlag.TextForceLeftToRight  # type: ignore[return-value]


def _muted(palette: QPalette, selected: bool) -> QColor:
    """Text half-way to the background: the snippet's and the feed line's colour."""
    group = QPalette.ColorGroup.Active
    fg = palette.color(group, QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
    bg = palette.color(group, QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Base)
    return QColor(
        (fg.red() * 3 + bg.red() * 2) // 5, (fg.green() * 3 + bg.green() * 2) // 5,
        (fg.blue() * 3 + bg.blue() * 2) // 5,
    )  # fmt: skip


def is_selected(option: QStyleOptionViewItem, index: Index) -> bool:
    """Whether the view paints `index` selected (what State_Selected in option.state says, as the view sets
    it from its selection model). Not read from option.state: its type is QStyle's, and PySide6 makes the
    Python types of QStyle's dozen enums (~10 ms) the first time one is touched, before the first paint."""
    view = option.widget  # type: ignore[attr-defined]
    selection = view.selectionModel() if view is not None and hasattr(view, "selectionModel") else None
    return selection is not None and selection.isSelected(index)


class ArticleDelegate(QStyledItemDelegate):
    def __init__(self, previews: PreviewCache | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.previews = previews
        self.compact = previews is None
        self._blank_text = False  # initStyleOption leaves the text out (painting a rich row's background)

    # sizes --------------------------------------------------------------------------------------
    def _fonts(self, base: QFont) -> tuple[QFont, QFont]:
        title = QFont(base)
        title.setBold(True)
        small = QFont(base)
        small.setBold(False)  # `base` is bold for unread rows: only their titles are
        size = base.pointSizeF()
        if size > 0:
            small.setPointSizeF(max(size - 1.0, 7.0))
        return title, small

    def rich_height(self, base: QFont) -> int:
        title, small = self._fonts(base)
        lines = QFontMetrics(title).height() + (SNIPPET_LINES + 1) * QFontMetrics(small).lineSpacing()
        return max(lines + 2 * GAP + 2 * PAD, THUMB_SIZE.height() + 2 * PAD)

    def snippet_band(self, row_rect: QRect, base: QFont) -> QRect:
        """Where a row's snippet lines go (without a thumbnail), in the row's coordinates."""
        title, small = self._fonts(base)
        rect = row_rect.adjusted(PAD, PAD, -PAD, -PAD)
        top = rect.top() + QFontMetrics(title).height() + GAP
        return QRect(rect.left(), top, rect.width(), SNIPPET_LINES * QFontMetrics(small).lineSpacing())

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        hint = super().sizeHint(option, index)
        if self.compact:
            return hint
        return QSize(hint.width(), self.rich_height(option.font))  # type: ignore[attr-defined]

    # painting -----------------------------------------------------------------------------------
    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:
        super().initStyleOption(option, index)
        if self._blank_text:
            option.text = ""  # type: ignore[attr-defined]

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        if index.column() != TITLE:
            super().paint(painter, option, index)
            return
        row = index.data(ROW_ROLE) if not self.compact else None
        if not self.compact and not isinstance(row, ArticleRow):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        if isinstance(row, ArticleRow):
            self._blank_text = True  # the row's background, selection and focus as the style draws them
            try:
                super().paint(painter, option, index)
            finally:
                self._blank_text = False
            self._paint_rich(painter, opt, row, index.data(AI_ROLE), selected=is_selected(option, index))
            return
        from PySide6.QtWidgets import QStyle  # compact rows (not the default) measure the style's margin

        title = str(opt.text or "")  # type: ignore[attr-defined]
        opt.text = ""  # type: ignore[attr-defined]
        widget = opt.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else None
        if style is not None:  # the row's background, selection and focus as the style draws them
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        self._paint_compact_title(painter, opt, title, bool(index.data(AI_ROLE)), style)

    # compact: the Title cell ----------------------------------------------------------------------
    def compact_title_boxes(
        self, rect: QRect, fm: QFontMetrics, direction: Qt.LayoutDirection, ai: bool, margin: int = 3
    ) -> tuple[QRect, QRect | None]:
        """Where a compact row's title goes and where its ✦ marker goes (None without one): the marker at
        the title's trailing end (the right, or the left for a right-to-left title)."""
        inner = rect.adjusted(margin, 0, -margin, 0)
        if not ai:
            return inner, None
        width = fm.horizontalAdvance(AI_MARK) + 2 * margin
        if direction == _RTL:
            return inner.adjusted(width, 0, 0, 0), QRect(inner.left(), inner.top(), width, inner.height())
        marker = QRect(inner.right() - width + 1, inner.top(), width, inner.height())
        return inner.adjusted(0, 0, -width, 0), marker

    def _paint_compact_title(
        self, painter: QPainter, opt: QStyleOptionViewItem, title: str, ai: bool, style: QStyle | None
    ) -> None:
        from PySide6.QtWidgets import QStyle

        selected = bool(opt.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        palette: QPalette = opt.palette  # type: ignore[attr-defined]
        font: QFont = opt.font  # type: ignore[attr-defined]
        fm = QFontMetrics(font)
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1 if style is not None else 3
        direction = text_direction(title)
        text_box, marker = self.compact_title_boxes(opt.rect, fm, direction, ai, margin)  # type: ignore[attr-defined]
        painter.save()
        painter.setFont(font)
        painter.setPen(
            palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        )
        shown = fm.elidedText(title, Qt.TextElideMode.ElideRight, max(0, text_box.width()))
        painter.drawText(text_box, _flags(direction), shown)
        if marker is not None:
            painter.setPen(_muted(palette, selected))
            painter.drawText(marker, Qt.AlignmentFlag.AlignCenter, AI_MARK)
        painter.restore()

    # rich rows -------------------------------------------------------------------------------------
    def _paint_rich(
        self,
        painter: QPainter,
        opt: QStyleOptionViewItem,
        row: ArticleRow,
        ai: str | None = None,
        *,
        selected: bool = False,
    ) -> None:
        rect: QRect = opt.rect.adjusted(PAD, PAD, -PAD, -PAD)  # type: ignore[attr-defined]
        palette: QPalette = opt.palette  # type: ignore[attr-defined]
        text_colour = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        muted = _muted(palette, selected)
        preview = self.previews.preview(row.id) if self.previews is not None else None
        thumb = None
        if preview is not None and preview.image_url and self.previews is not None:
            thumb = self.previews.thumbnail(preview.image_url)
        if thumb is not None and rect.width() > 3 * THUMB_SIZE.width():
            box = QRect(
                rect.right() - THUMB_SIZE.width() + 1,
                rect.top() + (rect.height() - THUMB_SIZE.height()) // 2,
                THUMB_SIZE.width(),
                THUMB_SIZE.height(),
            )
            painter.drawPixmap(box, thumb)
            rect.setRight(box.left() - PAD)
        base: QFont = opt.font  # type: ignore[attr-defined]
        title_font, small = self._fonts(base)
        if row.read:
            title_font.setBold(False)
        painter.save()
        painter.setFont(title_font)
        painter.setPen(text_colour)
        title_fm = QFontMetrics(title_font)
        line = QRect(rect.left(), rect.top(), rect.width(), title_fm.height())
        title = row.title or "(untitled)"
        direction = text_direction(title)
        title = title_fm.elidedText(title, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(line, _flags(direction), title)
        small_fm = QFontMetrics(small)
        painter.setFont(small)
        painter.setPen(muted)
        top = line.bottom() + 1 + GAP
        snippet_box = QRect(rect.left(), top, rect.width(), SNIPPET_LINES * small_fm.lineSpacing())
        if preview is not None and preview.snippet:
            self._draw_snippet(painter, snippet_box, preview.snippet, small_fm)
        ai_mark = f"{AI_MARK} AI {ai}" if ai else ""  # it has a summary / translation (AI_ROLE)
        meta = " · ".join(part for part in (row.feed_title, format_date(row.published), ai_mark) if part)
        meta_box = QRect(rect.left(), snippet_box.bottom() + 1 + GAP, rect.width(), small_fm.height())
        painter.drawText(  # on the title's side: the feed's name leads, as the title does
            meta_box,
            _flags(direction),
            small_fm.elidedText(meta, Qt.TextElideMode.ElideRight, rect.width()),
        )
        painter.restore()

    @staticmethod
    def _draw_snippet(painter: QPainter, box: QRect, text: str, fm: QFontMetrics) -> None:
        """Up to SNIPPET_LINES lines, wrapped as Qt wraps text (CJK included), the last one elided; in the
        snippet's own direction."""
        direction = text_direction(text)
        layout = QTextLayout(text, painter.font())
        option = QTextOption()
        option.setTextDirection(direction)
        layout.setTextOption(option)
        layout.beginLayout()
        starts: list[int] = []
        for _n in range(SNIPPET_LINES):
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(box.width())
            starts.append(line.textStart())
        layout.endLayout()
        for n, start in enumerate(starts):
            last = n == len(starts) - 1
            end = len(text) if last else starts[n + 1]
            piece = text[start:end].strip()
            if last:
                piece = fm.elidedText(piece, Qt.TextElideMode.ElideRight, box.width())
            painter.drawText(
                QRect(box.left(), box.top() + n * fm.lineSpacing(), box.width(), fm.lineSpacing()),
                _flags(direction),
                piece,
            )
