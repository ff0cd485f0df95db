"""The main window's actions and the keyboard map (j/k, n/p, space, m, s, o, r, R, A, /, ?).

Single-key shortcuts are window-wide, but a focused line edit claims printable keys first
(Qt's ShortcutOverride), so typing in the search box never triggers them. The menus and toolbar that
show these actions are built in `window_menus`.
"""

from __future__ import annotations

# (dialog classes are imported where they open: PySide6 makes a class's Python type and enums when it is
# imported, and this module loads before the first paint)
from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence

from app.config import Key
from app.i18n import _
from app.ui.icons import icon
from app.ui.list_actions import ListActions
from app.ui.marking import ArticleMarks
from app.ui.navigation import ArticleNavigation
from app.ui.window_parts import WindowCommands, WindowParts


class SearchKeys(QObject):
    """In the search box: Esc clears it (back to the view it searched from), Down moves to the results."""

    def __init__(self, parts: WindowParts, commands: WindowCommands, nav: ArticleNavigation) -> None:
        super().__init__(parts.host)
        self.p = parts
        self._commands = commands
        self._nav = nav

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        p = self.p
        if event.key() == Qt.Key.Key_Escape and p.search.text():
            p.search.clear()
            self._commands.apply_search()
            p.list.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return True
        if event.key() == Qt.Key.Key_Down:
            self._commands.apply_search()
            p.list.setFocus(Qt.FocusReason.ShortcutFocusReason)
            if p.list_model.rowCount() and not p.list.currentIndex().isValid():
                self._nav.select_row(0)
            return True
        return False


class WindowActions:
    def __init__(
        self,
        parts: WindowParts,
        commands: WindowCommands,
        nav: ArticleNavigation,
        marks: ArticleMarks,
        *,
        mark_all_read: Callable[[], None],
        sheet_extra: Sequence[QAction] = (),
    ) -> None:
        self.p = parts
        w = commands
        self._sheet_extra = list(sheet_extra)  # the other groups' keyed actions (Ctrl+N, Ctrl+,)
        self.side_panel_action: QAction | None = None  # Ctrl+I, once a side panel exists
        self.ai_actions: list[QAction] = []  # Ctrl+T, Ctrl+Shift+T, Ctrl+Shift+L (issue 14)
        self.search_keys = SearchKeys(parts, commands, nav)
        parts.search.installEventFilter(self.search_keys)
        self.keyboard: list[QAction] = []
        self.next_article = self._add(_("Next article"), "J", lambda: nav.next_article(1))
        self.prev_article = self._add(_("Previous article"), "K", lambda: nav.next_article(-1))
        self.next_unread = self._add(_("Next unread"), "N", lambda: nav.next_unread(True))
        self.prev_unread = self._add(_("Previous unread"), "P", lambda: nav.next_unread(False))
        self.space = self._add(_("Scroll, then next unread"), "Space", nav.space)
        self.toggle_read = self._add(_("Toggle read"), "M", marks.toggle_read, "mark-read")
        self.toggle_star = self._add(_("Toggle star"), "S", marks.toggle_star, "starred")
        self.open_browser = self._add(_("Open in browser"), "O", nav.open_in_browser, "browser")
        self.refresh = self._add(_("Refresh feed"), "R", w.refresh_current, "refresh")
        self.refresh_all = self._add(_("Refresh all"), "Shift+R", lambda: w.request_refresh(None), "refresh")
        self.mark_feed_read = self._add(_("Mark all as read…"), "Shift+A", mark_all_read, "mark-read")
        self.find = self._add(_("Search"), "/", w.focus_search, "search")
        self.shortcut_sheet = self._add(_("Keyboard shortcuts"), "?", self.show_shortcuts)
        # "?" arrives with Shift on most layouts; accept both forms
        self.shortcut_sheet.setShortcuts([QKeySequence("?"), QKeySequence("Shift+?")])
        self.undo = self._add(_("Undo mark as read"), QKeySequence.StandardKey.Undo, marks.undo)
        self.undo.setEnabled(False)
        marks.undo_changed.connect(lambda description: self.undo.setEnabled(description is not None))
        self.hide_read = self._add(_("Hide read articles"), None, None, "hide-read")
        self.hide_read.setCheckable(True)
        self.hide_read.setChecked(parts.ctx.settings.get(Key.UI_HIDE_READ))
        self.hide_read.toggled.connect(w.set_hide_read)
        reader = parts.reader
        self.zoom_in = self._add(_("Larger text"), QKeySequence.StandardKey.ZoomIn, lambda: reader.zoom(1))
        self.zoom_in.setShortcuts(
            [QKeySequence("Ctrl++"), QKeySequence("Ctrl+="), QKeySequence("Ctrl+Shift+=")]
        )
        self.zoom_out = self._add(
            _("Smaller text"), QKeySequence.StandardKey.ZoomOut, lambda: reader.zoom(-1)
        )
        self.zoom_out.setShortcuts([QKeySequence("Ctrl+-"), QKeySequence("Ctrl+_")])
        self.zoom_reset = self._add(_("Default text size"), "Ctrl+0", lambda: reader.zoom(0))
        self.remote_images = self._add(_("Load remote images"), None, None)
        self.remote_images.setCheckable(True)
        self.remote_images.setChecked(reader.remote_images)
        self.remote_images.setToolTip(_("Images are fetched by Hearth itself, never by the article view"))
        self.remote_images.toggled.connect(w.set_remote_images)
        self.compact_list = self._add(_("Compact list"), None, None)  # one line per article (issue 13)
        self.compact_list.setCheckable(True)
        self.compact_list.setChecked(parts.list.compact)
        self.compact_list.toggled.connect(lambda on: parts.list.set_compact(on, remember=True))
        # Enter opens the article only from the list (a search box uses Enter itself)
        self.open_enter = QAction(_("Open in browser"), parts.list)
        self.open_enter.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        self.open_enter.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.open_enter.triggered.connect(nav.open_in_browser)
        parts.list.addAction(self.open_enter)
        self.quit = QAction(_("Quit"), parts.host)
        self.quit.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit.triggered.connect(lambda _c=False: w.request_quit())
        self.about = QAction(_("About Hearth"), parts.host)
        self.about.triggered.connect(lambda _c=False: self.show_about())
        # the article list's own actions (issue 13): Copy link, mark above/below as read, Sort
        self.list_actions = ListActions(parts, marks)

    def _add(
        self,
        text: str,
        key: str | QKeySequence.StandardKey | None,
        slot: Callable[[], object] | None,
        icon_name: str | None = None,
    ) -> QAction:
        action = QAction(text, self.p.host)
        if icon_name:
            action.setIcon(icon(icon_name))
        if key is not None:
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.keyboard.append(action)
        if slot is not None:
            action.triggered.connect(lambda _checked=False: slot())
        self.p.host.addAction(action)
        return action

    def sheet_actions(self) -> list[QAction]:
        """Every action with a key: the single keys, then the window's Ctrl+ ones (Ctrl+N, Ctrl+I, Ctrl+,)."""
        extra = [*self._sheet_extra, self.side_panel_action]
        extra.append(self.list_actions.copy_link)  # Ctrl+Shift+C (list actions, issue 13)
        extra.extend(self.ai_actions)  # Ctrl+T, Ctrl+Shift+T, Ctrl+Shift+L (issue 14)
        return [*self.keyboard, *(a for a in extra if a is not None and a not in self.keyboard)]

    def show_shortcuts(self) -> None:
        from app.ui.dialogs.shortcuts import ShortcutSheet

        sheet = ShortcutSheet(self.sheet_actions(), self.p.host)
        self.p.dialogs.shortcuts = sheet
        sheet.open()

    def show_about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.about(self.p.host, _("About Hearth"), about_text())


def about_text() -> str:
    from app import __version__ as number

    return (
        f"<h3>Hearth {number}</h3><p>"
        + _(
            "A feed reader that fetches everything itself, from this computer, turns sites without feeds "
            "into feeds, and summarises articles with a local RWKV model."
        )
        + "</p><p>"
        + _("Press <b>?</b> for the keyboard shortcuts.")
        + "</p>"
    )
