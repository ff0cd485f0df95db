"""The AI panel's summary box: the current article's summary (streamed, saved, copyable as Markdown), a digest
of the unread articles of the selected feed or folder with links back to each, and the feed's auto-summary
rule. A part of app.ui.ai_panel.AiPanel (its widgets and state live on the panel); the panel routes the
worker's signals here by request id."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QCheckBox, QLabel, QPushButton, QTextBrowser

from app.ai.requests import DigestRequest, SummarizeRequest
from app.ai.results import DigestResult, FinishReason, SummaryResult
from app.config import Key
from app.errors import HearthError
from app.i18n import _, ngettext
from app.models import Article
from app.storage import Store
from app.ui.ai_links import article_link_id
from app.ui.ai_worker import AiWorker
from app.ui.markdown_view import fit_to_content, markdown_html, prepare_view

SUMMARY_MIN_PX = 90  # the summary box grows with its text from here up to SUMMARY_MAX_SHARE of the panel
SUMMARY_MAX_SHARE = 0.6


class SummaryBox:
    """The summary half of AiPanel (a mixin: it uses the panel's worker, context, article and status line)."""

    worker: AiWorker
    ctx: Any  # app.ui.ui_context.UiContext
    article: Article | None
    digest_scope: Callable[[], tuple[str, str] | None] | None
    article_link_clicked: Any  # the panel's Signal(int)
    status: QLabel
    summary_text: str
    _summary_req: int | None
    height: Callable[[], int]
    _set_busy: Callable[[bool], None]

    def _build_summary(self) -> None:
        self.summarise_button = QPushButton(_("Summarise"))
        self.resummarise_button = QPushButton("↻")
        self.resummarise_button.setToolTip(_("Summarise again (replaces the saved summary)"))
        self.copy_button = QPushButton(_("Copy summary"))
        self.digest_button = QPushButton(_("Digest unread"))
        self.digest_button.setToolTip(
            _("One briefing over the unread articles of the selected feed or folder")
        )
        self.summarise_button.clicked.connect(lambda: self.summarise())
        self.resummarise_button.clicked.connect(lambda: self.summarise(refresh=True))
        self.copy_button.clicked.connect(self.copy_summary)
        self.digest_button.clicked.connect(self.digest)
        self.cut_label = QLabel("")
        self.cut_label.setObjectName("aiCutNote")
        self.cut_label.hide()
        self.summary_view = QTextBrowser()
        self.summary_view.setOpenLinks(False)
        self.summary_view.anchorClicked.connect(self._on_anchor)
        self.summary_view.setPlaceholderText(_("Summarise the article to see its main points here."))
        self.summary_view.document().documentLayout().documentSizeChanged.connect(
            lambda _s: self._fit_summary()
        )
        self.auto_box = QCheckBox(_("Auto-summarise this feed's new articles"))
        self.auto_box.setToolTip(
            _("Summarise new articles of this feed in the background, when the model is idle")
        )
        self.auto_box.toggled.connect(self._on_auto_toggled)
        prepare_view(self.summary_view)

    # the current article --------------------------------------------------------------------------
    def _show_article_summary(self, article: Article) -> None:
        """The feed's auto-summary rule and the article's saved summary, if any (no model involved)."""
        self.auto_box.blockSignals(True)
        self.auto_box.setChecked(self.ctx.store.feed_rules(article.feed_id).summarize)  # one row by key
        self.auto_box.blockSignals(False)
        self._show_saved(article.id)

    def cached_summary(self, article_id: int) -> str | None:
        """The summary saved for the active model and prompt version: a trivial read, no torch."""
        try:
            from app.ai.assistant import model_id_for
            from app.ai.prompts import PROMPT_VERSION

            path = self.ctx.settings.get(Key.AI_MODEL_PATH)
            if not path:
                return None
            found = self.ctx.store.get_summary(article_id, model_id_for(Path(path)), PROMPT_VERSION)
        except HearthError as exc:
            self.status.setText(exc.user_message())
            return None
        return found.text if found is not None else None

    def _show_saved(self, article_id: int) -> bool:
        """Show the article's saved summary; False when it has none."""
        cached = self.cached_summary(article_id)
        if cached is None:
            return False
        self._show_summary(cached)
        self.status.setText(_("Saved summary"))
        return True

    # summaries ------------------------------------------------------------------------------------
    def summarise(self, *, refresh: bool = False) -> None:
        if self.article is None:
            return
        if not refresh and self._show_saved(self.article.id):
            return
        self._clear_summary()
        self.status.setText(_("Summarising…"))
        self._summary_req = self.worker.submit(SummarizeRequest(self.article.id, refresh), "summary")
        self._set_busy(True)

    def _clear_summary(self) -> None:
        self.summary_text = ""
        self.summary_view.clear()

    def _show_summary(self, text: str) -> None:
        self.summary_text = text
        self.summary_view.setHtml(markdown_html(text))

    def _append_summary(self, text: str) -> None:
        """Streamed summary or digest text: onto what is shown."""
        self._show_summary(self.summary_text + text)

    def _fit_summary(self) -> None:
        maximum = max(SUMMARY_MIN_PX, int(self.height() * SUMMARY_MAX_SHARE))
        fit_to_content(self.summary_view, SUMMARY_MIN_PX, maximum)

    def copy_summary(self) -> None:
        """The summary as Markdown with the article's title and link, ready to paste or export."""
        if self.article is None or not self.summary_text:
            return
        QGuiApplication.clipboard().setText(summary_markdown(self.article, self.summary_text))
        self.status.setText(_("Summary copied"))

    def digest(self) -> None:
        scope = self.digest_scope() if self.digest_scope else None
        if scope is None:
            scope = ("unread", _("all unread articles"))
        self._clear_summary()
        self.cut_label.hide()
        self.status.setText(_("Writing a digest of {scope}…").format(scope=scope[1]))
        self._summary_req = self.worker.submit(DigestRequest(scope[0]), "summary")
        self._set_busy(True)

    def _summary_finished(self, result: object, stopped: bool) -> None:
        """The summary or digest request ended (Stop pressed when `stopped`)."""
        if isinstance(result, DigestResult):
            self._show_digest(result)
        elif isinstance(result, SummaryResult):
            if result.text and not stopped:  # a stopped summary keeps what was shown at Stop
                self._show_summary(result.text)
            self._show_cut(result.cut_to)
            state = {FinishReason.CANCELLED: _("Stopped"), FinishReason.CACHED: _("Saved summary")}.get(
                result.finish_reason, _("Summary saved")
            )
            self.status.setText(state)

    def _show_cut(self, cut_to: int | None) -> None:
        self.cut_label.setVisible(cut_to is not None)
        if cut_to is not None:
            self.cut_label.setText(
                ngettext(
                    "✂ article cut to {n:,} token (ai.context_tokens)",
                    "✂ article cut to {n:,} tokens (ai.context_tokens)",
                    cut_to,
                ).format(n=cut_to)
            )

    def _show_digest(self, result: DigestResult) -> None:
        body = markdown_html(result.text)
        links = "".join(
            f"<li><a href='{item.link}'>{html.escape(item.title)}</a></li>" for item in result.items
        )
        self.summary_text = result.text
        self.summary_view.setHtml(
            body + (f"<p><b>{html.escape(_('Articles'))}</b></p><ol>{links}</ol>" if links else "")
        )
        self.status.setText(
            ngettext("Digest of {n} article", "Digest of {n} articles", len(result.items)).format(
                n=len(result.items)
            )
        )

    def _on_anchor(self, url: QUrl) -> None:
        article_id = article_link_id(url)
        if article_id is not None:
            self.article_link_clicked.emit(article_id)

    def _on_auto_toggled(self, on: bool) -> None:
        if self.article is None:
            return
        self.ctx.db.submit(partial(set_auto_summary, feed_id=self.article.feed_id, on=on))


def set_auto_summary(store: Store, *, feed_id: int, on: bool) -> None:
    """The feed's summarise rule on or off, its other rules kept (on the database thread)."""
    store.set_feed_rules(replace(store.feed_rules(feed_id), summarize=on))


def summary_markdown(article: Article, summary: str) -> str:
    link = f"<{article.url}>\n\n" if article.url else "\n"
    return f"# {article.title or '(untitled)'}\n{link}{summary}\n"
