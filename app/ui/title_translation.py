"""Translate the titles of the visible list on demand: one action (Tools → Translate list titles), run on the
model's thread as its own view, each title shown in the list as soon as it is done; the same action while it
runs stops it. Translated titles are cached (app.ai.translate), so a second time is instant; they show until the
list changes (the stored titles are never touched).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QPoint
from PySide6.QtGui import QAction

from app.ai.requests import AiRequest, TranslateTitlesRequest
from app.i18n import _, ngettext
from app.ui.ai_worker import AiWorker

VIEW = "titles"
MAX_TITLES = 60  # at most this many rows from the top of the visible part of the list


def visible_ids(window: Any, limit: int = MAX_TITLES) -> list[int]:
    """Article ids of the rows the list shows now (top to bottom), else the first `limit` rows."""
    view, model = window.list, window.list_model
    top = view.indexAt(QPoint(4, 4)).row()
    bottom = view.indexAt(QPoint(4, max(4, view.viewport().height() - 4))).row()
    first = max(0, top)
    last = bottom if bottom >= first else min(model.rowCount() - 1, first + limit - 1)
    ids = [model.article_id(row) for row in range(first, min(last, first + limit - 1) + 1)]
    return [i for i in ids if i is not None]


class TitleTranslation(QObject):
    """The action and the running request (its id), wired to the worker and the list model."""

    def __init__(self, window: Any, worker: AiWorker) -> None:
        super().__init__(window)
        self.window, self.worker = window, worker
        self.request: int | None = None
        self.action = QAction(_("Translate list titles"), self)
        self.action.setToolTip(_("Translate the titles of the visible articles into the AI language"))
        self.action.triggered.connect(lambda _checked=False: self.toggle())
        worker.title_translated.connect(self._on_title)
        worker.finished.connect(self._on_done)
        worker.failed.connect(self._on_failed)

    def toggle(self) -> int | None:
        """Start translating the visible titles, or stop the run in progress; the request id when started."""
        if self.request is not None:
            self.worker.cancel(VIEW)
            self._end(_("Stopped translating titles"))
            return None
        ids = visible_ids(self.window)
        if not ids:
            self.window.show_message(_("No articles to translate"))
            return None
        self.request = self.worker.submit(TranslateTitlesRequest(tuple(ids)), VIEW)
        self.action.setText(_("Stop translating titles"))
        self.window.show_message(
            ngettext("Translating {n} title…", "Translating {n} titles…", len(ids)).format(n=len(ids))
        )
        return self.request

    def _on_title(self, req: int, article_id: int, title: str) -> None:
        if req == self.request:
            self.window.list_model.set_titles({article_id: title})

    def _on_done(self, req: int, _request: AiRequest, result: object) -> None:
        if req == self.request:
            count = len(getattr(result, "titles", ()))
            self._end(ngettext("Translated {n} title", "Translated {n} titles", count).format(n=count))

    def _on_failed(self, req: int, _request: AiRequest, message: str) -> None:
        if req == self.request:
            self._end(message)

    def _end(self, message: str) -> None:
        self.request = None
        self.action.setText(_("Translate list titles"))
        self.window.show_message(message)


def install_title_translation(window: Any, worker: AiWorker) -> TitleTranslation:
    """Add the action to the Tools menu (when the window has one)."""
    titles = TitleTranslation(window, worker)
    tools = window.menus.tools
    if tools is not None:
        tools.addAction(titles.action)
    return titles
