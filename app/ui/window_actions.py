"""The main window's actions: menus, toolbar, and the keyboard map (j/k, n/p, space, m, s, o, r, R, A, /, ?).

Single-key shortcuts are window-wide, but a focused line edit claims printable keys first
(Qt's ShortcutOverride), so typing in the search box never triggers them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QSizePolicy, QToolBar, QWidget

from app.config import Key
from app.ui.icons import icon

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

SIGNIN_SITES = ("zhihu.com", "bilibili.com", "weibo.com")  # each has SITE_RULES (login page, login cookie)


class SearchKeys(QObject):
    """In the search box: Esc clears it (back to the view it searched from), Down moves to the results."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        w = self.w
        if event.key() == Qt.Key.Key_Escape and w.search.text():
            w.search.clear()
            w._apply_search()
            w.list.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return True
        if event.key() == Qt.Key.Key_Down:
            w._apply_search()
            w.list.setFocus(Qt.FocusReason.ShortcutFocusReason)
            if w.list_model.rowCount() and not w.list.currentIndex().isValid():
                w.select_row(0)
            return True
        return False


class WindowActions:
    def __init__(self, window: MainWindow) -> None:
        self.w = window
        w = window
        self._search_keys = SearchKeys(window)
        self.keyboard: list[QAction] = []
        self.next_article = self._add("Next article", "J", lambda: w.next_article(1))
        self.prev_article = self._add("Previous article", "K", lambda: w.next_article(-1))
        self.next_unread = self._add("Next unread", "N", lambda: w.next_unread(True))
        self.prev_unread = self._add("Previous unread", "P", lambda: w.next_unread(False))
        self.space = self._add("Scroll, then next unread", "Space", w.space)
        self.toggle_read = self._add("Toggle read", "M", w.toggle_read, "mark-read")
        self.toggle_star = self._add("Toggle star", "S", w.toggle_star, "starred")
        self.open_browser = self._add("Open in browser", "O", w.open_in_browser, "browser")
        self.refresh = self._add("Refresh feed", "R", w.refresh_current, "refresh")
        self.refresh_all = self._add(
            "Refresh all", "Shift+R", lambda: w.refresh_requested.emit(None), "refresh"
        )
        self.mark_feed_read = self._add(
            "Mark all as read…", "Shift+A", lambda: w.library.mark_all_read(), "mark-read"
        )
        self.find = self._add("Search", "/", w.focus_search, "search")
        self.shortcut_sheet = self._add("Keyboard shortcuts", "?", self.show_shortcuts)
        # "?" arrives with Shift on most layouts; accept both forms
        self.shortcut_sheet.setShortcuts([QKeySequence("?"), QKeySequence("Shift+?")])
        self.undo = self._add("Undo mark as read", QKeySequence.StandardKey.Undo, w.undo)
        self.undo.setEnabled(False)
        self.hide_read = self._add("Hide read articles", None, None, "hide-read")
        self.hide_read.setCheckable(True)
        self.hide_read.setChecked(w.ctx.settings.get(Key.UI_HIDE_READ))
        self.hide_read.toggled.connect(w.set_hide_read)
        self.zoom_in = self._add("Larger text", QKeySequence.StandardKey.ZoomIn, lambda: w.reader.zoom(1))
        self.zoom_in.setShortcuts(
            [QKeySequence("Ctrl++"), QKeySequence("Ctrl+="), QKeySequence("Ctrl+Shift+=")]
        )
        self.zoom_out = self._add("Smaller text", QKeySequence.StandardKey.ZoomOut, lambda: w.reader.zoom(-1))
        self.zoom_out.setShortcuts([QKeySequence("Ctrl+-"), QKeySequence("Ctrl+_")])
        self.zoom_reset = self._add("Default text size", "Ctrl+0", lambda: w.reader.zoom(0))
        self.remote_images = self._add("Load remote images", None, None)
        self.remote_images.setCheckable(True)
        self.remote_images.setChecked(w.reader.remote_images)
        self.remote_images.setToolTip("Images are fetched by Hearth itself, never by the article view")
        self.remote_images.toggled.connect(w.set_remote_images)
        # Enter opens the article only from the list (a search box uses Enter itself)
        self.open_enter = QAction("Open in browser", w.list)
        self.open_enter.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        self.open_enter.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.open_enter.triggered.connect(w.open_in_browser)
        w.list.addAction(self.open_enter)
        # the article list's own actions (issue 13): Copy link, mark above/below as read, Sort
        from app.ui.list_actions import ListActions

        self.list_actions = ListActions(window)

    def _add(
        self,
        text: str,
        key: str | QKeySequence.StandardKey | None,
        slot: Callable[[], object] | None,
        icon_name: str | None = None,
    ) -> QAction:
        action = QAction(text, self.w)
        if icon_name:
            action.setIcon(icon(icon_name))
        if key is not None:
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.keyboard.append(action)
        if slot is not None:
            action.triggered.connect(lambda _checked=False: slot())
        self.w.addAction(action)
        return action

    def build_menus_and_toolbar(self) -> None:
        w, lib = self.w, self.w.library
        bar = w.menuBar()
        file = bar.addMenu("&File")
        file.addAction(lib.add_feed_action)
        file.addAction(lib.new_folder_action)
        file.addSeparator()
        file.addAction(lib.import_opml_action)
        file.addAction(lib.export_opml_action)
        file.addAction(lib.export_articles_action)
        file.addSeparator()
        file.addAction(lib.settings_action)
        file.addSeparator()
        quit_action = file.addAction("Quit")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(w.quit_requested)
        edit = bar.addMenu("&Edit")
        edit.addAction(self.undo)
        edit.addAction(self.find)
        view = self.view_menu = bar.addMenu("&View")
        view.addAction(self.hide_read)
        view.addAction(self.remote_images)
        view.addMenu(self.list_actions.sort_menu)  # list actions (issue 13)
        view.addSeparator()
        for action in (self.zoom_in, self.zoom_out, self.zoom_reset):
            view.addAction(action)
        view.addSeparator()
        for action in (self.next_article, self.prev_article, self.next_unread, self.prev_unread, self.space):
            view.addAction(action)
        article = bar.addMenu("&Article")
        for action in (self.toggle_read, self.toggle_star, self.open_browser, self.list_actions.copy_link):
            article.addAction(action)
        feed = bar.addMenu("F&eed")
        for action in (self.refresh, self.refresh_all, self.mark_feed_read):
            feed.addAction(action)
        feed.addSeparator()
        feed.addAction(lib.edit_feed_action)
        feed.addAction(lib.rename_folder_action)
        feed.addAction(lib.remove_action)
        tools = bar.addMenu("&Tools")
        for site in SIGNIN_SITES:
            tools.addAction(f"Sign in to {site}…").triggered.connect(lambda _c=False, s=site: lib.sign_in(s))
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.shortcut_sheet)
        help_menu.addSeparator()
        self.about = help_menu.addAction("About Hearth")
        self.about.triggered.connect(self.show_about)
        w.search.installEventFilter(self._search_keys)

        toolbar = QToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(self.refresh_all)
        toolbar.addAction(lib.add_feed_action)
        toolbar.addAction(self.mark_feed_read)
        toolbar.addAction(self.hide_read)
        toolbar.addSeparator()  # the reader's article: open it in the browser, copy its link (issue 13)
        toolbar.addAction(self.open_browser)
        toolbar.addAction(self.list_actions.copy_link)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addWidget(w.search)
        w.addToolBar(toolbar)
        self.toolbar = toolbar
        self._toolbar_spacer = spacer

    def add_side_panel_toggle(self, action: QAction) -> None:
        """A checkable View-menu entry and toolbar button for the side panels (added once they exist)."""
        self.view_menu.addSeparator()
        self.view_menu.addAction(action)
        self.toolbar.insertAction(self.toolbar.actions()[-2], action)  # before the spacer and the search
        self.w.addAction(action)

    def show_article_menu(self, pos: QPoint) -> None:
        if not self.w.target_ids():
            return
        menu = QMenu(self.w)
        menu.addAction(self.toggle_read)
        menu.addAction(self.toggle_star)
        menu.addAction(self.open_browser)
        self.list_actions.fill_context_menu(menu)  # list actions (issue 13)
        menu.exec(pos)

    def sheet_actions(self) -> list[QAction]:
        """Every action with a key: the single keys, then the window's Ctrl+ ones (Ctrl+N, Ctrl+I, Ctrl+,)."""
        lib = self.w.library
        extra = [lib.add_feed_action, lib.settings_action, getattr(self.w, "side_panel_action", None)]
        extra.append(self.list_actions.copy_link)  # Ctrl+Shift+C (list actions, issue 13)
        extra.extend(getattr(self, "ai_actions", ()))  # Ctrl+T, Ctrl+Shift+T, Ctrl+Shift+L (issue 14)
        return [*self.keyboard, *(a for a in extra if a is not None and a not in self.keyboard)]

    def show_shortcuts(self) -> None:
        from app.ui.dialogs.shortcuts import ShortcutSheet

        sheet = ShortcutSheet(self.sheet_actions(), self.w)
        self.w.shortcut_dialog = sheet
        sheet.open()

    def show_about(self) -> None:
        QMessageBox.about(self.w, "About Hearth", about_text())


def about_text() -> str:
    from app import __version__ as number

    return (
        f"<h3>Hearth {number}</h3><p>A feed reader that fetches everything itself, from this computer, "
        "turns sites without feeds into feeds, and summarises articles with a local RWKV model.</p>"
        "<p>Press <b>?</b> for the keyboard shortcuts.</p>"
    )


# AI actions (issue 14): Article → Translate / Show original, Tools → Ask your library… --------------------------
def install_ai_actions(window: MainWindow, worker: object) -> object:
    """Mount the reader's translation and the Ask dialog once the AI worker exists; returns the translation."""
    from app.ui.ask_dialog import open_ask_dialog
    from app.ui.translate_view import ReaderTranslation

    w = window
    translation = ReaderTranslation(worker, w.reader, w, notify=w.show_message)  # type: ignore[arg-type]
    w.reader_translation = translation
    w.list.selectionModel().currentChanged.connect(lambda *_a: translation.set_article(w.reader.article))
    ask = QAction("Ask your library…", w)
    ask.setShortcut(QKeySequence("Ctrl+Shift+L"))
    ask.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    ask.setToolTip("Ask a question over the selected feed, folder, Starred or everything (Ctrl+Shift+L)")
    ask.triggered.connect(lambda _c=False: open_ask_dialog(w, worker))
    w.ask_action = ask
    menus = {a.text(): a.menu() for a in w.menuBar().actions()}
    if (article := menus.get("&Article")) is not None:
        article.addSeparator()
        article.addAction(translation.translate_action)
        article.addAction(translation.original_action)
    if (tools := menus.get("&Tools")) is not None:
        tools.addSeparator()
        tools.addAction(ask)
    w.actions_.ai_actions = [translation.translate_action, translation.original_action, ask]  # the sheet
    for action in w.actions_.ai_actions:
        w.addAction(action)
    w.actions_.toolbar.insertAction(w.actions_.toolbar.actions()[-2], translation.translate_action)
    return translation
