"""The feed tree widget: counts drawn right-aligned, error/cooldown badges, drag and drop, a context menu."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPainter, QPalette
from PySide6.QtWidgets import QAbstractItemView, QStyledItemDelegate, QStyleOptionViewItem, QTreeView, QWidget

from app.ui.feed_tree_model import BADGE_ROLE, NODE_ROLE, UNREAD_ROLE, Node
from app.ui.icons import icon

Index = QModelIndex | QPersistentModelIndex


class FeedTreeDelegate(QStyledItemDelegate):
    """Draws through QStyledItemDelegate.paint only, never the widget's QStyle from Python: PySide6 makes
    the Python types of QStyle's enums (~10 ms) the first time Python touches one, before the first paint."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._background_only = False  # initStyleOption leaves out the text and icon

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:
        super().initStyleOption(option, index)
        if self._background_only:
            option.text = ""
            option.icon = QIcon()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        count = index.data(UNREAD_ROLE) or 0
        badge = index.data(BADGE_ROLE)
        text = str(count) if count else ""
        metrics = option.fontMetrics
        count_w = metrics.horizontalAdvance(text) + 14 if text else 0
        badge_w = 20 if badge else 0
        # the full-width selection background first, then the item in the room the count leaves
        self._background_only = True
        try:
            super().paint(painter, option, index)
        finally:
            self._background_only = False
        opt = QStyleOptionViewItem(option)
        opt.rect = QRect(option.rect)
        opt.rect.setRight(option.rect.right() - count_w - badge_w - 4)
        super().paint(painter, opt, index)
        right = option.rect.right() - 6
        if text:
            rect = QRect(right - count_w + 4, option.rect.top(), count_w - 4, option.rect.height())
            painter.save()
            painter.setPen(
                option.palette.color(QPalette.ColorGroup.Normal, QPalette.ColorRole.PlaceholderText)
            )
            painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
            painter.restore()
            right -= count_w
        if badge:
            size = 14
            top = option.rect.top() + (option.rect.height() - size) // 2
            icon(badge).paint(painter, QRect(right - size, top, size, size))

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(hint.width() + 40, max(hint.height(), 24))


class FeedTreeView(QTreeView):
    context_menu_requested = Signal(object, QPoint)  # Node (or None for empty space), global position

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("feedTree")
        self.setHeaderHidden(True)
        self.setItemDelegate(FeedTreeDelegate(self))
        self.setUniformRowHeights(True)
        self.setIndentation(14)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._on_context_menu)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)

    def current_node(self) -> Node | None:
        index = self.currentIndex()
        return index.data(NODE_ROLE) if index.isValid() else None

    def _on_context_menu(self, pos: QPoint) -> None:
        index = self.indexAt(pos)
        if index.isValid():
            self.setCurrentIndex(index)
        node = index.data(NODE_ROLE) if index.isValid() else None
        self.context_menu_requested.emit(node, self.viewport().mapToGlobal(pos))
