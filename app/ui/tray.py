"""The tray icon: unread count painted on it, a menu (open, refresh all, pause, quit), click to show/hide."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app.i18n import _, ngettext
from app.ui.icons import tray_pixmap


def new_articles_message(new_by_feed: Mapping[int, tuple[str, int]]) -> tuple[str, str]:
    """ "N new articles in M feeds" and the five busiest feeds, one a line ((title, count) by feed id).
    In the interface language, with real plurals."""
    total = sum(count for _title, count in new_by_feed.values())
    feeds = len(new_by_feed)
    articles = ngettext("{n:,} new article", "{n:,} new articles", total).format(n=total)
    # TRANSLATORS: {articles} is "5 new articles", {feeds} is "2 feeds"
    title = _("{articles} in {feeds}").format(
        articles=articles, feeds=ngettext("{n} feed", "{n} feeds", feeds).format(n=feeds)
    )
    ranked = sorted(new_by_feed.values(), key=lambda tc: -tc[1])
    lines = [f"{name}: {count:,}" for name, count in ranked[:5]]
    if feeds > 5:
        lines.append(ngettext("and {n} more feed", "and {n} more feeds", feeds - 5).format(n=feeds - 5))
    return title, "\n".join(lines)


class TrayIcon(QObject):
    toggle_window = Signal()
    open_window = Signal()
    refresh_all = Signal()
    pause_toggled = Signal(bool)
    quit_requested = Signal()
    message_clicked = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tray = QSystemTrayIcon(self)
        self.menu = QMenu()
        self.open_action = QAction(_("Open Hearth"), self.menu)
        self.refresh_action = QAction(_("Refresh all"), self.menu)
        self.pause_action = QAction(_("Pause refreshing"), self.menu, checkable=True)
        self.quit_action = QAction(_("Quit"), self.menu)
        for action in (self.open_action, self.refresh_action, self.pause_action):
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.open_action.triggered.connect(self.open_window)
        self.refresh_action.triggered.connect(self.refresh_all)
        self.pause_action.toggled.connect(self._on_pause_toggled)
        self.quit_action.triggered.connect(self.quit_requested)
        self.tray.setContextMenu(self.menu)
        self.tray.activated.connect(self._on_activated)
        self.tray.messageClicked.connect(self.message_clicked)
        self.unread = 0
        self.last_kind = "articles"  # what the last notification was about
        self.show_count = True
        self.update_icon()

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> None:
        self.tray.show()

    def hide(self) -> None:
        self.tray.hide()

    def set_unread(self, unread: int, show_count: bool | None = None) -> None:
        if show_count is not None:
            self.show_count = show_count
        self.unread = unread
        self.update_icon()

    def update_icon(self) -> None:
        self.tray.setIcon(QIcon(tray_pixmap(self.unread, show_count=self.show_count)))
        self.tray.setToolTip(_("Hearth — {n} unread").format(n=self.unread) if self.unread else "Hearth")

    def set_paused(self, paused: bool) -> None:
        self.pause_action.blockSignals(True)
        self.pause_action.setChecked(paused)
        self.pause_action.setText(_("Resume refreshing") if paused else _("Pause refreshing"))
        self.pause_action.blockSignals(False)

    def notify(self, title: str, text: str, kind: str = "articles") -> None:
        """Show a notification; `kind` ("articles", "briefing") says what a click on it opens (last_kind)."""
        self.last_kind = kind
        self.tray.showMessage(title, text, QIcon(tray_pixmap(0, show_count=False)), 8000)

    def _on_pause_toggled(self, paused: bool) -> None:
        self.set_paused(paused)
        self.pause_toggled.emit(paused)

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.MiddleClick):
            self.toggle_window.emit()
