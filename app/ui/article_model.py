"""The article list: ids in display order from `store.query_ids`, rows fetched a page at a time.

Only the ids of a view are loaded when it opens, and with a `background` (the DbExecutor's `submit`)
not even all of them: `set_query` reads the first FIRST_IDS ids and, when that many came back, the
count (together under a millisecond on 100,000 articles, where the whole list takes ~50 ms of the
GUI thread), so rowCount, and with it the scrollbar, is right in the first frame. The full list is
read on the db thread meanwhile; when it arrives for the current query (a newer set_query, reload or
clear bumps `_generation` and makes it stale) and extends the prefix to the counted length, it is
swapped in with dataChanged for the rows past the prefix, no reset; a list that differs (a write landed
in between) is applied as `reload()` applies one (rows inserted at the top, or a reset). Anything that
needs an id past the prefix before then (a row's data or id, `row_of` an id not in the prefix, `ids()`,
`reload()`) reads the full list on the GUI thread first, as without a background, and applies it the
same way (`_complete` -> `_install`); the late result is then ignored. Searches (full-text matching
would run twice) and a model without a background read the full list in `set_query`. A `held` model
(the window's) starts its background read at `release_background()` (after the first paint).

The rows the view paints come from `store.rows` in pages of `PAGE` and are kept in a small LRU cache.
Read/star changes made in the UI are applied to the cache at once, before the write commits.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont

from app.dates import format_date_tooltip, format_list_date
from app.i18n import lazy_gettext
from app.models import ArticleQuery, ArticleRow
from app.ui.icons import icon

log = logging.getLogger(__name__)

PAGE = 200
MAX_PAGES = 60
FIRST_IDS = 2 * PAGE  # ids read in set_query with a background: more rows than any window shows
COLUMNS = ("", lazy_gettext("Title"), lazy_gettext("Feed"), lazy_gettext("Date"))
STAR, TITLE, FEED, DATE = range(4)
ID_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
AI_ROLE = Qt.ItemDataRole.UserRole + 3  # the list marker: "summary", "translation", both or None

Index = QModelIndex | QPersistentModelIndex
_NO_PARENT = QModelIndex()  # the "no parent" default, made once


class RowSource(Protocol):
    def query_ids(self, query: ArticleQuery, *, limit: int | None = None) -> list[int]: ...
    def count_articles(self, query: ArticleQuery) -> int: ...
    def rows(self, ids: Sequence[int]) -> list[ArticleRow]: ...


# DbExecutor.submit: runs fn(store) on the db thread, on_done(result) / on_error(exc) on the GUI thread
Submit = Callable[[Callable[[Any], Any], Callable[[Any], None], Callable[[Exception], None]], None]


class ArticleListModel(QAbstractTableModel):
    query_changed = Signal(object)  # ArticleQuery

    def __init__(
        self,
        store: RowSource,
        parent: QObject | None = None,
        *,
        background: Submit | None = None,
        held: bool = False,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._background = background
        self._held = held  # the background read waits for release_background()
        self._query = ArticleQuery(smart="all")
        self._ids: list[int] = []  # every id, or while `_partial` the first of `_total`
        self._total = 0
        self._partial = False
        self._generation = 0  # of the list: a background result for an older one is stale
        self._positions: dict[int, int] | None = None
        self._pages: OrderedDict[int, dict[int, ArticleRow]] = OrderedDict()
        self._overrides: dict[int, dict[str, bool]] = {}
        self._ai: dict[int, set[str]] = {}  # id -> "summary" / "translation" (read with its page)
        self._queried = False
        self._bold = QFont()
        self._bold.setBold(True)

    # queries ------------------------------------------------------------------------------------
    @property
    def query(self) -> ArticleQuery:
        return self._query

    def set_query(self, query: ArticleQuery) -> None:
        partial = self._background is not None and query.search is None
        ids = self._store.query_ids(query, limit=FIRST_IDS) if partial else self._store.query_ids(query)
        total = len(ids)
        if partial and total == FIRST_IDS:
            total = max(total, self._store.count_articles(query))
        self.beginResetModel()
        self._query = query
        self._queried = True
        self._set_ids(ids, total)
        self._overrides.clear()
        self.endResetModel()
        if self._partial and not self._held:
            self._read_rest()
        self.query_changed.emit(query)

    def reload(self) -> None:
        """Re-run the current query after new articles arrived; new ones at the top keep the view still."""
        self._install(self._store.query_ids(self._query), reread=True)

    def clear(self) -> None:
        """Show nothing (before the store closes: a late repaint must not query a closed connection)."""
        self.beginResetModel()
        self._set_ids([])
        self.endResetModel()

    def release_background(self) -> None:
        """Start background reads (a held model, the window's: after its first paint, as the db thread's
        building of the list would share the GIL with that paint), the current list's first."""
        self._held = False
        if self._partial:
            self._read_rest()

    def is_partial(self) -> bool:
        """Whether only the first ids are loaded (the rest are on their way from the db thread)."""
        return self._partial

    def _set_ids(self, ids: list[int], total: int | None = None) -> None:
        self._ids = ids
        self._total = len(ids) if total is None else total
        self._partial = self._total > len(ids)
        self._generation += 1
        self._positions = None
        self._pages.clear()

    def _read_rest(self) -> None:
        """The current query's full list, read on the db thread, to `_on_full_list`."""
        assert self._background is not None
        generation, query = self._generation, self._query
        self._background(
            lambda store: store.query_ids(query),
            lambda full: self._on_full_list(generation, full),
            lambda exc: log.warning("the article list's ids did not load: %s", exc),
        )

    def _on_full_list(self, generation: int, ids: list[int]) -> None:
        if generation == self._generation and self._partial:
            self._install(ids, reread=False)

    def _complete(self) -> None:
        """Read the rest of a partial list now, on this thread (something needs a row past the prefix)."""
        if self._partial:
            self._install(self._store.query_ids(self._query), reread=False)

    def _install(self, ids: list[int], *, reread: bool) -> None:
        """Make `ids` (the current query's full list) the list, with the least the views must redo: the
        same list (to `_total`, extending the prefix) is swapped in; new ids at the top are inserted;
        anything else resets. `reread`: rows may have changed too (reload), drop the cached pages."""
        known, total = len(self._ids), self._total
        added = len(ids) - total
        if added >= 0 and ids[added : added + known] == self._ids:
            if added:
                self.beginInsertRows(QModelIndex(), 0, added - 1)
                self._set_ids(ids)
                self.endInsertRows()
                return
            pages = OrderedDict((n, p) for n, p in self._pages.items() if (n + 1) * PAGE <= known)
            self._set_ids(ids)
            if not reread:  # the pages read so far stay right (a page cut at the prefix is read again)
                self._pages = pages
            first = 0 if reread else known
            if first < len(ids):
                self.dataChanged.emit(self.index(first, 0), self.index(len(ids) - 1, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self._set_ids(ids)
        self.endResetModel()

    # lookups ------------------------------------------------------------------------------------
    def article_id(self, row: int) -> int | None:
        if self._partial and len(self._ids) <= row < self._total:
            self._complete()
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def ids(self) -> list[int]:
        self._complete()
        return list(self._ids)

    def row_of(self, article_id: int) -> int | None:
        if self._positions is None:
            self._positions = {aid: i for i, aid in enumerate(self._ids)}
        row = self._positions.get(article_id)
        if row is None and self._partial:
            self._complete()
            return self.row_of(article_id)
        return row

    def row_data(self, row: int) -> ArticleRow | None:
        if self._partial and len(self._ids) <= row < self._total:
            self._complete()
        if not 0 <= row < len(self._ids):
            return None
        page_no = row // PAGE
        page = self._pages.get(page_no)
        if page is None:
            page = self._load_page(page_no)
        else:
            self._pages.move_to_end(page_no)
        found = page.get(self._ids[row])
        if found is None:
            return None
        override = self._overrides.get(found.id)
        return dataclasses.replace(found, **override) if override else found

    def _load_page(self, page_no: int) -> dict[int, ArticleRow]:
        ids = self._ids[page_no * PAGE : (page_no + 1) * PAGE]
        page = {row.id: row for row in self._store.rows(ids)}
        for aid in self._store.latest_summaries(ids):
            self._ai.setdefault(aid, set()).add("summary")
        for aid in self._store.latest_translations(ids):
            self._ai.setdefault(aid, set()).add("translation")
        self._pages[page_no] = page
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        return page

    # local edits (the write goes to the DbExecutor; this keeps the view honest meanwhile) -------
    def set_flag(self, article_ids: Iterable[int], name: str, value: bool) -> None:
        assert name in ("read", "starred")
        for aid in article_ids:
            self._overrides.setdefault(aid, {})[name] = value
            row = self.row_of(aid)
            if row is not None:
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def mark_ai(self, article_id: int, kind: str) -> None:
        """`article_id` now has a summary or translation ("summary", "translation"): its row shows the marker."""
        self._ai.setdefault(article_id, set()).add(kind)
        row = self.row_of(article_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def set_titles(self, titles: dict[int, str]) -> None:
        """Show these titles instead of the stored ones (the list's titles translated) until the next query."""
        for aid, title in titles.items():
            self._overrides.setdefault(aid, {})["title"] = title
            row = self.row_of(aid)
            if row is not None:
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    # Qt model interface -------------------------------------------------------------------------
    def rowCount(self, parent: Index = _NO_PARENT) -> int:
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: Index = _NO_PARENT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def index(self, row: int, column: int, parent: Index = _NO_PARENT) -> QModelIndex:
        # Qt's own index() asks rowCount and columnCount first: two calls into Python for each row that
        # the tree view lays out (all of them, 100,000 at the first paint of a big feed); one call here
        if parent.isValid() or not (0 <= row < self._total and 0 <= column < len(COLUMNS)):
            return QModelIndex()
        return self.createIndex(row, column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return str(COLUMNS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == ID_ROLE:
            return self.article_id(index.row())
        row = self.row_data(index.row())
        if row is None:
            return None
        col = index.column()
        if role == ROW_ROLE:
            return row
        if role == AI_ROLE:
            kinds = self._ai.get(row.id)
            return ", ".join(sorted(kinds)) if kinds else None
        if role == Qt.ItemDataRole.DisplayRole:
            if col == TITLE:
                return row.title or "(untitled)"
            if col == FEED:
                return row.feed_title
            if col == DATE:
                return format_date(row.published)
            return None
        if role == Qt.ItemDataRole.DecorationRole and col == STAR:
            return icon("starred") if row.starred else (None if row.read else icon("unread"))
        if role == Qt.ItemDataRole.FontRole and not row.read:
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole and col == TITLE:
            tip = f"{row.title}\n{row.feed_title}" if row.feed_title else row.title
            kinds = self._ai.get(row.id)
            return f"{tip}\nAI: {', '.join(sorted(kinds))}" if kinds else tip
        if role == Qt.ItemDataRole.ToolTipRole and col == DATE and row.published:
            return format_date_tooltip(row.published)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        sort = sort_for_column(column, order)
        if sort is not None:
            self.set_sort(sort)

    def set_sort(self, sort: str) -> None:
        """Order the list by `sort` (one of SORTS). Before the first query only remembers it (no query runs)."""
        if sort not in SORTS or sort == self._query.sort:
            return
        if not self._queried:
            self._query = dataclasses.replace(self._query, sort=sort)
            return
        self.set_query(dataclasses.replace(self._query, sort=sort))


SORTS = ("newest", "oldest", "title", "feed")


def sort_for_column(column: int, order: Qt.SortOrder) -> str | None:
    """The header's sort indicator as a store sort order (the star column does not sort)."""
    if column == TITLE:
        return "title"
    if column == FEED:
        return "feed"
    if column == DATE:
        return "oldest" if order == Qt.SortOrder.AscendingOrder else "newest"
    return None


def column_for_sort(sort: str) -> tuple[int, Qt.SortOrder]:
    """Where the header shows `sort`: newest first is the Date column descending."""
    ascending = Qt.SortOrder.AscendingOrder
    return {"title": (TITLE, ascending), "feed": (FEED, ascending), "oldest": (DATE, ascending)}.get(
        sort, (DATE, Qt.SortOrder.DescendingOrder)
    )


def format_date(moment: datetime | None, now: datetime | None = None) -> str:
    """Today: "14:05"; this year: "3 May"; older: "3 May 2021" (in the interface's language: app/dates.py)."""
    return format_list_date(moment, now)
