"""The AI panel beside the reader: summary of the current article (streamed, cached, copyable), a chat about
it (follow-ups, regenerate, continue, reset, instruction and free modes, temperature / top-p per message),
and a digest of the unread articles of the selected feed or folder with links back to each article.

Every model call goes to the AiWorker; the panel only sends requests and paints what comes back. This module
is the panel's frame: its layout, the status line and loading bar, Stop, the current article, and the
worker's signals routed by request id to the summary box (app.ui.ai_summary_box) or the chat
(app.ui.ai_chat_box).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ai.requests import AiRequest, SummarizeRequest
from app.ai.results import ChatOpened
from app.i18n import _
from app.models import Article
from app.ui.ai_chat_box import ChatBox, ChatItem
from app.ui.ai_summary_box import SummaryBox
from app.ui.ai_worker import AiWorker
from app.ui.briefing_view import BriefingScheduler
from app.ui.read_ahead_view import ReadAheadBar

log = logging.getLogger(__name__)


class AiPanel(QWidget, SummaryBox, ChatBox):
    article_link_clicked = Signal(int)  # a hearth://article/ID link in a digest
    manage_models_requested = Signal()

    def __init__(
        self,
        worker: AiWorker,
        ctx: Any,  # app.ui.ui_context.UiContext
        *,
        digest_scope: Callable[[], tuple[str, str] | None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("aiPanel")
        self.worker = worker
        self.ctx = ctx
        self.digest_scope = digest_scope
        self.article: Article | None = None
        self.briefing: BriefingScheduler | None = None  # set by install_ai
        self.read_ahead: ReadAheadBar | None = None  # set by install_ai
        self.summary_text = ""
        self._summary_req: int | None = None
        self._chat_req: int | None = None
        self._stopped: set[int] = set()  # Stop was pressed: later text for these never reaches a view
        self._transcripts: dict[int, list[ChatItem]] = {}
        self._chat_items: list[ChatItem] = []
        self._build()
        worker.started.connect(self._on_started)
        worker.text_arrived.connect(self._on_text)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.loading.connect(self._on_loading)
        worker.model_ready.connect(self._on_model_ready)
        worker.chat_opened.connect(self._on_chat_opened)
        self.set_article(None)

    # layout ---------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.load_bar = QProgressBar()
        self.load_bar.setRange(0, 100)
        self.load_bar.hide()
        self.stop_button = QPushButton(_("Stop"))
        self.models_button = QPushButton(_("Models…"))
        self.stop_button.clicked.connect(self.stop)
        self.models_button.clicked.connect(self.manage_models_requested)
        self._build_summary()
        self._build_chat()

        top = QHBoxLayout()
        for w in (self.summarise_button, self.resummarise_button, self.stop_button):
            top.addWidget(w)
        top.addStretch(1)
        tools = QHBoxLayout()
        tools.addWidget(self.copy_button)
        tools.addWidget(self.digest_button)
        tools.addStretch(1)
        tools.addWidget(self.models_button)
        sampling = QHBoxLayout()
        sampling.addWidget(self.mode)
        sampling.addWidget(QLabel(_("T")))
        sampling.addWidget(self.temperature)
        sampling.addWidget(QLabel(_("top-p")))
        sampling.addWidget(self.top_p)
        sampling.addStretch(1)
        ask = QHBoxLayout()
        ask.addWidget(self.input, 1)
        ask.addWidget(self.send_button)
        actions = QHBoxLayout()
        for w in (self.regen_button, self.continue_button, self.reset_button):
            actions.addWidget(w)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.status)
        layout.addWidget(self.load_bar)
        layout.addLayout(top)
        layout.addWidget(self.cut_label)
        layout.addWidget(self.summary_view)
        layout.addWidget(self.auto_box)
        layout.addLayout(tools)
        layout.addWidget(self.chat_view, 3)
        layout.addLayout(sampling)
        layout.addLayout(ask)
        layout.addLayout(actions)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fit_summary()

    # the current article --------------------------------------------------------------------------
    def set_article(self, article: Article | None) -> None:
        """Show `article`'s saved summary at once (no model involved) and its chat so far."""
        if article is not None and self.article is not None and article.id == self.article.id:
            return
        self._keep_transcript()
        self._cancel_requests()
        self._summary_req = self._chat_req = None
        self.article = article
        self._clear_summary()
        self.cut_label.hide()
        self.load_bar.hide()
        self.status.setText("")  # nothing said about the previous article stays up
        self._show_transcript(article)
        has = article is not None
        for w in (self.summarise_button, self.resummarise_button, self.send_button, self.input,
                  self.regen_button, self.continue_button, self.reset_button, self.auto_box):  # fmt: skip
            w.setEnabled(has)
        self._set_busy(False)
        if article is not None:
            self._show_article_summary(article)

    def stop(self) -> None:
        # the worker may still emit the token it was decoding and its buffered text; drop them here
        self._stopped.update(r for r in (self._summary_req, self._chat_req) if r is not None)
        self._cancel_requests()
        self.status.setText(_("Stopped"))
        self._set_busy(False)

    def _cancel_requests(self) -> None:
        self.worker.cancel("summary")
        self.worker.cancel("chat")

    # worker signals -------------------------------------------------------------------------------
    def _on_started(self, req: int, request: AiRequest) -> None:
        if req == self._summary_req and isinstance(request, SummarizeRequest):
            self.status.setText(_("Summarising…"))

    def _on_text(self, req: int, text: str) -> None:
        if req in self._stopped:
            return
        if req == self._summary_req:
            self._append_summary(text)
        elif req == self._chat_req:
            self._append_chat(text)

    def _on_finished(self, req: int, _request: AiRequest, result: object) -> None:
        stopped = req in self._stopped
        self._stopped.discard(req)
        if req == self._summary_req:
            self._summary_req = None
            self._summary_finished(result, stopped)
        elif req == self._chat_req:
            self._chat_req = None
            self._chat_finished(result)
            self.status.setText("")
        self._update_busy()

    def _on_failed(self, req: int, _request: AiRequest, message: str) -> None:
        self._stopped.discard(req)
        if req == self._summary_req:
            self._summary_req = None
        elif req == self._chat_req:
            self._chat_req = None
            self._chat_failed(message)
        else:
            log.info("background AI request failed: %s", message)
            return
        self.load_bar.hide()
        self.status.setText(f"⚠ {message}")
        self._update_busy()

    def _on_loading(self, fraction: float) -> None:
        self.load_bar.show()
        self.load_bar.setValue(int(fraction * 100))
        self.status.setText(_("Loading the model…"))

    def _on_model_ready(self, note: str) -> None:
        self.load_bar.hide()
        self.models_button.setToolTip(_("Model: {note}").format(note=note))
        self.status.setText(_("Model ready: {note}").format(note=note))

    def _on_chat_opened(self, article_id: int, opened: ChatOpened) -> None:
        if self.article is not None and article_id == self.article.id:
            self._show_cut(opened.cut_to)

    def _update_busy(self) -> None:
        self._set_busy(self._summary_req is not None or self._chat_req is not None)

    def _set_busy(self, busy: bool) -> None:
        self.stop_button.setEnabled(busy)
