"""The AI panel beside the reader: summary of the current article (streamed, cached, copyable), a chat about
it (follow-ups, regenerate, continue, reset, instruction and free modes, temperature / top-p per message),
and a digest of the unread articles of the selected feed or folder with links back to each article.

Every model call goes to the AiWorker; the panel only sends requests and paints what comes back. This module
is the panel's frame: its layout, the status line and loading bar, Stop, the current article, and the
worker's signals routed by request id to the summary box (app.ui.ai_summary_box) or the chat.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.ai.requests import (
    AiRequest,
    ChatAskRequest,
    ChatContinueRequest,
    ChatFreeRequest,
    ChatInstructRequest,
    ChatRegenerateRequest,
    ChatRequest,
    ChatResetRequest,
    SummarizeRequest,
)
from app.ai.results import ChatOpened, FinishReason, Reply
from app.config import Key
from app.i18n import LazyString, _, lazy_gettext
from app.models import Article
from app.ui.ai_summary_box import SummaryBox
from app.ui.ai_worker import AiWorker
from app.ui.briefing_view import BriefingScheduler
from app.ui.markdown_view import end_note, markdown_html, note_html, prepare_view
from app.ui.read_ahead_view import ReadAheadBar

log = logging.getLogger(__name__)

# the chat modes: (menu label, request type, the prefix of the user's line in the transcript)
MODES: tuple[
    tuple[LazyString, type[ChatAskRequest | ChatInstructRequest | ChatFreeRequest], LazyString], ...
] = (
    (lazy_gettext("Chat"), ChatAskRequest, lazy_gettext("You")),
    (lazy_gettext("Instruct"), ChatInstructRequest, lazy_gettext("Instruction")),
    (lazy_gettext("Free"), ChatFreeRequest, lazy_gettext("Prompt")),
)
MAX_TRANSCRIPTS = 32
ChatItem = tuple[str, str]  # ("user" | "ai" | "note" | "error", text); a user item's text is "Prefix: …"


class AiPanel(QWidget, SummaryBox):
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

    def _build_chat(self) -> None:
        self.chat_view = QTextBrowser()
        self.chat_view.setOpenExternalLinks(False)
        self.chat_view.setOpenLinks(False)
        prepare_view(self.chat_view)
        self.chat_view.setPlaceholderText(_("Ask about the article: “explain…”, “translate to French”…"))
        self.mode = QComboBox()
        for label, _kind, _prefix in MODES:
            self.mode.addItem(str(label))
        self.temperature = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=3.0, singleStep=0.1)
        self.temperature.setValue(self.ctx.settings.get(Key.AI_CHAT_TEMPERATURE))
        self.temperature.setToolTip(_("Temperature for the next message (0 = greedy)"))
        self.top_p = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=1.0, singleStep=0.05)
        self.top_p.setValue(self.ctx.settings.get(Key.AI_CHAT_TOP_P))
        self.top_p.setToolTip(_("Top-p for the next message"))
        self.input = QLineEdit()
        self.input.setPlaceholderText(_("Ask a question…"))
        self.input.returnPressed.connect(self.send)
        self.send_button = QPushButton(_("Send"))
        self.send_button.clicked.connect(self.send)
        self.regen_button = QPushButton(_("Regenerate"))
        self.continue_button = QPushButton(_("Continue"))
        self.reset_button = QPushButton(_("Reset chat"))
        self.regen_button.clicked.connect(self.regenerate)
        self.continue_button.clicked.connect(self.continue_reply)
        self.reset_button.clicked.connect(self.reset_chat)

    # the current article's transcript -------------------------------------------------------------
    def _keep_transcript(self) -> None:
        """Keep the current article's chat (the newest MAX_TRANSCRIPTS articles') before another is shown."""
        if self.article is None:
            return
        self._transcripts[self.article.id] = list(self._chat_items)
        while len(self._transcripts) > MAX_TRANSCRIPTS:
            self._transcripts.pop(next(iter(self._transcripts)))

    def _show_transcript(self, article: Article | None) -> None:
        self._chat_items = list(self._transcripts.get(article.id, [])) if article else []
        self._render_chat()

    # requests -------------------------------------------------------------------------------------
    def send(self) -> None:
        text = self.input.text().strip()
        if not text or self.article is None:
            return
        _label, kind, prefix = MODES[self.mode.currentIndex()]
        self._chat_items.append(("user", f"{prefix}: {text}"))
        self._render_chat()
        self.input.clear()
        self._chat(kind(self.article.id, text, self.temperature.value(), self.top_p.value()))

    def regenerate(self) -> None:
        if self.article is not None:
            self._chat(ChatRegenerateRequest(self.article.id, self.temperature.value(), self.top_p.value()))

    def continue_reply(self) -> None:
        if self.article is not None:
            self._chat(ChatContinueRequest(self.article.id))

    def reset_chat(self) -> None:
        if self.article is None:
            return
        self._chat_items.clear()
        self._render_chat()
        self._chat(ChatResetRequest(self.article.id))

    def _chat(self, request: ChatRequest) -> None:
        if isinstance(request, ChatRegenerateRequest):
            self._chat_items.append(("note", _("regenerating")))
        if isinstance(request, ChatContinueRequest):
            if self._chat_items and self._chat_items[-1] == ("note", end_note(FinishReason.LENGTH)):
                self._chat_items.pop()  # the reply goes on where the limit cut it
            if not self._chat_items or self._chat_items[-1][0] != "ai":
                self._chat_items.append(("ai", ""))
        elif not isinstance(request, ChatResetRequest):
            self._chat_items.append(("ai", ""))
        self._render_chat()
        self._chat_req = self.worker.submit(request, "chat")
        self._set_busy(True)

    # what comes back ------------------------------------------------------------------------------
    def _append_chat(self, text: str) -> None:
        """Streamed reply text: onto the reply being written."""
        if not self._chat_items or self._chat_items[-1][0] != "ai":
            self._chat_items.append(("ai", ""))
        role, so_far = self._chat_items[-1]
        self._chat_items[-1] = (role, so_far + text)
        self._render_chat()

    def _chat_finished(self, result: object) -> None:
        # a reply that did not end its turn gets a note; open and reset finish with no reply
        if isinstance(result, Reply) and result.finish_reason not in (FinishReason.STOP, FinishReason.EOS):
            self._chat_items.append(("note", end_note(result.finish_reason)))
            self._render_chat()

    def _chat_failed(self, message: str) -> None:
        self._chat_items.append(("error", message))
        self._render_chat()

    def _render_chat(self) -> None:
        self.chat_view.setHtml(chat_html(self._chat_items))
        bar = self.chat_view.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _update_busy(self) -> None:
        self._set_busy(self._summary_req is not None or self._chat_req is not None)

    def _set_busy(self, busy: bool) -> None:
        self.stop_button.setEnabled(busy)


def chat_html(items: list[ChatItem]) -> str:
    """The chat as HTML: the user's words as text, replies rendered from Markdown, end reasons as notes."""
    parts: list[str] = []
    for role, text in items:
        if role == "user":
            prefix, _sep, words = text.partition(": ")
            parts.append(f"<p><b>{html.escape(prefix)}:</b> {html.escape(words)}</p>")
        elif role == "ai":
            parts.append("<p><b>AI:</b></p>" + markdown_html(text))
        elif role == "note":
            parts.append(note_html(text))
        else:
            parts.append(f"<p>⚠ {html.escape(text)}</p>")
    return "".join(parts)
