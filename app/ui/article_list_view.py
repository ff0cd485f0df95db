"""The article list widget: a table of rows of one height (fast with 100,000 rows) with sortable headers.

A QTableView, not a QTreeView: a tree view lays out every row before its first paint (a call into the
Python model for each, ~0.2 s for a 100,000-article feed at launch); a table with a fixed row height
lays out nothing but the rows on screen. It keeps a tree view's list manners: no grid or row numbers,
Tab leaves the list, Left/Right do not move between cells, Home/End go to the first/last article.

Rows are rich (title, snippet, feed · date, thumbnail: app/ui/article_delegate.py) or compact (one line,
the Feed and Date columns); `set_compact` switches, `set_previews` gives the rich rows their source.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyleOptionViewItem, QTableView, QWidget

from app.config import Key
from app.ui.article_delegate import ArticleDelegate
from app.ui.article_model import DATE, FEED, ID_ROLE, STAR, TITLE
from app.ui.article_previews import PreviewCache, previews_for


class ArticleListView(QTableView):
    context_menu_requested = Signal(QPoint)
    rows_painted = Signal()  # once: the first paint with rows in the model (bench_gui's probe)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("articleList")
        self.shows_one_feed = False  # the Feed column says nothing then
        self._feed_hidden = False  # what the narrow-list rule asked for (compact rows)
        self.delegate = ArticleDelegate(None, self)  # compact until set_previews
        self.setItemDelegate(self.delegate)
        self._ctx: Any = None  # the UiContext that remembers the compact setting (use_previews)
        self._rows_painted = False
        self.verticalHeader().hide()  # no row numbers
        self.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Fixed
        )  # one height: nothing to lay out
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)  # Tab moves to the reader, as in a list
        self.setCornerButtonEnabled(False)
        self.setSortingEnabled(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(
            lambda pos: self.context_menu_requested.emit(self.viewport().mapToGlobal(pos))
        )

    def header(self) -> QHeaderView:
        """The column header (as QTreeView names it)."""
        return self.horizontalHeader()

    # one row height, measured as a uniform-row tree view measures it: the first row's size hint -----
    def setModel(self, model: Any) -> None:
        super().setModel(model)
        if model is not None:
            model.modelReset.connect(self.update_row_height)
            model.rowsInserted.connect(lambda *_a: self.update_row_height())
        self.update_row_height()

    def update_row_height(self) -> None:
        model = self.model()
        if model is None or model.rowCount() == 0:
            return
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        height = max(
            self.delegate.sizeHint(option, model.index(0, column)).height()
            for column in range(model.columnCount())
            if not self.isColumnHidden(column)
        )
        header = self.verticalHeader()
        header.setMinimumSectionSize(min(height, header.minimumSectionSize()))
        if header.defaultSectionSize() != height:
            header.setDefaultSectionSize(height)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.update_row_height()

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.Polish:  # the stylesheet's item padding applies from now on
            self.update_row_height()
        return handled

    def moveCursor(
        self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        """Up/Down/Page/Home/End move between articles (Home: the first, End: the last); Left/Right stay."""
        moves = QAbstractItemView.CursorAction
        current = self.currentIndex()
        model = self.model()
        if action in (moves.MoveLeft, moves.MoveRight):
            return current
        if model is not None and model.rowCount() and action in (moves.MoveHome, moves.MoveEnd):
            column = current.column() if current.isValid() else TITLE
            return model.index(0 if action == moves.MoveHome else model.rowCount() - 1, column)
        return super().moveCursor(action, modifiers)

    def setup_header(self) -> None:
        """Call after setModel: column sizes and the default sort indicator (newest first)."""
        header = self.header()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)  # as a list's
        header.setHighlightSections(False)  # a selected row does not bold the column titles
        header.setStretchLastSection(False)
        header.setSectionResizeMode(STAR, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(FEED, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(DATE, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(STAR, 26)
        header.resizeSection(FEED, 130)
        header.resizeSection(DATE, 72)
        self.sortByColumn(DATE, Qt.SortOrder.DescendingOrder)

    def set_feed_column_hidden(self, hidden: bool) -> None:
        """A narrow list gives the Feed column's room to the titles (the title's tooltip names the feed)."""
        self._feed_hidden = hidden
        self._apply_columns()

    # rich or compact rows -----------------------------------------------------------------------
    @property
    def compact(self) -> bool:
        return self.delegate.compact

    def use_previews(self, ctx: Any, remote_images: Callable[[], bool]) -> None:
        """The window's rich rows: previews from `ctx`'s workers, compact as `ui.list_compact` says."""
        self._ctx = ctx
        self.set_previews(
            previews_for(ctx, remote_images, self), compact=ctx.settings.get(Key.UI_LIST_COMPACT)
        )

    def set_previews(self, previews: PreviewCache, *, compact: bool) -> None:
        """Rich rows take their snippets and thumbnails from `previews` (repainted as they arrive)."""
        self.delegate.previews = previews
        previews.changed.connect(self._repaint_rows)
        self.set_compact(compact)

    # The viewport is touched only once the list is shown: the first time Python sees it, PySide6 makes
    # the Python types of ~70 QtWidgets classes (~25 ms), which must not happen before the first paint;
    # a hidden list has nothing to repaint. (A C++ slot such as viewport().update is not connected either.)
    def _repaint_rows(self) -> None:
        if self.isVisible():
            self.viewport().update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._rows_painted and self.model() is not None and self.model().rowCount():
            self._rows_painted = True
            self.rows_painted.emit()

    def set_compact(self, compact: bool, *, remember: bool = False) -> None:
        """One line per row with Feed and Date columns, or the rich rows (none without previews);
        `remember` saves the choice as `ui.list_compact` (the View menu's toggle)."""
        if remember and self._ctx is not None:
            self._ctx.settings.set(Key.UI_LIST_COMPACT, compact)
            self._ctx.save_settings()
        compact = compact or self.delegate.previews is None
        changed = compact != self.delegate.compact
        self.delegate.compact = compact
        self._apply_columns()
        if changed:
            self.update_row_height()
            self._repaint_rows()

    def _apply_columns(self) -> None:
        rich = not self.delegate.compact
        for column, hidden in ((FEED, rich or self._feed_hidden), (DATE, rich)):
            if self.isColumnHidden(column) != hidden:
                self.setColumnHidden(column, hidden)

    def selected_ids(self) -> list[int]:
        rows = (
            sorted({i.row() for i in self.selectionModel().selectedRows()}) if self.selectionModel() else []
        )
        ids = [self.model().index(r, 0).data(ID_ROLE) for r in rows]
        return [i for i in ids if i is not None]

    def current_id(self) -> int | None:
        index = self.currentIndex()
        return index.siblingAtColumn(0).data(ID_ROLE) if index.isValid() else None
