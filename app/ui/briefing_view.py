"""The daily briefing in the window: at `ai.briefing_time` (local HH:MM; empty is off) the briefing of
`ai.briefing_scope` is made in the background (app.ai.briefing, cached per day), a tray notification says it is
ready, and clicking it (or Tools → Daily briefing) opens it in a small window whose [n] entries link to each
article. The last run is remembered in the database (app_state), so a restart does not brief twice a day.
"""

from __future__ import annotations

import html
import logging
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, QTimer, QUrl
from PySide6.QtWidgets import QDialog, QLabel, QTextBrowser, QVBoxLayout, QWidget

from app.ai.briefing import briefing_due
from app.ai.requests import AiRequest, BriefRequest
from app.ai.results import BriefingResult
from app.config import Key
from app.dates import WEEKDAYS
from app.errors import ConfigError
from app.i18n import _, ngettext
from app.ui.ai_links import article_link_id
from app.ui.ai_worker import AiWorker
from app.ui.markdown_view import markdown_html

log = logging.getLogger(__name__)

LAST_RUN = "ai.briefing_last_run"  # app_state key: ISO time the daily briefing last started
CHECK_MS = 60_000
VIEW = "briefing"


def briefing_html(result: BriefingResult) -> str:
    """The briefing's text, then its numbered articles, each a hearth://article/ID link."""
    links = "".join(
        f'<p>[{n}] <a href="{html.escape(item.link)}">{html.escape(item.title)}</a></p>'
        for n, item in enumerate(result.items, 1)
    )
    return markdown_html(result.text) + (
        f"<p><b>{html.escape(_('Articles'))}</b></p>{links}" if links else ""
    )


class BriefingDialog(QDialog):
    """One briefing, its article links opening the article in the window."""

    def __init__(self, open_article: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Daily briefing"))
        self.resize(560, 520)
        self._open_article = open_article
        self.heading = QLabel()
        self.view = QTextBrowser()
        self.view.setOpenLinks(False)
        self.view.anchorClicked.connect(self._on_anchor)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.view, 1)

    def show_result(self, result: BriefingResult) -> None:
        count = len(result.items)
        text = ngettext("{n} article", "{n} articles", count).format(n=count)
        if result.since:
            local = result.since.astimezone()
            when = f"{WEEKDAYS[local.weekday()]} {local:%H:%M}"
            text = _("{articles} since {when}").format(articles=text, when=when)
        self.heading.setText(text)
        self.view.setHtml(briefing_html(result))

    def _on_anchor(self, url: QUrl) -> None:
        article_id = article_link_id(url)
        if article_id is not None:
            self._open_article(article_id)


class BriefingScheduler(QObject):
    """Checks every CHECK_MS whether the daily briefing is due, runs it, notifies, and opens it on a click."""

    def __init__(self, controller: Any, worker: AiWorker, open_article: Any) -> None:
        super().__init__(controller)
        self.controller, self.worker, self._open_article = controller, worker, open_article
        self.request: int | None = None
        self.result: BriefingResult | None = None
        self.dialog: BriefingDialog | None = None
        self._pending_open = False  # open() asked before there was a briefing: open it when it is made
        self._closed = False
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        controller.tray.message_clicked.connect(self._on_message_clicked)

    def close(self) -> None:
        """The app is shutting down: no more checks (the store they read is about to close)."""
        self.timer.stop()
        self._closed = True

    def check(self, now: datetime | None = None) -> int | None:
        """Start the briefing if it is due now; its request id when started."""
        if self.request is not None or self._closed:
            return None
        settings, store = self.controller.settings, self.controller.store
        last_text = store.app_state(LAST_RUN)
        last = datetime.fromisoformat(last_text) if last_text else None
        now = now or datetime.now().astimezone()
        try:
            due = briefing_due(settings.get(Key.AI_BRIEFING_TIME), last, now)
        except ConfigError as exc:
            log.warning("%s", exc.user_message())
            return None
        if not due:
            return None
        self.controller.db.submit(lambda s: s.set_app_state(LAST_RUN, now.isoformat()))
        scope = settings.get(Key.AI_BRIEFING_SCOPE) or "all"
        self.request = self.worker.submit(BriefRequest(scope), VIEW, background=True)
        return self.request

    def open(self) -> BriefingDialog | None:
        """Show the last briefing (none yet: make one now, as a user request)."""
        if self.result is None:
            if self.request is None:
                scope = self.controller.settings.get(Key.AI_BRIEFING_SCOPE) or "all"
                self.request = self.worker.submit(BriefRequest(scope), VIEW)
            self._pending_open = True
            return None
        if self.dialog is None:
            self.dialog = BriefingDialog(self._open_article, self.controller.window)
        self.dialog.show_result(self.result)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def _on_finished(self, req: int, _request: AiRequest, result: object) -> None:
        if req != self.request:
            return
        self.request = None
        if not isinstance(result, BriefingResult):
            return
        self.result = result
        if self._pending_open:
            self._pending_open = False
            self.open()
            return
        if self.controller.tray_available:
            self.controller.tray.notify(
                _("Your daily briefing is ready"),
                ngettext(
                    "{n} article — click to read it", "{n} articles — click to read it", len(result.items)
                ).format(n=len(result.items)),
                "briefing",
            )

    def _on_failed(self, req: int, _request: AiRequest, message: str) -> None:
        if req == self.request:
            self.request = None
            log.warning("daily briefing failed: %s", message)

    def _on_message_clicked(self) -> None:
        if self.controller.tray.last_kind == "briefing":
            self.controller.show_window()
            self.open()


def install_briefing(controller: Any, worker: AiWorker, open_article: Any) -> BriefingScheduler:
    """The scheduler, and Tools → Daily briefing to open it."""
    scheduler = BriefingScheduler(controller, worker, open_article)
    tools = controller.window.menus.tools
    if tools is not None:
        tools.addAction(_("Daily briefing")).triggered.connect(lambda _c=False: scheduler.open())
    return scheduler
