"""How an article row is painted: rich (title, a two-line snippet, feed · date, a thumbnail at the right)
or compact (the plain one-line columns).

The rich row lives in the Title column (the Feed and Date columns are hidden then; the view does that).
Every row has the same height (the view keeps uniform row heights, so 100,000 rows cost nothing to lay
out); what a row needs that is not in memory yet (its snippet, its thumbnail) is asked of the
PreviewCache and painted when it arrives.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QTextLayout
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from app.models import ArticleRow
from app.ui.article_model import AI_ROLE, ROW_ROLE, TITLE, format_date
from app.ui.article_previews import THUMB_SIZE, PreviewCache

PAD = 6  # around the row's text
GAP = 2  # between its lines
SNIPPET_LINES = 2
AI_MARKER_ROLE = Qt.ItemDataRole.UserRole + 3  # the model's "has summary / translation" marker, if any

Index = QModelIndex | QPersistentModelIndex


def _muted(palette: QPalette, selected: bool) -> QColor:
    """Text half-way to the background: the snippet's and the feed line's colour."""
    group = QPalette.ColorGroup.Active
    fg = palette.color(group, QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
    bg = palette.color(group, QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Base)
    return QColor(
        (fg.red() * 3 + bg.red() * 2) // 5, (fg.green() * 3 + bg.green() * 2) // 5,
        (fg.blue() * 3 + bg.blue() * 2) // 5,
    )  # fmt: skip


class ArticleDelegate(QStyledItemDelegate):
    def __init__(self, previews: PreviewCache | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.previews = previews
        self.compact = previews is None

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
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        row = index.data(ROW_ROLE) if not self.compact and index.column() == TITLE else None
        if not isinstance(row, ArticleRow):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""  # type: ignore[attr-defined]
        widget = opt.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else None
        if style is not None:  # the row's background, selection and focus as the style draws them
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        self._paint_rich(painter, opt, row, index.data(AI_ROLE))

    def _paint_rich(
        self, painter: QPainter, opt: QStyleOptionViewItem, row: ArticleRow, ai: str | None = None
    ) -> None:
        rect: QRect = opt.rect.adjusted(PAD, PAD, -PAD, -PAD)  # type: ignore[attr-defined]
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
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
        title = title_fm.elidedText(row.title or "(untitled)", Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        small_fm = QFontMetrics(small)
        painter.setFont(small)
        painter.setPen(muted)
        top = line.bottom() + 1 + GAP
        snippet_box = QRect(rect.left(), top, rect.width(), SNIPPET_LINES * small_fm.lineSpacing())
        if preview is not None and preview.snippet:
            self._draw_snippet(painter, snippet_box, preview.snippet, small_fm)
        ai_mark = f"✦ AI {ai}" if ai else ""  # it has a summary / translation (ArticleListModel AI_ROLE)
        meta = " · ".join(part for part in (row.feed_title, format_date(row.published), ai_mark) if part)
        meta_box = QRect(rect.left(), snippet_box.bottom() + 1 + GAP, rect.width(), small_fm.height())
        painter.drawText(
            meta_box,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            small_fm.elidedText(meta, Qt.TextElideMode.ElideRight, rect.width()),
        )
        painter.restore()

    @staticmethod
    def _draw_snippet(painter: QPainter, box: QRect, text: str, fm: QFontMetrics) -> None:
        """Up to SNIPPET_LINES lines, wrapped as Qt wraps text (CJK included), the last one elided."""
        layout = QTextLayout(text, painter.font())
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
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                piece,
            )
