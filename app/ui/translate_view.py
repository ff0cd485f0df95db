"""Translate in the reader: Article → Translate (Ctrl+T) streams the shown article's translation into the reader
block by block as the model finishes each (layout kept, see app.ai.html_blocks), with an Original / Translated
toggle. A cached translation shows at once (the worker answers it without loading a model); pressing Translate
again while it runs stops it; choosing another article stops it too.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence

from app.ai.html_blocks import Piece, render, runs, split_blocks
from app.ai.requests import AiRequest, TranslateRequest
from app.ai.results import FinishReason, TranslatedBlock, TranslationResult
from app.i18n import _
from app.models import Article
from app.ui.ai_worker import AiWorker
from app.ui.reader_pane import ReaderPane

log = logging.getLogger(__name__)

VIEW = "translate"  # the worker view: a new translation pre-empts the old one, nothing else
KEPT = 16  # finished translations kept in memory for the toggle (the database keeps them all)
MARK = "\u2063\u2063"  # invisible: starts the text of the block being written, so it can be updated in place
PAINT_MS = 60  # blocks arriving together (cached or skipped runs) re-render the reader once


class ReaderTranslation(QObject):
    """Owns the reader's translation: the request in flight, the blocks done so far, the finished ones."""

    def __init__(self, worker: AiWorker, reader: ReaderPane, parent: QObject, *, notify: Any = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.reader = reader
        self._notify = notify or (lambda _text: None)
        self.request: int | None = None
        self.article_id: int | None = None  # the article the running request translates
        self._pieces: list[Piece] = []
        self._done: dict[int, str] = {}
        self._title = ""
        self._partial = ""  # the streamed text of the block being written
        self._partial_painted = (
            False  # the reader's page has that block marked (updated in place from then on)
        )
        self.results: dict[int, tuple[str, str]] = {}  # article id -> (title, html), newest last
        self.max_block_tokens: int | None = None  # tests keep generation short
        self._paint_timer = QTimer(self, singleShot=True, interval=PAINT_MS)
        self._paint_timer.timeout.connect(self._paint)
        self.translate_action = QAction(_("Translate"), parent)
        self.translate_action.setShortcut(QKeySequence("Ctrl+T"))
        self.translate_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.translate_action.setToolTip(
            _("Translate this article into your language (Ctrl+T; again to stop)")
        )
        self.translate_action.triggered.connect(lambda _c=False: self.translate())
        self.original_action = QAction(_("Show original"), parent, checkable=True)
        self.original_action.setShortcut(QKeySequence("Ctrl+Shift+T"))
        self.original_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.original_action.setToolTip(_("Switch between the original and the translation (Ctrl+Shift+T)"))
        self.original_action.setEnabled(False)
        self.original_action.toggled.connect(self.show_original)
        worker.translated_title.connect(self._on_title)
        worker.translated_block.connect(self._on_block)
        worker.text_arrived.connect(self._on_text)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)

    @property
    def running(self) -> bool:
        return self.request is not None

    # user actions -------------------------------------------------------------------------------
    def translate(self, *, refresh: bool = False) -> int | None:
        """Start (or, while one runs, stop) translating the shown article; returns the request id."""
        if self.running:
            self.stop()
            return None
        article = self.reader.article
        if article is None:
            return None
        if not refresh and article.id in self.results:
            self._show_result(article.id)
            return None
        self.article_id = article.id
        self._pieces = split_blocks(article.content_html or article.summary_html or "")
        self._done, self._title = {}, ""
        self._partial, self._partial_painted = "", False
        request = TranslateRequest(article.id, refresh=refresh, max_block_tokens=self.max_block_tokens)
        self.request = self.worker.submit(request, VIEW)
        self.translate_action.setText(_("Stop translating"))
        self._notify(_("Translating…"))
        return self.request

    def stop(self) -> None:
        """Cancel the running translation; the blocks already shown stay until the original is chosen."""
        if self.request is None:
            return
        self.worker.cancel(VIEW)
        self._end()
        self._notify(_("Translation stopped"))

    def show_original(self, original: bool) -> None:
        article = self.reader.article
        if article is None:
            return
        if original:
            self.reader.show_original()
        elif article.id in self.results:
            self.reader.show_translation(*self.results[article.id])

    def set_article(self, article: Article | None) -> None:
        """The reader shows another article: stop translating the old one; offer the toggle if this one is done."""
        if self.running and (article is None or article.id != self.article_id):
            self.worker.cancel(VIEW)
            self._end()
        self._sync_toggle(original=True)

    # worker signals -----------------------------------------------------------------------------
    def _on_title(self, req: int, title: str) -> None:
        """The title so far: it streams (each signal holds all of it), then the final one; cached, it comes whole."""
        if req == self.request:
            self._title = title
            if not self._paint_timer.isActive():  # never restarted: a fast title still shows as it grows
                self._paint_timer.start()

    def _on_block(self, req: int, block: TranslatedBlock) -> None:
        if req == self.request:
            self._done[block.index] = block.text
            self._partial, self._partial_painted = "", False
            if not self._paint_timer.isActive():
                self._paint_timer.start()

    def _on_text(self, req: int, text: str) -> None:
        if req != self.request:
            return
        self._partial += text
        if self._partial_painted:
            self.reader.update_marked_text(MARK, self._partial)
        elif not self._paint_timer.isActive():
            self._paint_timer.start()

    def _on_finished(self, req: int, request: AiRequest, result: object) -> None:
        if req != self.request or not isinstance(request, TranslateRequest):
            return
        self._end()
        if not isinstance(result, TranslationResult) or result.finish_reason == FinishReason.CANCELLED:
            return
        self.results.pop(result.article_id, None)
        self.results[result.article_id] = (result.title, result.html)
        while len(self.results) > KEPT:
            self.results.pop(next(iter(self.results)))
        if self._is_shown(result.article_id):
            self._show_result(result.article_id)
        self._notify(_("Translation from the cache") if result.cached else _("Translation saved"))

    def _on_failed(self, req: int, _request: AiRequest, message: str) -> None:
        if req != self.request:
            return
        self._end()
        self._notify(_("Could not translate: {message}").format(message=message))

    # helpers ------------------------------------------------------------------------------------
    def _paint(self) -> None:
        if self.request is None:
            return
        if self.article_id is not None and self._is_shown(self.article_id):
            done = dict(self._done)
            if self._partial.strip() and len(done) < len(runs(self._pieces)):
                done[len(done)] = MARK + self._partial
                self._partial_painted = True
            self.reader.show_translation(self._title, render(self._pieces, done))
            self._sync_toggle(original=False)

    def _show_result(self, article_id: int) -> None:
        self.reader.show_translation(*self.results[article_id])
        self._sync_toggle(original=False)

    def _sync_toggle(self, *, original: bool) -> None:
        article = self.reader.article
        available = article is not None and (
            article.id in self.results or (self.running and article.id == self.article_id)
        )
        self.original_action.blockSignals(True)
        self.original_action.setEnabled(available)
        self.original_action.setChecked(original)
        self.original_action.blockSignals(False)

    def _is_shown(self, article_id: int) -> bool:
        return self.reader.article is not None and self.reader.article.id == article_id

    def _end(self) -> None:
        self._paint_timer.stop()
        self.request = None
        self.translate_action.setText(_("Translate"))
