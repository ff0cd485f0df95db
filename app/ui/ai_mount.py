"""Mounting the AI panel in the window: the panel beside the reader, its menu entries, auto-summaries after a
refresh, and opening an article or the model manager from it."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from PySide6.QtWidgets import (
    QWidget,
)

from app.ai.requests import (
    AutoSummaryRequest,
    LoadModelRequest,
)
from app.ai.results import FinishReason, SummaryResult, TranslationResult
from app.config import Key
from app.i18n import _
from app.ui.ai_panel import AiPanel
from app.ui.ai_worker import AiWorker
from app.ui.briefing_view import install_briefing
from app.ui.read_ahead_view import install_read_ahead
from app.ui.title_translation import install_title_translation

log = logging.getLogger(__name__)


# mounting -----------------------------------------------------------------------------------------------
def install_ai(controller: Any) -> AiPanel | None:
    """Mount the AI panel beside the reader and wire it (nothing at all when ai.enabled is off)."""
    if not controller.settings.get(Key.AI_ENABLED):
        return None
    window = controller.window
    worker = AiWorker(controller.paths, controller.settings, controller)
    panel = AiPanel(worker, controller.ctx, digest_scope=lambda: current_scope(window))
    window.add_side_panel(panel, _("AI"))
    # the window's own slot (connected first) has already shown the article in the reader
    window.list.selectionModel().currentChanged.connect(lambda *_a: panel.set_article(window.reader.article))
    panel.article_link_clicked.connect(lambda article_id: open_article(window, article_id))
    panel.manage_models_requested.connect(lambda: open_model_manager(panel, controller.ctx, worker))
    tools = window.menus.tools
    if tools is not None:
        tools.addSeparator()
        tools.addAction(_("AI models…")).triggered.connect(
            lambda _c=False: panel.manage_models_requested.emit()
        )
    controller.refresher.feed_done.connect(lambda outcome: auto_summarise(panel, outcome))
    rules_cap = partial(controller.settings.get, Key.AI_RULES_PER_REFRESH)
    controller.refresher.started.connect(lambda _n: setattr(panel, "rules_left", rules_cap()))
    install_read_ahead(panel, controller.refresher)
    panel.titles = install_title_translation(window, worker)
    worker.finished.connect(lambda _req, _request, result: mark_in_list(window.list_model, result))
    panel.briefing = install_briefing(controller, worker, lambda article_id: open_article(window, article_id))
    return panel


def current_scope(window: Any) -> tuple[str, str] | None:
    """The digest scope of the tree's selection: ("FEED_ID" | "folder:ID" | "unread", its name)."""
    node = window.tree.current_node()
    if node is None or node.kind in ("root", "smart"):
        return ("unread", _("all unread articles"))
    if node.kind == "folder":
        return (f"folder:{node.key}", node.title)
    return (str(node.key), node.title)


def open_article(window: Any, article_id: int) -> None:
    if window.select_article(article_id):
        return
    window.tree.setCurrentIndex(window.tree_model.index_of("smart", "all"))
    if not window.select_article(article_id):
        window.show_message(_("That article is no longer in the library"))


def auto_summarise(panel: AiPanel, outcome: Any) -> None:
    """After a refresh committed new articles of a feed with AI rules (summarise and/or translate): run them in
    the background behind every user request, at most ai.rules_per_refresh model runs per refresh in all
    (`panel.rules_left`, reset when a refresh starts; progress and Pause in app.ui.read_ahead_view)."""
    rules = panel.ctx.store.feed_rules(outcome.feed_id)
    if not outcome.new_articles or not rules.any:
        return
    left = getattr(panel, "rules_left", panel.ctx.settings.get(Key.AI_RULES_PER_REFRESH))
    limit = min(outcome.new_articles * (int(rules.summarize) + int(rules.translate)), left)  # model runs
    if limit <= 0:
        return
    panel.rules_left = left - limit  # an upper bound: articles that already have their results take no run
    panel.worker.submit(
        AutoSummaryRequest(outcome.feed_id, limit), f"auto-feed:{outcome.feed_id}", background=True
    )


def mark_in_list(model: Any, result: object) -> None:
    """A summary or translation was just saved: its article's row in the list gets the AI marker."""
    if isinstance(result, SummaryResult) and result.text and result.finish_reason != FinishReason.CANCELLED:
        model.mark_ai(result.article_id, "summary")
    elif isinstance(result, TranslationResult) and result.finish_reason != FinishReason.CANCELLED:
        model.mark_ai(result.article_id, "translation")


def open_model_manager(parent: QWidget, ctx: Any, worker: AiWorker) -> None:
    from app.ui.model_manager import ModelManagerDialog

    dialog = ModelManagerDialog(ctx, parent)
    dialog.model_changed.connect(lambda _path: worker.submit(LoadModelRequest(), "load"))
    dialog.open()
    parent._model_manager = dialog  # keep a reference while it is open
