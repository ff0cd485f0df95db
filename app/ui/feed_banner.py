"""The banner above the article list when the selected feed is failing or paused: what failed, what
to do, and buttons to Retry or Edit the address (feed_status words the advice)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.i18n import _, ngettext
from app.ui.feed_status import advice_for


class FeedBanner(QFrame):
    def __init__(
        self, retry: Callable[[int], None], edit: Callable[[], None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("feedBanner")
        self.feed_id: int | None = None
        self.title = QLabel()
        self.title.setObjectName("bannerTitle")
        self.title.setWordWrap(True)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.retry_button = QPushButton(_("Retry"))
        self.edit_button = QPushButton(_("Edit address…"))
        self.retry_button.clicked.connect(lambda: self.feed_id is not None and retry(self.feed_id))
        self.edit_button.clicked.connect(edit)
        column = QVBoxLayout(self)
        column.setContentsMargins(10, 6, 10, 6)
        column.addWidget(self.title)
        column.addWidget(self.detail)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.edit_button)
        column.addLayout(buttons)
        self.hide()

    def show_for(self, node: Any) -> None:
        """Show the banner for a failing or paused feed node; hide it for anything else."""
        feed = getattr(node, "feed", None)
        badge = getattr(node, "badge", None)
        if node is None or node.kind != "feed" or feed is None or badge is None:
            self.feed_id = None
            self.hide()
            return
        self.feed_id = feed.id
        if badge == "cooldown":
            lines = node.tooltip.splitlines()[1:]
            self.title.setText(lines[0] if lines else _("This site asked Hearth to slow down."))
            self.detail.setText(" ".join(lines[1:]))
            self.edit_button.hide()
        else:
            errors = feed.consecutive_errors
            if errors > 1:
                title = ngettext(
                    "This feed could not be refreshed ({n} time in a row): {error}",
                    "This feed could not be refreshed ({n} times in a row): {error}",
                    errors,
                ).format(n=errors, error=feed.last_error)
            else:
                title = _("This feed could not be refreshed: {error}").format(error=feed.last_error)
            self.title.setText(title)
            self.detail.setText(_("{advice}  Address: {url}").format(advice=advice_for(feed), url=feed.url))
            self.edit_button.show()
        self.show()
