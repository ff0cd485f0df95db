"""The window's status bar: a message that clears itself, the refresh progress, the Undo button, and the
time and result of the last refresh."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar

from app.i18n import _

MESSAGE_MS = 8000


class StatusLine(QObject):
    def __init__(self, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.undo_button = QPushButton(_("Undo"))
        self.undo_button.setFlat(True)
        self.undo_button.hide()
        self.last_refresh = QLabel("")
        self.last_refresh.setObjectName("lastRefresh")
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.label.clear)
        bar.addWidget(self.label, 1)
        bar.addPermanentWidget(self.undo_button)
        bar.addPermanentWidget(self.last_refresh)
        bar.addPermanentWidget(self.progress)

    def show_message(self, text: str, timeout_ms: int = MESSAGE_MS) -> None:
        """Show `text`; it clears after `timeout_ms` (0: it stays until the next message)."""
        self.label.setText(text)
        self._timer.stop()
        if timeout_ms:
            self._timer.start(timeout_ms)

    def show_progress(self, done: int, total: int, title: str) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done}/{total}")
        self.progress.setVisible(done < total)
        if title and done < total:
            self.label.setText(_("Refreshing… {title}").format(title=title))

    def show_undo(self, description: str | None) -> None:
        """The Undo button names the newest undoable step; None hides it."""
        if description is None:
            self.undo_button.hide()
            return
        self.undo_button.setText(_("Undo “{action}”").format(action=description))
        self.undo_button.show()

    def stop(self) -> None:
        self._timer.stop()
