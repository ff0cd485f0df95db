"""The main window: feed tree | article list | reader (with room for side panels), toolbar, status bar.

Reading and navigation live here; feed/folder management is in `library_actions`, the keyboard map
in `window_actions`. Writes go to the DbExecutor; the models only read.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QSettings,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.config import Key
from app.models import ArticleQuery, Folder
from app.ui.article_list_view import ArticleListView
from app.ui.article_model import ArticleListModel
from app.ui.favicons import FaviconLoader
from app.ui.feed_banner import FeedBanner
from app.ui.feed_tree_model import FeedTreeModel, Node
from app.ui.feed_tree_view import FeedTreeView
from app.ui.icons import app_icon
from app.ui.layout import PaneLayout
from app.ui.reader_pane import DEFAULT_FONT_PX, MAX_FONT_PX, MIN_FONT_PX, ReaderPane
from app.ui.theme import ThemeColours
from app.ui.ui_context import UiContext
from app.ui.window_actions import WindowActions

log = logging.getLogger(__name__)

SEARCH_DELAY_MS = 250
LIVE_UPDATE_MS = 250  # counts/list follow a running refresh at most this often
WEB_READER_DELAY_MS = 0  # after the first paint
UNREAD_SCAN_LIMIT = 5000  # rows looked at for the next unread before moving on to the next feed


def row_counts(store: Any) -> dict[str, int]:
    """What the smart rows show: unread articles (All, Unread, Today), and Starred its starred articles."""
    unread = store.count_articles(ArticleQuery(smart="unread"))
    return {
        "all": unread,
        "unread": unread,
        "today": store.count_articles(ArticleQuery(smart="today", unread_only=True)),
        "starred": store.count_articles(ArticleQuery(smart="starred")),
    }


class MainWindow(QMainWindow):
    refresh_requested = Signal(object)  # list[int] of feed ids, or None for all
    unread_changed = Signal(int)
    library_changed = Signal()
    close_requested = Signal()  # the user closed the window (the controller decides: tray or quit)
    quit_requested = Signal()
    settings_changed = Signal()

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Hearth")
        self.setWindowIcon(app_icon())
        self.undo_stack: list[tuple[str, list[int]]] = []
        self._sort = "newest"
        self._base_query = ArticleQuery(smart="all")
        self._restoring = False
        self._list_stale = False
        self._live_timer = QTimer(self, singleShot=True, interval=LIVE_UPDATE_MS)
        self._live_timer.timeout.connect(self._apply_live_update)
        self._message_timer = QTimer(self, singleShot=True)

        self.tree_model = FeedTreeModel(self)
        self.tree = FeedTreeView()
        self.tree.setModel(self.tree_model)
        self.list_model = ArticleListModel(ctx.store, self)
        self.list = ArticleListView()
        self.list.setModel(self.list_model)
        self.list.setup_header()
        self.reader = ReaderPane(ctx.resources)
        self._restore_reader_prefs()
        self.reader.font_size_changed.connect(self._on_font_size_changed)
        self.reader.no_browser.connect(self._on_no_browser)
        self._painted = False
        self.favicons = FaviconLoader(ctx.resources, self.tree_model.set_feed_icon)

        self.banner = FeedBanner(lambda feed_id: self.refresh_requested.emit([feed_id]), self._edit_address)
        list_box = QWidget()
        box = QVBoxLayout(list_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.banner)
        box.addWidget(self.list)
        self.panes = PaneLayout(self, self.tree, self.list, self.reader, list_box)
        self.splitter = self.panes.main
        self.reader_splitter = self.panes.reader_area
        self.side_panels: QTabWidget | None = None
        self.setCentralWidget(self.splitter)

        self.search = QLineEdit()
        self.search.setObjectName("searchBox")
        self.search.setPlaceholderText("Search articles  ( / )")
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self._apply_search)

        self._build_status_bar()
        self.actions_ = WindowActions(self)
        from app.ui.library_actions import LibraryActions

        self.library = LibraryActions(self)
        self.actions_.build_menus_and_toolbar()

        self.tree.selectionModel().currentChanged.connect(self._on_tree_current_changed)
        self.list.selectionModel().currentChanged.connect(self._on_article_current_changed)
        self.list.doubleClicked.connect(lambda _i: self.open_in_browser())
        self.tree_model.moved.connect(self.library.move_items)
        self.tree.context_menu_requested.connect(self.library.show_tree_menu)
        self.list.context_menu_requested.connect(self.actions_.show_article_menu)
        self.ctx.db.failed.connect(self.show_message)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not getattr(self, "_painted", True):
            self._painted = True
            # the web reader (QtWebEngine) is built once the window is on screen, not before
            QTimer.singleShot(WEB_READER_DELAY_MS, self.reader.enable_web)
        return super().event(event)

    def _window_store(self) -> QSettings:
        return QSettings(str(self.ctx.paths.data_dir / "window.ini"), QSettings.Format.IniFormat)

    def _restore_reader_prefs(self) -> None:
        """Reading size and remote images live with the window's layout (window.ini), not in settings.json."""
        store = self._window_store()
        try:
            px = int(str(store.value("reader/font_px", DEFAULT_FONT_PX)))
        except ValueError:
            px = DEFAULT_FONT_PX
        self.reader.font_px = max(MIN_FONT_PX, min(MAX_FONT_PX, px))
        self.reader.text_view.set_font_px(self.reader.font_px)
        self.reader.remote_images = str(store.value("reader/remote_images", "true")) == "true"

    def set_remote_images(self, on: bool) -> None:
        self.reader.set_remote_images(on)
        store = self._window_store()
        store.setValue("reader/remote_images", "true" if on else "false")
        store.sync()

    def _on_font_size_changed(self, px: int) -> None:
        store = self._window_store()
        store.setValue("reader/font_px", px)
        store.sync()
        self.show_message(f"Reading size {px} px (Ctrl+0 resets)")

    def _edit_address(self) -> None:
        self.library.edit_current()

    def _on_no_browser(self, url: QUrl) -> None:
        self.show_message(f"No web browser is set up to open {url.toString()}", timeout_ms=15000)

    # layout -------------------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.status_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.undo_button = QPushButton("Undo")
        self.undo_button.setFlat(True)
        self.undo_button.hide()
        self.undo_button.clicked.connect(self.undo)
        self._message_timer.timeout.connect(self.status_label.clear)
        bar.addWidget(self.status_label, 1)
        self.last_refresh_label = QLabel("")
        self.last_refresh_label.setObjectName("lastRefresh")
        bar.addPermanentWidget(self.undo_button)
        bar.addPermanentWidget(self.last_refresh_label)
        bar.addPermanentWidget(self.progress)

    def add_side_panel(self, widget: QWidget, title: str) -> None:
        """Put `widget` beside the reader (a tab per panel), e.g. the AI panel. The panels start hidden
        (the reader keeps its width); View → Side panel (Ctrl+I) or the toolbar button shows them."""
        if self.side_panels is None:
            self.side_panels = QTabWidget()
            self.side_panels.setDocumentMode(True)
            self.side_panels.setTabBarAutoHide(True)  # one panel needs no tab bar of its own
            self.panes.add_side(self.side_panels)
            self.side_panel_action = QAction(title, self, checkable=True)
            self.side_panel_action.setShortcut(QKeySequence("Ctrl+I"))
            self.side_panel_action.setToolTip(f"Show or hide the {title} panel beside the reader (Ctrl+I)")
            self.side_panel_action.toggled.connect(self.set_side_panel_visible)
            self.actions_.add_side_panel_toggle(self.side_panel_action)
            store = QSettings(str(self.ctx.paths.data_dir / "window.ini"), QSettings.Format.IniFormat)
            self.side_panel_action.setChecked(store.value("side_panel_visible", "false") == "true")
            self.set_side_panel_visible(self.side_panel_action.isChecked())
        self.side_panels.addTab(widget, title)

    def set_side_panel_visible(self, visible: bool) -> None:
        """Show or hide the side panels; the reader keeps at least READER_MIN px (see layout)."""
        if self.side_panels is None:
            return
        self.panes.show_side(visible)
        if self.side_panel_action.isChecked() != visible:
            self.side_panel_action.setChecked(visible)

    def apply_colours(self, colours: ThemeColours) -> None:
        self.reader.set_colours(colours)

    def save_layout(self) -> None:
        store = QSettings(str(self.ctx.paths.data_dir / "window.ini"), QSettings.Format.IniFormat)
        store.setValue("geometry", self.saveGeometry())
        store.setValue("state", self.saveState())
        for key, value in self.panes.save_state().items():
            store.setValue(key, value)
        if self.side_panels is not None:
            store.setValue("side_panel_visible", "true" if self.side_panel_action.isChecked() else "false")
        store.setValue("list_header", self.list.header().saveState())
        store.sync()

    def restore_layout(self) -> bool:
        store = QSettings(str(self.ctx.paths.data_dir / "window.ini"), QSettings.Format.IniFormat)
        geometry = store.value("geometry")
        if not isinstance(geometry, QByteArray):
            self.resize(1300, 820)
            return False
        self.restoreGeometry(geometry)
        self.panes.restore_state(
            {k: v for k in self.panes.save_state() if isinstance(v := store.value(k), QByteArray)}
        )
        for key, target in (
            ("state", self.restoreState),
            ("list_header", self.list.header().restoreState),
        ):
            value = store.value(key)
            if isinstance(value, QByteArray):
                target(value)
        return True

    def close_down(self) -> None:
        """Before the store closes: stop timers and show nothing, so nothing late queries it."""
        self._search_timer.stop()
        self._live_timer.stop()
        self._message_timer.stop()
        self.search.blockSignals(True)
        self.hide()
        self.list_model.clear()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        event.ignore()
        self.close_requested.emit()

    # loading ------------------------------------------------------------------------------------
    def reload_library(self) -> None:
        """Reload folders and feeds (after an edit), keeping the selection and open folders."""

        def load(store: Any) -> tuple[list[Folder], list[Any], dict[str, Any]]:
            from app.ui.feed_status import site_of

            feeds = store.list_feeds()
            sites = {}
            for site in {site_of(f) for f in feeds} - {None}:
                state = store.get_site_state(site)
                if state is not None:
                    sites[site] = state
            return store.list_folders(), feeds, sites

        self.ctx.db.submit(load, self._on_library_loaded)

    def _on_library_loaded(self, result: tuple[list[Folder], list[Any], dict[str, Any]]) -> None:
        folders, feeds, sites = result
        current = self.tree.current_node()
        key = (current.kind, current.key) if current else ("smart", "all")
        expanded = {
            n.key
            for n in self.tree_model.walk()
            if n.kind == "folder" and self.tree.isExpanded(self.tree_model.index_for(n))
        }
        first_load = not self.tree_model.feeds() and not self.tree_model.folders()
        self._restoring = True
        self.tree_model.set_library(folders, feeds, sites)
        for node in self.tree_model.walk():
            if node.kind == "folder" and (first_load or node.key in expanded):
                self.tree.setExpanded(self.tree_model.index_for(node), True)
        index = self.tree_model.index_of(*key)
        if not index.isValid():
            index = self.tree_model.index_of("smart", "all")
        self.tree.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self._restoring = False
        if current is None or (current.kind, current.key) != key or first_load:
            self._on_tree_current_changed(index, QModelIndex())
        self.favicons.load(feeds)
        self.banner.show_for(self.tree.current_node())
        if self.reader.article is None:
            if feeds:
                self.reader.show_placeholder()
            else:
                self.reader.show_welcome()
        self.refresh_counts()
        self.library_changed.emit()

    def refresh_counts(self) -> None:
        self.ctx.db.submit(lambda store: (store.unread_counts(), row_counts(store)), self._on_counts)

    def _on_counts(self, result: tuple[dict[int, int], dict[str, int]]) -> None:
        unread, smart = result
        self.tree_model.set_counts(unread, smart)
        total = smart.get("unread", sum(unread.values()))
        self.setWindowTitle(f"[{total}] Hearth" if total else "Hearth")
        self.unread_changed.emit(total)

    def on_feed_refreshed(self, feed_id: int, new_articles: int) -> None:
        """A refresh committed a feed: counts and (if it shows that feed and it grew) the list update
        soon; feeds committed close together share one update."""
        if new_articles and self._query_includes(feed_id):
            self._list_stale = True
        if not self._live_timer.isActive():
            self._live_timer.start()

    def _apply_live_update(self) -> None:
        self.refresh_counts()
        if self._list_stale:
            self._list_stale = False
            self.list_model.reload()

    def _query_includes(self, feed_id: int) -> bool:
        q = self.list_model.query
        if q.search:
            return False
        if q.feed_ids is not None:
            return feed_id in q.feed_ids
        if q.folder_id is not None:
            node = self.tree_model._folders.get(q.folder_id)
            return node is not None and feed_id in self.tree_model.feed_ids_under(node)
        return q.smart in ("all", "unread", "today")

    # choosing what the list shows -----------------------------------------------------------------
    def _on_tree_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._restoring:
            return
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
        self._base_query = query
        self.show_query(query)

    def show_query(self, query: ArticleQuery) -> None:
        hide_read = (
            self.ctx.settings.get(Key.UI_HIDE_READ) and query.smart != "starred" and not query.search
        )
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
        what = f"matching “{q.search}”" if q.search else ("unread" if q.unread_only else "")
        self.show_message(f"{n:,} article{'' if n == 1 else 's'} {what}".strip(), timeout_ms=0)

    def set_hide_read(self, hide: bool) -> None:
        self.ctx.settings.set(Key.UI_HIDE_READ, hide)
        self.ctx.save_settings()
        self.show_query(self.list_model.query if self.list_model.query.search else self._base_query)

    def _apply_search(self) -> None:
        self._search_timer.stop()
        text = self.search.text().strip()
        if text:
            self.show_query(ArticleQuery(search=text))
        elif self.list_model.query.search:
            self.show_query(self._base_query)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # the current article --------------------------------------------------------------------------
    def _on_article_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        article_id = self.list_model.article_id(current.row()) if current.isValid() else None
        if article_id is None:
            self.reader.show_placeholder()
            return
        try:
            article = self.ctx.store.get_article(article_id)
        except Exception as exc:  # the article was deleted by retention meanwhile
            log.info("article %s vanished: %s", article_id, exc)
            self.reader.show_placeholder("This article is no longer in the library.")
            return
        feed = self.tree_model.feed(article.feed_id)
        self.reader.show_article(article, feed.title if feed else "")
        if not article.read and self.ctx.settings.get(Key.UI_MARK_READ_ON_SELECT):
            self.set_read([article_id], True)

    def current_article_id(self) -> int | None:
        return self.list.current_id()

    def select_row(self, row: int) -> bool:
        if not 0 <= row < self.list_model.rowCount():
            return False
        index = self.list_model.index(row, 1)
        self.list.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.list.scrollTo(index)
        return True

    def select_article(self, article_id: int) -> bool:
        row = self.list_model.row_of(article_id)
        return row is not None and self.select_row(row)

    # marking --------------------------------------------------------------------------------------
    def target_ids(self) -> list[int]:
        return self.list.selected_ids() or ([i] if (i := self.current_article_id()) is not None else [])

    def set_read(self, ids: list[int], read: bool) -> None:
        if not ids:
            return
        self.list_model.set_flag(ids, "read", read)
        self.ctx.db.submit(lambda store: store.mark_read(ids, read), lambda _n: self.refresh_counts())

    def set_starred(self, ids: list[int], starred: bool) -> None:
        if not ids:
            return
        self.list_model.set_flag(ids, "starred", starred)
        self.ctx.db.submit(lambda store: store.star(ids, starred), lambda _n: self.refresh_counts())

    def toggle_read(self) -> None:
        ids = self.target_ids()
        rows = [
            self.list_model.row_data(r) for r in (self.list_model.row_of(i) for i in ids) if r is not None
        ]
        if rows:
            self.set_read(ids, not all(r.read for r in rows if r))

    def toggle_star(self) -> None:
        ids = self.target_ids()
        rows = [
            self.list_model.row_data(r) for r in (self.list_model.row_of(i) for i in ids) if r is not None
        ]
        if rows:
            self.set_starred(ids, not all(r.starred for r in rows if r))

    def remember_undo(self, description: str, ids: list[int]) -> None:
        if not ids:
            self.show_message(f"{description}: nothing was unread")
            return
        self.undo_stack.append((description, ids))
        self.undo_button.setText(f"Undo “{description}”")
        self.undo_button.show()
        self.actions_.undo.setEnabled(True)
        self.show_message(f"{description}: {len(ids):,} articles")

    def undo(self) -> None:
        if not self.undo_stack:
            return
        description, ids = self.undo_stack.pop()
        self.list_model.set_flag(ids, "read", False)
        self.ctx.db.submit(lambda store: store.mark_read(ids, False), lambda _n: self.refresh_counts())
        self.show_message(f"Undone: {description}")
        if not self.undo_stack:
            self.undo_button.hide()
            self.actions_.undo.setEnabled(False)
        else:
            self.undo_button.setText(f"Undo “{self.undo_stack[-1][0]}”")

    # navigation -----------------------------------------------------------------------------------
    def next_article(self, step: int = 1) -> bool:
        row = self.list.currentIndex().row() if self.list.currentIndex().isValid() else -1
        return self.select_row(max(0, row + step) if row >= 0 or step > 0 else 0)

    def next_unread(self, forward: bool = True) -> bool:
        """The next unread article in this list; at its end, the next feed with unread articles."""
        if self._select_unread_in_list(forward):
            return True
        for node in self._feeds_with_unread(forward):
            self.tree.setCurrentIndex(self.tree_model.index_for(node))
            if self._select_unread_in_list(forward, from_edge=True):
                return True  # (counts may lag a write by a moment: a feed without unread is skipped)
        self.show_message("No more unread articles")
        return False

    def _select_unread_in_list(self, forward: bool, *, from_edge: bool = False) -> bool:
        count = self.list_model.rowCount()
        current = self.list.currentIndex().row() if self.list.currentIndex().isValid() else -1
        if from_edge or current < 0:
            current = -1 if forward else count
        step = 1 if forward else -1
        row = current + step
        for _ in range(UNREAD_SCAN_LIMIT):
            if not 0 <= row < count:
                return False
            data = self.list_model.row_data(row)
            if data is not None and not data.read:
                return self.select_row(row)
            row += step
        return False

    def _feeds_with_unread(self, forward: bool) -> list[Node]:
        nodes = [n for n in self.tree_model.walk() if n.kind == "feed"]
        if not forward:
            nodes.reverse()
        current = self.tree.current_node()
        start = nodes.index(current) + 1 if current in nodes else 0
        return [n for n in nodes[start:] + nodes[:start] if n.count > 0 and n is not current]

    def space(self) -> None:
        if self.reader.article is None or not self.reader.scroll_page():
            self.next_unread(True)

    def open_in_browser(self) -> None:
        article = self.reader.article
        if article is None or not article.url:
            self.show_message("This article has no web address to open")
            return
        if not QDesktopServices.openUrl(QUrl(article.url)):
            self._on_no_browser(QUrl(article.url))

    def current_feed_ids(self) -> list[int]:
        node = self.tree.current_node()
        if node is None or node.kind == "smart":
            return []
        return self.tree_model.feed_ids_under(node)

    def refresh_current(self) -> None:
        ids = self.current_feed_ids()
        self.refresh_requested.emit(ids or None)

    # status -------------------------------------------------------------------------------------
    def show_message(self, text: str, timeout_ms: int = 8000) -> None:
        self.status_label.setText(text)
        self._message_timer.stop()
        if timeout_ms:
            self._message_timer.start(timeout_ms)

    def show_progress(self, done: int, total: int, title: str) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done}/{total}")
        self.progress.setVisible(done < total)
        if title and done < total:
            self.status_label.setText(f"Refreshing… {title}")
