"""Background AI work in the panel: a line "Reading ahead: 3 of 10" or "AI rules: 2 of 5" (the per-feed rules
after a refresh, queued by app.ui.ai_mount.auto_summarise) with a Pause button that holds every background job,
and what starts and holds read-ahead.

Read-ahead (app.ai.read_ahead) is queued as a background request when the model is loaded and idle (after it
loads, after each user request, after a refresh brought new articles), never while one waits; the worker runs
it only after a quiet gap and any user request pre-empts it. It is held while the user types in the panel's
question box (until TYPING_PAUSE_MS after the last key), on battery (polled every BATTERY_POLL_MS; Linux only,
see app.ai.read_ahead.on_battery), and while the Pause button is down. `ai.read_ahead` off: never queued.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from app.ai.read_ahead import on_battery
from app.ai.requests import AiRequest, ReadAheadRequest, SummarizeRequest, TranslateRequest
from app.ai.results import FinishReason, ReadAheadProgress, ReadAheadResult, SummariesQueued
from app.config import Key
from app.i18n import _, lazy_gettext, ngettext
from app.ui.ai_worker import AiWorker

log = logging.getLogger(__name__)

TYPING_PAUSE_MS = 1500
BATTERY_POLL_MS = 60_000
REASONS = {
    "typing": lazy_gettext("while you type"),
    "battery": lazy_gettext("on battery"),
    "user": lazy_gettext("paused"),
}


class ReadAheadBar(QWidget):
    """The panel's read-ahead line; hidden until read-ahead has something to say."""

    def __init__(
        self, worker: AiWorker, settings: Any, *, battery: Callable[[], bool] = on_battery, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self.worker, self.settings, self._battery = worker, settings, battery
        self.model_ready = False
        self._progress: ReadAheadProgress | None = None
        self._rules_waiting: set[tuple[type, int]] = set()  # (request type, article id) queued by the rules
        self._rules_total = 0
        self.label = QLabel()
        self.pause_button = QPushButton(_("Pause"))
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip(_("Pause background AI work: reading ahead and the feeds' AI rules"))
        self.pause_button.toggled.connect(self._on_pause_toggled)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.pause_button)
        self.setVisible(False)
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_PAUSE_MS)
        self._typing.timeout.connect(lambda: self.worker.pause_background("typing", False))
        self._battery_timer = QTimer(self)
        self._battery_timer.setInterval(BATTERY_POLL_MS)
        self._battery_timer.timeout.connect(self.check_battery)
        self._battery_timer.start()
        worker.read_ahead_progress.connect(self._on_progress)
        worker.background_paused.connect(lambda _reasons: self._show())
        worker.finished.connect(self._on_finished)
        worker.failed.connect(lambda req, request, _message: self._on_finished(req, request, None))
        worker.model_ready.connect(self._on_model_ready)
        self.check_battery()

    # what starts and holds it ---------------------------------------------------------------------
    def schedule(self) -> bool:
        """Queue a read-ahead pass if it is on, the model is loaded and none is queued; True if queued."""
        if not self.settings.get(Key.AI_READ_AHEAD) or not self.model_ready:
            return False
        if self.worker.has_pending(ReadAheadRequest):
            return False
        self.worker.submit(ReadAheadRequest(), "read-ahead", background=True)
        return True

    def typing(self) -> None:
        """A key in the question box: hold read-ahead until the user has stopped typing for a moment."""
        self.worker.pause_background("typing", True)
        self._typing.start()

    def close(self) -> None:
        """The app is shutting down: stop polling the battery and the typing pause."""
        self._battery_timer.stop()
        self._typing.stop()

    def check_battery(self) -> None:
        try:
            self.worker.pause_background("battery", self._battery())
        except OSError as exc:  # an odd /sys: never pause for it
            log.info("battery state unreadable: %s", exc)

    def _on_pause_toggled(self, paused: bool) -> None:
        self.pause_button.setText(_("Resume") if paused else _("Pause"))
        self.worker.pause_background("user", paused)

    # what it shows --------------------------------------------------------------------------------
    def _on_model_ready(self, _note: str) -> None:
        self.model_ready = True
        self.schedule()

    def _on_progress(self, progress: ReadAheadProgress) -> None:
        self._progress = progress
        self._show()

    def _on_finished(self, _req: int, request: AiRequest, result: object) -> None:
        if isinstance(result, SummariesQueued):
            self._rules_waiting |= {(SummarizeRequest, i) for i in result.summaries}
            self._rules_waiting |= {(TranslateRequest, i) for i in result.translations}
            self._rules_total += result.queued
            self._show_rules()
            return
        if isinstance(request, SummarizeRequest | TranslateRequest) and self._rules_total:
            self._rules_waiting.discard((type(request), request.article_id))
            self._show_rules()
        if isinstance(request, ReadAheadRequest):
            if isinstance(result, ReadAheadResult) and result.finish_reason == FinishReason.STOP:
                count = len(result.read)
                self._progress = None
                self.label.setText(
                    ngettext("Read ahead {n} article", "Read ahead {n} articles", count).format(n=count)
                )
                self.setVisible(True)
            return
        self.schedule()  # a user request is done: read on once the model has been quiet a moment

    def _show_rules(self) -> None:
        done = self._rules_total - len(self._rules_waiting)
        if not self._rules_waiting:
            self.label.setText(
                ngettext("AI rules done: {n} run", "AI rules done: {n} runs", done).format(n=done)
            )
            self._rules_total = 0
        else:
            text = _("AI rules: {done} of {total}").format(done=done + 1, total=self._rules_total)
            reasons = self.worker.paused_reasons()
            if reasons:
                text += _(" — ") + ", ".join(str(REASONS.get(r, r)) for r in sorted(reasons))
            self.label.setText(text)
        self.setVisible(True)

    def _show(self) -> None:
        progress = self._progress
        if progress is None:
            return
        reasons = self.worker.paused_reasons()
        text = _("Reading ahead: {done} of {total}").format(
            done=min(progress.done + 1, progress.total), total=progress.total
        )
        if reasons:
            text += _(" — ") + ", ".join(str(REASONS.get(r, r)) for r in sorted(reasons))
        self.label.setText(text)
        self.setVisible(True)


def install_read_ahead(panel: Any, refresher: Any = None) -> ReadAheadBar:
    """Put the bar into the AI panel under its status line and wire the question box and refreshes to it."""
    bar = ReadAheadBar(panel.worker, panel.ctx.settings, parent=panel)
    panel.layout().insertWidget(1, bar)
    panel.input.textEdited.connect(lambda _text: bar.typing())
    if refresher is not None:
        refresher.feed_done.connect(lambda outcome: bar.schedule() if outcome.new_articles else None)
    panel.read_ahead = bar
    return bar
