"""The article list's own actions: Copy link, mark above / below as read, and the Sort menu.

Open in browser is WindowActions.open_browser (the list's context menu and the Article menu share it).
The sort order is a view option like hide-read or the reading size: it lives in window.ini (list/sort),
and the header's sort indicator and the View → Sort menu always show the same order.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QIcon, QKeySequence
from PySide6.QtWidgets import QMenu

from app.i18n import _, lazy_gettext, ngettext
from app.models import ArticleQuery
from app.ui.article_model import SORTS, column_for_sort
from app.ui.marking import ArticleMarks
from app.ui.operations import ARTICLE_FLAGS
from app.ui.window_parts import WindowParts

SORT_LABELS = {
    "newest": lazy_gettext("Newest first"),
    "oldest": lazy_gettext("Oldest first"),
    "title": lazy_gettext("By title"),
    "feed": lazy_gettext("By feed"),
}
SORT_KEY = "list/sort"


class ListActions:
    def __init__(self, parts: WindowParts, marks: ArticleMarks) -> None:
        self.p = parts
        self._marks = marks
        window = parts.host
        self.copy_link = QAction(QIcon.fromTheme("edit-copy"), _("Copy link"), window)
        self.copy_link.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.copy_link.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.copy_link.setToolTip(_("Copy the web address of the article (Ctrl+Shift+C)"))
        self.copy_link.triggered.connect(lambda _c=False: self.copy_links())
        self.mark_above = QAction(_("Mark above as read"), window)
        self.mark_above.triggered.connect(lambda _c=False: self.mark_side_read(above=True))
        self.mark_below = QAction(_("Mark below as read"), window)
        self.mark_below.triggered.connect(lambda _c=False: self.mark_side_read(above=False))
        window.addAction(self.copy_link)
        self.sort_menu = QMenu(_("Sort articles"))
        self.sort_group = QActionGroup(window)
        self.sort_actions: dict[str, QAction] = {}
        for sort in SORTS:
            action = self.sort_menu.addAction(str(SORT_LABELS[sort]))
            action.setCheckable(True)
            action.setActionGroup(self.sort_group)
            action.triggered.connect(lambda _c=False, s=sort: self.set_sort(s))
            self.sort_actions[sort] = action
        parts.list_model.query_changed.connect(self._on_query_changed)
        saved = str(parts.window_store().value(SORT_KEY, "newest"))
        self._saved = saved if saved in SORTS else "newest"
        self.set_sort(self._saved, save=False)

    # links ----------------------------------------------------------------------------------------
    def links(self) -> list[str]:
        """The web addresses of the selected articles (the reader's article when nothing is selected)."""
        model = self.p.list_model
        rows = (
            model.row_data(r) for r in (model.row_of(i) for i in self._marks.target_ids()) if r is not None
        )
        urls = [row.url for row in rows if row is not None and row.url]
        reader = self.p.reader
        if not urls and reader.article is not None and reader.article.url:
            urls = [reader.article.url]
        return urls

    def copy_links(self) -> None:
        urls = self.links()
        if not urls:
            self.p.show_message(_("This article has no web address to copy"))
            return
        QGuiApplication.clipboard().setText("\n".join(urls))
        self.p.show_message(ngettext("Link copied", "{n} links copied", len(urls)).format(n=len(urls)))

    # marking --------------------------------------------------------------------------------------
    def side_ids(self, *, above: bool) -> list[int]:
        """The articles listed above (or below) the current one, in display order, the current one excluded."""
        current = self.p.list.currentIndex()
        if not current.isValid():
            return []
        ids = self.p.list_model.ids()
        row = current.row()
        return ids[:row] if above else ids[row + 1 :]

    def mark_side_read(self, *, above: bool) -> None:
        """Mark every unread article above / below the current one read, with Undo."""
        chosen = self.side_ids(above=above)
        description = _("Mark above as read") if above else _("Mark below as read")
        if not chosen:
            nothing = _("nothing above this article") if above else _("nothing below this article")
            self.p.show_message(_("{action}: {nothing}").format(action=description, nothing=nothing))
            return
        query = dataclasses.replace(self.p.list_model.query, unread_only=True)

        def job(store: Any) -> list[int]:
            wanted = set(chosen)
            ids = [i for i in store.query_ids(query) if i in wanted]
            store.mark_read(ids, True)
            return ids

        def done(ids: list[int]) -> None:
            self.p.list_model.set_flag(ids, "read", True)
            self._marks.remember_undo(description, ids)

        self.p.op(job, ARTICLE_FLAGS).success(done).run_in_background()

    # sorting --------------------------------------------------------------------------------------
    def sort(self) -> str:
        return self.p.list_model.query.sort

    def set_sort(self, sort: str, *, save: bool = True) -> None:
        if sort not in SORTS:
            return
        self.p.list_model.set_sort(sort)
        self._show_sort(sort)
        if save:
            self._save(sort)

    def _on_query_changed(self, query: ArticleQuery) -> None:
        """A header click (or any new query) changed the order: the menu and window.ini follow."""
        self._show_sort(query.sort)
        if query.sort != self._saved:
            self._save(query.sort)

    def _show_sort(self, sort: str) -> None:
        action = self.sort_actions.get(sort)
        if action is not None and not action.isChecked():
            action.setChecked(True)
        header = self.p.list.header()
        column, order = column_for_sort(sort)
        if header.sortIndicatorSection() != column or header.sortIndicatorOrder() != order:
            header.blockSignals(True)  # only the indicator: the model already has this order
            header.setSortIndicator(column, order)
            header.blockSignals(False)
            header.viewport().update()

    def _save(self, sort: str) -> None:
        self._saved = sort
        store = self.p.window_store()
        store.setValue(SORT_KEY, sort)
        store.sync()

    def fill_context_menu(self, menu: QMenu) -> None:
        menu.addAction(self.copy_link)
        menu.addSeparator()
        menu.addAction(self.mark_above)
        menu.addAction(self.mark_below)
