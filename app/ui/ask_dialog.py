"""Ask your library (Tools → Ask your library…, Ctrl+Shift+L): a question over the current scope (the selected
feed or folder, Starred, Unread, or everything), the answer streamed with numbered citations, and the sources
listed under it as links that select the article in the window. Retrieval and the answer run on the model thread
(app.ai.ask); when nothing matches, the dialog says so without a model.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.ai.requests import AiRequest, AskRequest
from app.ai.results import AskResult, CitedSource, FinishReason
from app.i18n import _, ngettext
from app.ui.ai_links import article_link_id
from app.ui.ai_worker import AiWorker

log = logging.getLogger(__name__)

VIEW = "ask"


def ask_scope(node: Any) -> tuple[str, str]:
    """The ask scope of a tree node: (scope text for app.storage.retrieval.parse_scope, its name)."""
    if node is None or node.kind == "root":
        return ("all", "everything")
    if node.kind == "smart":
        if node.key in ("starred", "unread"):
            return (str(node.key), str(node.title))
        return ("all", "everything")
    if node.kind == "folder":
        return (f"folder:{node.key}", str(node.title))
    return (f"feed:{node.key}", str(node.title))


class AskDialog(QDialog):
    article_link_clicked = Signal(int)  # a cited source was clicked

    def __init__(self, worker: AiWorker, scope: tuple[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Ask your library"))
        self.worker = worker
        self.scope = scope
        self.request: int | None = None
        self.answer_text = ""
        self.sources: list[CitedSource] = []
        self.scope_label = QLabel()
        self.question = QLineEdit()
        self.question.setPlaceholderText(_("Ask a question about the articles here…"))
        self.question.returnPressed.connect(self.ask)
        self.ask_button = QPushButton(_("Ask"))
        self.ask_button.setDefault(True)
        self.ask_button.clicked.connect(self.ask)
        self.stop_button = QPushButton(_("Stop"))
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.answer = QTextBrowser()
        self.answer.setPlaceholderText(
            _("The answer appears here, with [1], [2]… pointing to the sources below.")
        )
        self.sources_view = QTextBrowser()
        self.sources_view.setOpenLinks(False)
        self.sources_view.setMaximumHeight(160)
        self.sources_view.anchorClicked.connect(self._on_anchor)
        self.status = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.question, 1)
        row.addWidget(self.ask_button)
        row.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scope_label)
        layout.addLayout(row)
        layout.addWidget(self.answer, 1)
        layout.addWidget(QLabel(_("Sources")))
        layout.addWidget(self.sources_view)
        layout.addWidget(self.status)
        worker.started.connect(self._on_started)
        worker.text_arrived.connect(self._on_text)
        worker.sources_found.connect(self._on_sources)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        self.set_scope(scope)
        self.resize(640, 520)

    def set_scope(self, scope: tuple[str, str]) -> None:
        self.scope = scope
        self.scope_label.setText(_("Looking in: <b>{scope}</b>").format(scope=html.escape(scope[1])))

    # actions ------------------------------------------------------------------------------------
    def ask(self) -> int | None:
        question = self.question.text().strip()
        if not question:
            self.status.setText(_("Type a question first."))
            return None
        self.answer_text = ""
        self.sources = []
        self.answer.clear()
        self.sources_view.clear()
        self.request = self.worker.submit(AskRequest(question, self.scope[0]), VIEW)
        self.status.setText(_("Looking through your library…"))
        self.stop_button.setEnabled(True)
        return self.request

    def stop(self) -> None:
        if self.request is None:
            return
        self.worker.cancel(VIEW)
        self.request = None
        self.stop_button.setEnabled(False)
        self.status.setText(_("Stopped"))

    def done(self, result: int) -> None:  # closing the dialog stops its question
        self.stop()
        super().done(result)

    # worker signals -----------------------------------------------------------------------------
    def _on_started(self, req: int, _request: AiRequest) -> None:
        if req == self.request:
            self.status.setText(_("Reading the sources…"))

    def _on_sources(self, req: int, sources: list[CitedSource]) -> None:
        if req == self.request:
            self.sources = list(sources)
            self._show_sources()
            self.status.setText(_("Answering…"))

    def _on_text(self, req: int, text: str) -> None:
        if req != self.request:
            return
        self.answer_text += text
        self.answer.setPlainText(self.answer_text.lstrip())

    def _on_finished(self, req: int, _request: AiRequest, result: object) -> None:
        if req != self.request or not isinstance(result, AskResult):
            return
        self.request = None
        self.stop_button.setEnabled(False)
        self.answer_text = result.answer
        self.answer.setPlainText(result.answer)
        self.sources = list(result.sources)
        self._show_sources()
        if result.finish_reason == FinishReason.NOTHING_FOUND:
            self.status.setText(_("Nothing relevant found here — try other words or a wider scope."))
        elif result.finish_reason == FinishReason.CANCELLED:
            self.status.setText(_("Stopped"))
        else:
            cited = sum(1 for s in self.sources if s.cited)
            self.status.setText(
                ngettext("{n} source, {cited} cited", "{n} sources, {cited} cited", len(self.sources)).format(
                    n=len(self.sources), cited=cited
                )
            )

    def _on_failed(self, req: int, _request: AiRequest, message: str) -> None:
        if req != self.request:
            return
        self.request = None
        self.stop_button.setEnabled(False)
        self.status.setText(_("Could not answer: {message}").format(message=message))

    def _show_sources(self) -> None:
        lines = []
        for source in self.sources:
            mark = " ✓" if source.cited else ""
            lines.append(
                f'<p>[{source.number}] <a href="{html.escape(source.link)}">{html.escape(source.title)}</a>{mark}</p>'
            )
        self.sources_view.setHtml("".join(lines))

    def _on_anchor(self, url: QUrl) -> None:
        article_id = article_link_id(url)
        if article_id is not None:
            self.article_link_clicked.emit(article_id)


def open_ask_dialog(window: Any, worker: AiWorker) -> AskDialog:
    """Open (or bring back) the window's Ask dialog over the tree's current scope."""
    from app.ui.ai_mount import open_article

    dialog = window.dialogs.ask
    scope = ask_scope(window.tree.current_node())
    if dialog is None:
        dialog = AskDialog(worker, scope, window)
        dialog.article_link_clicked.connect(lambda article_id: open_article(window, article_id))
        window.dialogs.ask = dialog
    elif dialog.request is None:
        dialog.set_scope(scope)
    dialog.setWindowModality(Qt.WindowModality.NonModal)
    dialog.show()
    dialog.raise_()
    dialog.question.setFocus()
    return dialog
