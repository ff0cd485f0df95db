"""The article list widget: a flat, uniform-row tree view (fast with 100,000 rows) with sortable headers.

Rows are rich (title, snippet, feed · date, thumbnail: app/ui/article_delegate.py) or compact (one line,
the Feed and Date columns); `set_compact` switches, `set_previews` gives the rich rows their source.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeView, QWidget

from app.config import Key
from app.ui.article_delegate import ArticleDelegate
from app.ui.article_model import DATE, FEED, ID_ROLE, STAR, TITLE
from app.ui.article_previews import PreviewCache, previews_for


class ArticleListView(QTreeView):
    context_menu_requested = Signal(QPoint)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("articleList")
        self.shows_one_feed = False  # the Feed column says nothing then
        self._feed_hidden = False  # what the narrow-list rule asked for (compact rows)
        self.delegate = ArticleDelegate(None, self)  # compact until set_previews
        self.setItemDelegate(self.delegate)
        self._ctx: Any = None  # the UiContext that remembers the compact setting (use_previews)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setItemsExpandable(False)
        self.setAllColumnsShowFocus(True)
        self.setSortingEnabled(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(
            lambda pos: self.context_menu_requested.emit(self.viewport().mapToGlobal(pos))
        )

    def setup_header(self) -> None:
        """Call after setModel: column sizes and the default sort indicator (newest first)."""
        header = self.header()
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
        previews.changed.connect(self.viewport().update)
        self.set_compact(compact)

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
            self.doItemsLayout()  # uniform row heights: the row height is measured again
            self.viewport().update()

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
