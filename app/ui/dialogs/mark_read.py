"""Mark all read: a confirmation with an "older than" choice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from app.i18n import _, lazy_gettext

AGES = (
    (lazy_gettext("All articles"), None),
    (lazy_gettext("Older than a day"), 1),
    (lazy_gettext("Older than a week"), 7),
    (lazy_gettext("Older than a month"), 30),
)


class MarkReadDialog(QDialog):
    def __init__(self, target: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Mark all as read"))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("Mark the articles in <b>{target}</b> as read?").format(target=target)))
        self.age = QComboBox()
        for label, days in AGES:
            self.age.addItem(str(label), days)
        layout.addWidget(self.age)
        note = QLabel(_("You can undo this from the Edit menu or the status bar."))
        note.setEnabled(False)
        layout.addWidget(note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Mark as read"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def older_than(self, now: datetime | None = None) -> datetime | None:
        days = self.age.currentData()
        if days is None:
            return None
        return (now or datetime.now(UTC)) - timedelta(days=days)
