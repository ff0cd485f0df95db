"""What the article list shows: the tree's selected row (a smart row, a folder or a feed), the search box
(searched SEARCH_DELAY_MS after the last key, or at once on Enter; cleared when the tree's row changes), and
hide-read (never for Starred or a search). The status line says how many articles the list holds."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QObject, Qt, QTimer
from PySide6.QtWidgets import QLineEdit

from app.config import Key
from app.i18n import _, ngettext
from app.models import ArticleQuery
from app.ui.article_list_view import ArticleListView
from app.ui.article_model import ArticleListModel
from app.ui.feed_banner import FeedBanner
from app.ui.feed_tree_model import FeedTreeModel
from app.ui.layout import PaneLayout
from app.ui.reader_pane import ReaderPane
from app.ui.ui_context import UiContext

SEARCH_DELAY_MS = 250


class ListScope:
    """The list's query: `base_query` follows the tree, a search replaces it until the box is emptied."""

    def __init__(
        self,
        host: QObject,  # the window: the search timer's parent
        ctx: UiContext,
        tree_model: FeedTreeModel,
        list_view: ArticleListView,
        list_model: ArticleListModel,
        reader: ReaderPane,
        banner: FeedBanner,
        panes: PaneLayout,
        show_message: Callable[..., None],
    ) -> None:
        self.ctx = ctx
        self.tree_model, self.list, self.list_model = tree_model, list_view, list_model
        self.reader, self.banner, self.panes = reader, banner, panes
        self._show_message = show_message
        self.base_query = ArticleQuery(smart="all")
        self.shown_node: tuple[str, object] | None = None  # (kind, key) of the tree row the list shows
        self.search = QLineEdit()
        self.search.setObjectName("searchBox")
        self.search.setPlaceholderText(_("Search articles  ( / )"))
        self._search_timer = QTimer(host, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self.apply_search)

    def stop(self) -> None:
        """No search runs from now on (the window is closing)."""
        self._search_timer.stop()

    def show_node(self, current: QModelIndex) -> None:
        """The articles of the tree's row at `current` (its banner too); the search box is emptied."""
        node = self.tree_model.node(current) if current.isValid() else None
        self.banner.show_for(node)
        if node is None or node.kind == "root":
            return
        if self.search.text():
            self.search.blockSignals(True)
            self.search.clear()
            self.search.blockSignals(False)
        if node.kind == "smart":
            query = ArticleQuery(smart=node.key)
        elif node.kind == "folder":
            query = ArticleQuery(folder_id=node.key)
        else:
            query = ArticleQuery(feed_ids=(node.key,))
        self.base_query = query
        self.shown_node = (node.kind, node.key)
        self.show_query(query)

    def show_query(self, query: ArticleQuery) -> None:
        hide_read = self.ctx.settings.get(Key.UI_HIDE_READ) and query.smart != "starred" and not query.search
        self.list_model.set_query(
            dataclasses.replace(query, unread_only=hide_read, sort=self.list_model.query.sort)
        )
        self.list.shows_one_feed = query.feed_ids is not None and len(query.feed_ids) == 1
        self.panes.update_list_columns()
        self.reader.show_placeholder()
        self._show_count_message()

    def _show_count_message(self) -> None:
        q = self.list_model.query
        n = self.list_model.rowCount()
        if q.search:
            text = ngettext("{n:,} article matching “{text}”", "{n:,} articles matching “{text}”", n)
        elif q.unread_only:
            text = ngettext("{n:,} unread article", "{n:,} unread articles", n)
        else:
            text = ngettext("{n:,} article", "{n:,} articles", n)
        self._show_message(text.format(n=n, text=q.search), timeout_ms=0)

    def set_hide_read(self, hide: bool) -> None:
        self.ctx.settings.set(Key.UI_HIDE_READ, hide)
        self.ctx.save_settings()
        self.show_query(self.list_model.query if self.list_model.query.search else self.base_query)

    def apply_search(self) -> None:
        self._search_timer.stop()
        text = self.search.text().strip()
        if text:
            self.show_query(ArticleQuery(search=text))
        elif self.list_model.query.search:
            self.show_query(self.base_query)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()
