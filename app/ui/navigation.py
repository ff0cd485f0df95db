"""Moving through the articles: next / previous, next unread (on into the next feed that has some),
space to scroll then move on, and opening the reader's article in the browser."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QUrl
from PySide6.QtGui import QDesktopServices

from app.i18n import _
from app.ui.feed_tree_model import Node
from app.ui.window_parts import WindowParts

UNREAD_SCAN_LIMIT = 5000  # rows looked at for the next unread before moving on to the next feed


class ArticleNavigation:
    def __init__(self, parts: WindowParts) -> None:
        self.p = parts

    def select_row(self, row: int) -> bool:
        p = self.p
        if not 0 <= row < p.list_model.rowCount():
            return False
        index = p.list_model.index(row, 1)
        p.list.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        p.list.scrollTo(index)
        return True

    def select_article(self, article_id: int) -> bool:
        row = self.p.list_model.row_of(article_id)
        return row is not None and self.select_row(row)

    def next_article(self, step: int = 1) -> bool:
        current = self.p.list.currentIndex()
        row = current.row() if current.isValid() else -1
        return self.select_row(max(0, row + step) if row >= 0 or step > 0 else 0)

    def next_unread(self, forward: bool = True) -> bool:
        """The next unread article in this list; at its end, the next feed with unread articles."""
        if self._select_unread_in_list(forward):
            return True
        p = self.p
        for node in self._feeds_with_unread(forward):
            p.tree.setCurrentIndex(p.tree_model.index_for(node))
            if self._select_unread_in_list(forward, from_edge=True):
                return True  # (counts may lag a write by a moment: a feed without unread is skipped)
        p.show_message(_("No more unread articles"))
        return False

    def _select_unread_in_list(self, forward: bool, *, from_edge: bool = False) -> bool:
        model = self.p.list_model
        count = model.rowCount()
        index = self.p.list.currentIndex()
        current = index.row() if index.isValid() else -1
        if from_edge or current < 0:
            current = -1 if forward else count
        step = 1 if forward else -1
        row = current + step
        for _step in range(UNREAD_SCAN_LIMIT):
            if not 0 <= row < count:
                return False
            data = model.row_data(row)
            if data is not None and not data.read:
                return self.select_row(row)
            row += step
        return False

    def _feeds_with_unread(self, forward: bool) -> list[Node]:
        nodes = [n for n in self.p.tree_model.walk() if n.kind == "feed"]
        if not forward:
            nodes.reverse()
        current = self.p.tree.current_node()
        start = nodes.index(current) + 1 if current in nodes else 0
        return [n for n in nodes[start:] + nodes[:start] if n.count > 0 and n is not current]

    def space(self) -> None:
        reader = self.p.reader
        if reader.article is None or not reader.scroll_page():
            self.next_unread(True)

    def open_in_browser(self) -> None:
        article = self.p.reader.article
        if article is None or not article.url:
            self.p.show_message(_("This article has no web address to open"))
            return
        if not QDesktopServices.openUrl(QUrl(article.url)):
            self.report_no_browser(QUrl(article.url))

    def report_no_browser(self, url: QUrl) -> None:
        self.p.show_message(
            _("No web browser is set up to open {url}").format(url=url.toString()), timeout_ms=15000
        )
