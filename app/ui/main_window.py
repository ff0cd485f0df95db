"""The main window: feed tree | article list | reader (with room for side panels), toolbar, status bar.

The window composes its parts and owns its layout; what the list shows (the tree's selection, search,
hide-read) is its ListScope (list_scope); the action groups it builds (library_actions, window_actions,
list_actions, marking, navigation) receive `WindowParts` and never import the window. Writes are store operations
(app/ui/operations.py); `view_updates` refreshes the views after each one.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QEvent, QModelIndex, QPoint, QSettings, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QTabWidget, QVBoxLayout, QWidget

from app.config import Key
from app.i18n import _
from app.ui.article_list_view import ArticleListView
from app.ui.article_model import ArticleListModel
from app.ui.dialogs.holder import Dialogs
from app.ui.favicons import FaviconLoader
from app.ui.feed_banner import FeedBanner
from app.ui.feed_tree_model import FeedTreeModel, Node
from app.ui.feed_tree_view import FeedTreeView
from app.ui.icons import app_icon
from app.ui.layout import PaneLayout
from app.ui.library_actions import LibraryActions
from app.ui.list_scope import ListScope
from app.ui.marking import ArticleMarks
from app.ui.navigation import ArticleNavigation
from app.ui.reader_pane import DEFAULT_FONT_PX, MAX_FONT_PX, MIN_FONT_PX, ReaderPane
from app.ui.status_line import StatusLine
from app.ui.theme import ThemeColours
from app.ui.ui_context import UiContext
from app.ui.view_updates import ViewUpdates
from app.ui.window_actions import WindowActions
from app.ui.window_menus import build_menus, show_article_menu, show_tree_menu
from app.ui.window_parts import WindowParts, window_store

log = logging.getLogger(__name__)

WEB_READER_DELAY_MS = 0  # after the first paint
LIBRARY_WAIT_MS = 2000  # the after-paint work waits this long at most for the library


class MainWindow(QMainWindow):
    refresh_requested = Signal(object)  # list[int] of feed ids, or None for all
    unread_changed = Signal(int)
    library_changed = Signal()
    close_requested = Signal()  # the user closed the window (the controller decides: tray or quit)
    quit_requested = Signal()
    settings_changed = Signal()
    # once, when the window has painted and shown the library: what it can do without is built then
    painted = Signal()

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(_("Hearth"))
        self.setWindowIcon(app_icon())
        self._painted = False
        self._waiting_for = {"paint", "library"}  # before the after-paint work (see _settle)
        self.settled = False  # the after-paint work has run (the AI panel, the web reader)

        self.tree_model = FeedTreeModel(self)
        self.tree = FeedTreeView()
        self.tree.setModel(self.tree_model)
        self.list_model = ArticleListModel(ctx.store, self, background=ctx.db.submit, held=True)
        self.painted.connect(self.list_model.release_background)  # the list's ids past its first 400
        self.list = ArticleListView()
        self.list.setModel(self.list_model)
        self.list.setup_header()
        self.reader = ReaderPane(ctx.resources)
        self.list.use_previews(ctx, lambda: self.reader.remote_images)  # snippets, thumbnails (issue 13)
        self._restore_reader_prefs()
        self.favicons = FaviconLoader(
            ctx.resources, self.tree_model.set_feed_icon, hold=True
        )  # until painted
        self.banner = FeedBanner(lambda feed_id: self.refresh_requested.emit([feed_id]), self._edit_address)
        self.panes = self._build_panes()
        self.splitter = self.panes.main
        self.reader_splitter = self.panes.reader_area
        self.side_panels: QTabWidget | None = None
        self.side_panel_action: QAction | None = None
        self.setCentralWidget(self.splitter)
        self.scope = ListScope(
            self, ctx, self.tree_model, self.list, self.list_model, self.reader, self.banner, self.panes,
            self.show_message,
        )  # fmt: skip
        self.search = self.scope.search
        # its clear button shows only over text, and finding the icon theme's "edit-clear" costs ~8 ms on X
        self.painted.connect(lambda: self.search.setClearButtonEnabled(True))

        self.status = StatusLine(self.statusBar())
        self.status_label = self.status.label
        self.progress = self.status.progress
        self.undo_button = self.status.undo_button
        self.last_refresh_label = self.status.last_refresh
        self.dialogs = Dialogs()
        self.parts = WindowParts(
            self, ctx, self.tree, self.tree_model, self.list, self.list_model, self.reader, self.search,
            self.status, self.dialogs,
        )  # fmt: skip
        self.views = ViewUpdates(
            self.parts, self.banner, self.favicons, self.scope.show_node, lambda: self.scope.shown_node
        )
        self.views.unread_changed.connect(self.unread_changed)
        self.views.library_changed.connect(self.library_changed)
        self.views.library_changed.connect(lambda: self._settle("library"))
        self.marks = ArticleMarks(self.parts)
        self.undo_stack = self.marks.undo_stack
        self.marks.undo_changed.connect(self.status.show_undo)
        self.undo_button.clicked.connect(self.marks.undo)
        self.nav = ArticleNavigation(self.parts)
        self.library = LibraryActions(
            self.parts,
            self.marks,
            request_refresh=self.request_refresh,
            reload_library=self.reload_library,
            settings_saved=self.settings_changed.emit,
        )
        self.actions_ = WindowActions(
            self.parts,
            self,
            self.nav,
            self.marks,
            mark_all_read=lambda: self.library.mark_all_read(),
            sheet_extra=(self.library.add_feed_action, self.library.settings_action),
        )
        self.menus = build_menus(self, self.actions_, self.library, self.search)

        self.reader.font_size_changed.connect(self._on_font_size_changed)
        self.reader.no_browser.connect(self.nav.report_no_browser)
        self.tree.selectionModel().currentChanged.connect(self._on_tree_current_changed)
        self.list.selectionModel().currentChanged.connect(self._on_article_current_changed)
        self.list.doubleClicked.connect(lambda _i: self.nav.open_in_browser())
        self.tree_model.moved.connect(self.library.move_items)
        self.tree.context_menu_requested.connect(self._show_tree_menu)
        self.list.context_menu_requested.connect(self._show_article_menu)
        self.ctx.db.failed.connect(self.show_message)

    def _build_panes(self) -> PaneLayout:
        list_box = QWidget()
        box = QVBoxLayout(list_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.banner)
        box.addWidget(self.list)
        return PaneLayout(self, self.tree, self.list, self.reader, list_box)

    def _show_tree_menu(self, node: Node | None, pos: QPoint) -> None:
        show_tree_menu(self, self.actions_, self.library, node, pos)

    def _show_article_menu(self, pos: QPoint) -> None:
        show_article_menu(self, self.actions_, bool(self.marks.target_ids()), pos)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not getattr(self, "_painted", True):
            self._painted = True
            self._settle("paint")
            # a library that failed to load: the rest comes all the same (not after the window is gone)
            QTimer.singleShot(LIBRARY_WAIT_MS, self, lambda: self._settle("library"))
        return super().event(event)

    def _settle(self, what: str) -> None:
        """Once the window is on screen and the library is in the tree and the list (a background load, after
        an error at launch, would otherwise wait behind that work with the list empty): the AI panel and its
        toolbar buttons (painted's slots, ~0.06 s), favicon downloads, then the web reader (the slowest)."""
        if what not in self._waiting_for:
            return
        self._waiting_for.discard(what)
        if self._waiting_for:
            return
        QTimer.singleShot(WEB_READER_DELAY_MS, self.painted.emit)  # after the list's own repaint
        QTimer.singleShot(WEB_READER_DELAY_MS, self.favicons.release)
        QTimer.singleShot(WEB_READER_DELAY_MS, self.reader.enable_web)
        QTimer.singleShot(WEB_READER_DELAY_MS, self, lambda: setattr(self, "settled", True))

    def _window_store(self) -> QSettings:
        return window_store(self.ctx.paths)

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
        self.show_message(_("Reading size {px} px (Ctrl+0 resets)").format(px=px))

    def _edit_address(self) -> None:
        self.library.edit_current()

    # side panels and layout ---------------------------------------------------------------------
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
            self.side_panel_action.setToolTip(
                _("Show or hide the {title} panel beside the reader (Ctrl+I)").format(title=title)
            )
            self.side_panel_action.toggled.connect(self.set_side_panel_visible)
            self.menus.add_side_panel_toggle(self.side_panel_action)
            self.addAction(self.side_panel_action)
            self.actions_.side_panel_action = self.side_panel_action  # on the ? sheet
            store = self._window_store()
            sizes = store.value("layout/reader_area")  # restore_layout ran before the panel was added
            if isinstance(sizes, QByteArray):
                self.panes.restore_state({"layout/reader_area": sizes})
            self.side_panel_action.setChecked(store.value("side_panel_visible", "false") == "true")
            self.set_side_panel_visible(self.side_panel_action.isChecked())
        self.side_panels.addTab(widget, title)

    def set_side_panel_visible(self, visible: bool) -> None:
        """Show or hide the side panels; the reader keeps at least READER_MIN px (see layout)."""
        if self.side_panels is None or self.side_panel_action is None:
            return
        self.panes.show_side(visible)
        if self.side_panel_action.isChecked() != visible:
            self.side_panel_action.setChecked(visible)

    def apply_colours(self, colours: ThemeColours) -> None:
        self.reader.set_colours(colours)

    def save_layout(self) -> None:
        store = self._window_store()
        store.setValue("geometry", self.saveGeometry())
        store.setValue("state", self.saveState())
        for key, value in self.panes.save_state().items():
            store.setValue(key, value)
        if self.side_panel_action is not None:
            store.setValue("side_panel_visible", "true" if self.side_panel_action.isChecked() else "false")
        store.setValue("list_header", self.list.header().saveState())
        store.sync()

    def restore_layout(self) -> bool:
        store = self._window_store()
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
        self.scope.stop()
        self.views.stop()
        self.status.stop()
        self.search.blockSignals(True)
        self.hide()
        self.list_model.clear()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        event.ignore()
        self.close_requested.emit()

    # the views follow the store (view_updates) ---------------------------------------------------
    def reload_library(self, *, now: bool = False) -> None:
        self.views.reload_library(now=now)

    def refresh_counts(self) -> None:
        self.views.refresh_counts()

    def on_feed_refreshed(self, feed_id: int, new_articles: int) -> None:
        self.views.on_feed_refreshed(feed_id, new_articles)

    # choosing what the list shows (list_scope) ----------------------------------------------------
    def _on_tree_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self.views.restoring:
            return
        self.scope.show_node(current)

    def set_hide_read(self, hide: bool) -> None:
        self.scope.set_hide_read(hide)

    def apply_search(self) -> None:
        self.scope.apply_search()

    def focus_search(self) -> None:
        self.scope.focus_search()

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
            self.reader.show_placeholder(_("This article is no longer in the library."))
            return
        feed = self.tree_model.feed(article.feed_id)
        self.reader.show_article(article, feed.title if feed else "")
        if not article.read and self.ctx.settings.get(Key.UI_MARK_READ_ON_SELECT):
            self.set_read([article_id], True)

    # what the action groups do, for the controller, the AI panel and tests ------------------------
    def current_article_id(self) -> int | None:
        return self.list.current_id()

    def select_row(self, row: int) -> bool:
        return self.nav.select_row(row)

    def select_article(self, article_id: int) -> bool:
        return self.nav.select_article(article_id)

    def next_article(self, step: int = 1) -> bool:
        return self.nav.next_article(step)

    def next_unread(self, forward: bool = True) -> bool:
        return self.nav.next_unread(forward)

    def space(self) -> None:
        self.nav.space()

    def open_in_browser(self) -> None:
        self.nav.open_in_browser()

    def target_ids(self) -> list[int]:
        return self.marks.target_ids()

    def set_read(self, ids: list[int], read: bool) -> None:
        self.marks.set_read(ids, read)

    def set_starred(self, ids: list[int], starred: bool) -> None:
        self.marks.set_starred(ids, starred)

    def toggle_read(self) -> None:
        self.marks.toggle_read()

    def toggle_star(self) -> None:
        self.marks.toggle_star()

    def remember_undo(self, description: str, ids: list[int]) -> None:
        self.marks.remember_undo(description, ids)

    def undo(self) -> None:
        self.marks.undo()

    def current_feed_ids(self) -> list[int]:
        return self.parts.current_feed_ids()

    def refresh_current(self) -> None:
        self.request_refresh(self.current_feed_ids() or None)

    def request_refresh(self, feed_ids: list[int] | None) -> None:
        self.refresh_requested.emit(feed_ids)

    def request_quit(self) -> None:
        self.quit_requested.emit()

    def show_message(self, text: str, timeout_ms: int = 8000) -> None:
        self.status.show_message(text, timeout_ms)

    def show_progress(self, done: int, total: int, title: str) -> None:
        self.status.show_progress(done, total, title)
