"""The AI panel's chat about the current article: follow-ups, regenerate, continue, reset, instruction and free
modes, temperature / top-p per message, and each article's transcript kept while the user reads others. A
part of app.ui.ai_panel.AiPanel (its widgets and state live on the panel); the panel routes the worker's
signals here by request id."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLineEdit, QPushButton, QTextBrowser

from app.ai.requests import (
    ChatAskRequest,
    ChatContinueRequest,
    ChatFreeRequest,
    ChatInstructRequest,
    ChatRegenerateRequest,
    ChatRequest,
    ChatResetRequest,
)
from app.ai.results import FinishReason, Reply
from app.config import Key
from app.i18n import LazyString, _, lazy_gettext
from app.models import Article
from app.ui.ai_worker import AiWorker
from app.ui.markdown_view import end_note, markdown_html, note_html, prepare_view

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


class ChatBox:
    """The chat half of AiPanel (a mixin: it uses the panel's worker, context and article)."""

    worker: AiWorker
    ctx: Any  # app.ui.ui_context.UiContext
    article: Article | None
    _chat_req: int | None
    _transcripts: dict[int, list[ChatItem]]
    _chat_items: list[ChatItem]
    _set_busy: Callable[[bool], None]

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
