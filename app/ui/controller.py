"""The running app: owns the store connections, workers, window, tray and scheduler, and wires them.

Background refreshes start from the scheduler (due feeds) or the window (a feed, all); their results
reach the window by signals only. Closing the window keeps Hearth in the tray; Quit cancels a refresh in
flight (what was fetched stays committed) and closes every connection.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QCoreApplication, QFileSystemWatcher, QObject, QTimer
from PySide6.QtWidgets import QApplication

from app.config import Key, Paths, Settings
from app.i18n import _, ngettext
from app.library import Library
from app.models import FeedKind
from app.storage.app_state import TOLD_ABOUT_TRAY
from app.ui import autostart
from app.ui.background import TaskPool
from app.ui.db_executor import DbExecutor
from app.ui.main_window import MainWindow
from app.ui.refresh_worker import RefreshController
from app.ui.resource_fetcher import ResourceFetcher
from app.ui.scheduler import RefreshScheduler
from app.ui.theme import apply_theme
from app.ui.tray import TrayIcon, new_articles_message
from app.ui.ui_context import UiContext

log = logging.getLogger(__name__)


WARM_UP_DELAY_MS = 1500
SETTINGS_RELOAD_MS = 300


class AppController(QObject):
    def __init__(
        self,
        paths: Paths,
        settings: Settings,
        *,
        tray_available: bool | None = None,
        scheduler_tick_ms: int | None = None,
    ) -> None:
        super().__init__()
        self.library = Library(paths, settings)  # the Qt-free core: store, vault, sources, refresher
        self.paths = paths
        self.settings = settings
        self.store = self.library.store
        self._shown_at_start = False  # start() shows the window (when_up then waits for its paint)
        self._told_about_tray = self.store.app_state(TOLD_ABOUT_TRAY) is not None  # a trivial read
        self.db = DbExecutor(paths.db_path, self)
        self.tasks = TaskPool(parent=self)
        self.resources = ResourceFetcher(paths.cache_dir / "resources", settings, self)
        self.ctx = UiContext(paths, settings, self.store, self.db, self.tasks, self.resources, self.library)
        self.window = MainWindow(self.ctx)
        self.tray = TrayIcon(self)
        self.tray_available = TrayIcon.available() if tray_available is None else tray_available
        self.refresher = RefreshController(self.library, parent=self)
        tick = {"tick_ms": scheduler_tick_ms} if scheduler_tick_ms else {}
        self.scheduler = RefreshScheduler(
            self.refresh_due, paused=settings.get(Key.REFRESH_PAUSED), parent=self, **tick
        )
        self._pending: set[int] | None = None  # feeds asked for while a refresh ran (None: nothing queued)
        self._pending_all = False
        self._new_by_feed: dict[int, tuple[str, int]] = {}
        self._notified_feeds: list[int] = []
        self._solver: Any = None
        self.feed_server: Any = None  # app.server.FeedServer while server.enabled is on
        self._quitting = False
        self._shut_down = False
        self._warm = threading.Event()
        self._warming = False
        self._ai_panel: Any = None  # built after the window's first paint (see ai_panel)
        self._wire()
        self._watch_settings_file()

    @property
    def ai_panel(self) -> Any:
        """The AI panel beside the reader; None while ai.enabled is off. It is built once the window has
        painted (its imports and widgets took ~0.25 s of the launch); asking for it earlier builds it now."""
        return self.mount_ai()

    def mount_ai(self) -> Any:
        """Build the AI panel if ai.enabled is on and it is not built yet (not once shut down); returns it."""
        if self._ai_panel is None and not (self._quitting or self._shut_down):
            self._ai_panel = self._install_ai()
        return self._ai_panel

    def _watch_settings_file(self) -> None:
        """`hearth config set` while the app runs: take the new values (and re-apply) within a moment."""
        folder = self.settings.path.parent if self.settings.path is not None else None
        self._settings_timer = QTimer(self, singleShot=True, interval=SETTINGS_RELOAD_MS)
        self._settings_timer.timeout.connect(self.reload_settings)
        self._settings_watcher = QFileSystemWatcher(self)
        if folder is not None and folder.is_dir():
            self._settings_watcher.addPath(str(folder))
            self._settings_watcher.directoryChanged.connect(lambda _p: self._settings_timer.start())

    def reload_settings(self) -> None:
        path = self.settings.path
        try:
            stamp = path.stat().st_mtime_ns if path is not None else None
        except OSError:
            return
        if stamp == getattr(self, "_settings_stamp", None):
            return  # the folder changed (the database, window.ini), not the settings file
        self._settings_stamp = stamp
        changed = self.ctx.reload_settings()
        if changed:
            log.info("settings changed outside the app: %s", ", ".join(sorted(changed)))
            self.window.settings_changed.emit()  # as after Settings' save: apply_settings and the View menu

    def _install_ai(self) -> Any:
        """The AI panel beside the reader; None (and no torch, ever) while ai.enabled is off."""
        if not self.settings.get(Key.AI_ENABLED):
            return None
        from app.ui.ai_mount import install_ai

        panel = install_ai(self)
        if panel is not None:  # Translate in the reader, Ask your library (issue 14)
            from app.ui.ai_actions import install_ai_actions

            install_ai_actions(self.window, panel.worker)
            panel.set_article(self.window.reader.article)  # one shown before the panel existed
        return panel

    def _wire(self) -> None:
        w, t, r = self.window, self.tray, self.refresher
        w.refresh_requested.connect(self.refresh)
        w.unread_changed.connect(lambda n: t.set_unread(n, self.settings.get(Key.UI_TRAY_COUNT)))
        w.close_requested.connect(self.on_window_closed)
        w.quit_requested.connect(self.quit)
        w.settings_changed.connect(self.apply_settings)
        t.toggle_window.connect(self.toggle_window)
        t.open_window.connect(self.show_window)
        t.refresh_all.connect(lambda: self.refresh(None))
        t.pause_toggled.connect(self.set_paused)
        t.quit_requested.connect(self.quit)
        t.message_clicked.connect(self.open_notified)
        t.set_paused(self.scheduler.paused)
        r.started.connect(lambda total: w.show_message(_("Refreshing…"), timeout_ms=0))
        r.progressed.connect(w.show_progress)
        r.feed_done.connect(self._on_feed_done)
        r.finished.connect(self._on_refresh_finished)
        r.failed.connect(lambda message: w.show_message(message, timeout_ms=15000))

    # start-up -----------------------------------------------------------------------------------
    def start(self, *, show: bool | None = None, schedule: bool = True) -> None:
        self.apply_theme()
        self.window.restore_layout()
        self.window.reload_library(now=True)  # the first paint shows the library
        if show is None:
            show = not (self.settings.get(Key.UI_START_MINIMISED) and self.tray_available)
        if self.tray_available:
            self.tray.show()
        self._shown_at_start = show
        self.when_up(self.mount_ai)
        if show:
            self.window.show()
        if schedule:
            self.scheduler.start()
        QTimer.singleShot(WARM_UP_DELAY_MS, self.warm_up)
        self.sync_feed_server()

    def when_up(self, fn: Callable[[], object]) -> None:
        """Run `fn` once the window has painted (the AI panel, the single-instance server: what the first
        paint does not need), or, started in the tray, once the event loop runs."""
        if self._shown_at_start:
            self.window.painted.connect(fn)
        else:
            QTimer.singleShot(0, fn)

    def warm_up(self) -> None:
        """Import the fetch engine in the background once the window is up, so the first refresh does
        not import (and hold the GIL for) feedparser, lxml and httpx while the user watches."""
        if self._warm.is_set() or self._warming:
            return
        self._warming = True

        def load() -> None:
            try:
                import app.fetching
                import app.storage  # noqa: F401
            finally:
                self._warm.set()

        threading.Thread(target=load, name="hearth-warm-up", daemon=True).start()

    def apply_theme(self) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            self.window.apply_colours(apply_theme(app, self.settings.get(Key.UI_THEME)))

    def apply_settings(self) -> None:
        self.apply_theme()
        self.tray.set_unread(self.tray.unread, self.settings.get(Key.UI_TRAY_COUNT))
        self.set_paused(self.settings.get(Key.REFRESH_PAUSED))
        try:
            autostart.set_enabled(self.settings.get(Key.UI_AUTOSTART))
        except OSError as exc:
            self.window.show_message(_("Could not change start-on-login: {error}").format(error=exc))
        self.window.list_model.reload()
        self.mount_ai()  # turned on in Settings: build it now
        self.sync_feed_server()

    def sync_feed_server(self) -> None:
        """Run the local feed server while `server.enabled` is on (restarting it when the port changes)."""
        wanted = self.settings.get(Key.SERVER_ENABLED)
        port = self.settings.get(Key.SERVER_PORT)
        running = self.feed_server
        if running is not None and (not wanted or running.requested_port != port):
            running.stop()
            self.feed_server = None
        if not wanted or self.feed_server is not None:
            return
        from app.errors import HearthError
        from app.server import FeedServer

        try:
            self.feed_server = FeedServer(self.library).start()
        except HearthError as exc:
            self.window.show_message(
                _("Feed server: {error}").format(error=exc.user_message()), timeout_ms=15000
            )
            return
        self.window.show_message(
            _("Serving your feeds at {url}").format(url=self.feed_server.base_url), timeout_ms=8000
        )

    # window and tray ----------------------------------------------------------------------------
    def show_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def toggle_window(self) -> None:
        if self.window.isVisible() and not self.window.isMinimized():
            self.window.save_layout()
            self.window.hide()
        else:
            self.show_window()

    def on_window_closed(self) -> None:
        if self.settings.get(Key.UI_CLOSE_TO_TRAY) and self.tray_available:
            self.window.hide()
            if not self._told_about_tray:
                self.tray.notify(
                    _("Hearth is still running"),
                    _("It keeps refreshing in the tray. Use Quit in its menu to exit."),
                )
                self._told_about_tray = True
                self.db.submit(lambda store: store.set_app_state(TOLD_ABOUT_TRAY, "1"))
            return
        self.quit()

    def set_paused(self, paused: bool) -> None:
        self.scheduler.set_paused(paused)
        self.tray.set_paused(paused)
        if self.settings.get(Key.REFRESH_PAUSED) != paused:
            self.settings.set(Key.REFRESH_PAUSED, paused)
            self.ctx.save_settings()
        self.window.show_message(
            _("Background refreshing paused") if paused else _("Background refreshing resumed")
        )

    # refreshing ---------------------------------------------------------------------------------
    def refresh(self, feed_ids: Sequence[int] | None = None) -> None:
        """Refresh these feeds (None: all enabled feeds); queued if a refresh is running."""
        if self.refresher.is_running():
            if feed_ids is None:
                self._pending_all = True
            else:
                self._pending = (self._pending or set()) | set(feed_ids)
            self.window.show_message(_("Queued after the refresh in progress"))
            return
        self._prepare_sources()
        self.refresher.start(feed_ids, background=False)

    def refresh_due(self) -> None:
        if not self.refresher.is_running():
            self._prepare_sources()
            self.refresher.start(None, background=True)

    def _on_feed_done(self, outcome: Any) -> None:
        if outcome.new_articles:
            title, count = self._new_by_feed.get(outcome.feed_id, (outcome.title, 0))
            self._new_by_feed[outcome.feed_id] = (title, count + outcome.new_articles)
        self.window.on_feed_refreshed(outcome.feed_id, outcome.new_articles)

    def _on_refresh_finished(self, report: Any) -> None:
        w = self.window
        w.progress.hide()
        if report is not None:
            self._show_refresh_result(report, background=self.refresher.background)
        if self._new_by_feed and (
            self.refresher.background or self.settings.get(Key.UI_NOTIFY_MANUAL_REFRESH)
        ):
            self._notify(self._new_by_feed)  # a refresh the user started: only if asked (issue 13)
        self._new_by_feed = {}
        w.reload_library()
        if self._quitting:
            return
        if self._pending_all or self._pending:
            ids = None if self._pending_all else sorted(self._pending or ())
            self._pending, self._pending_all = None, False
            QTimer.singleShot(0, lambda: self.refresh(ids))

    def _show_refresh_result(self, report: Any, *, background: bool) -> None:
        """Say what a refresh did; a background pass that fetched nothing keeps the last real result."""
        w = self.window
        errors = len(report.errors)
        if report.done == 0 and not errors and not report.cancelled:
            if not background:
                w.show_message(_("Nothing to refresh: no feed is enabled here"))
            return
        parts = [
            ngettext("Refreshed {n:,} feed", "Refreshed {n:,} feeds", report.done).format(n=report.done),
            _("{n:,} new").format(n=report.new_articles),
        ]
        if errors:
            parts.append(_("{n} failed (see the feeds marked ⚠)").format(n=errors))
        if report.cancelled:
            parts.append(_("stopped"))
        text = _(", ").join(parts)
        w.last_refresh_label.setText(f"{datetime.now().strftime('%H:%M')} · {text}")
        w.last_refresh_label.setToolTip(_("Last refresh: {text}").format(text=text))
        w.show_message(text, timeout_ms=15000)

    def _notify(self, new_by_feed: dict[int, tuple[str, int]]) -> None:
        if not self.settings.get(Key.UI_NOTIFICATIONS):
            return
        self._notified_feeds = list(new_by_feed)
        self.last_notification = new_articles_message(new_by_feed)
        self.tray.notify(*self.last_notification)

    def open_notified(self) -> None:
        """The user clicked a notification: show the window on those articles."""
        if self.tray.last_kind != "articles":  # the daily briefing's opens itself (app.ui.briefing_view)
            return
        self.show_window()
        feeds = self._notified_feeds
        index = self.window.tree_model.index_of("feed", feeds[0]) if len(feeds) == 1 else None
        if index is None or not index.isValid():
            index = self.window.tree_model.index_of("smart", "unread")
        self.window.tree.setCurrentIndex(index)
        self.window.next_unread(True)

    def _prepare_sources(self) -> None:
        """Sources may need the hidden-browser challenge solver, which must be made on the GUI thread."""
        if self._solver is not None or all(f.kind == FeedKind.FEED for f in self.window.tree_model.feeds()):
            return
        try:  # distributions may package QtWebEngine apart from the rest of Qt
            import PySide6.QtWebEngineCore  # noqa: F401
        except ImportError as exc:
            log.info("no challenge solver: %s", exc)
            return
        from app.ui.challenge import install_challenge_solver

        self._solver = install_challenge_solver(self)
        self.library.solve_challenge = self._solver.solve_challenge

    # quitting -----------------------------------------------------------------------------------
    def quit(self) -> None:
        if self._quitting:
            return
        self._quitting = True
        self.scheduler.stop()
        self.window.save_layout()
        self.window.hide()
        self.tray.hide()
        if self.refresher.is_running():
            self.refresher.cancel()
            if not self.refresher.wait(15):
                log.warning("the refresh did not stop within 15 s; quitting anyway")
        if self._solver is not None:
            self._solver.close()
        self.shutdown()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def shutdown(self) -> None:
        """Close workers and connections (also used by tests that never run the event loop to the end).

        Producers stop first, then what they already queued for the GUI thread is delivered, and only then do
        the stores close: the controller object outlives shutdown (tests, a second window), and a queued
        `feed_done` or a timer firing later would otherwise read a closed store."""
        self._shut_down = True
        panel = self._ai_panel  # never built by shutting down
        if panel is not None:
            if panel.briefing is not None:
                panel.briefing.close()
            if panel.read_ahead is not None:
                panel.read_ahead.close()
        self.scheduler.stop()
        self.refresher.cancel()
        if not self.refresher.wait(15):
            log.warning("the refresh did not stop within 15 s; closing anyway")
        QCoreApplication.sendPostedEvents()  # its last feed_done/finished, while the AI worker still takes jobs
        if panel is not None:
            panel.worker.close(10)
        if self.feed_server is not None:
            self.feed_server.stop()
            self.feed_server = None
        self.window.close_down()
        self.db.wait_idle(10)
        QCoreApplication.sendPostedEvents()  # the workers' and the DB thread's last callbacks, stores still open
        self.db.close()
        self.resources.close()
        self.tasks.close()
        self.library.close()
