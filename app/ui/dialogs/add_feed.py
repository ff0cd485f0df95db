"""Add a feed: a feed or site address (discovery runs off the GUI thread), a choice when a page
offers several feeds, and site links (Zhihu ...) that become sources."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QWidget,
)

from app.errors import HearthError
from app.i18n import _, ngettext
from app.models import FeedLink, Folder
from app.ui.background import TaskPool
from app.ui.dialogs.edit_feed import folder_choices

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewSubscription:
    """What the dialog decided: feeds to add (url, title, kind, params) into one folder."""

    feeds: list[dict[str, Any]] = field(default_factory=list)
    folder_id: int | None = None


def match_source(url: str) -> dict[str, Any] | None:
    """A site page Hearth turns into a feed (Zhihu ...), as add_feed arguments; None for plain URLs."""
    from app.sources.registry import match_url, source_feed_url, source_title

    found = match_url(url.strip())
    if found is None:
        return None
    source, params = found
    return {
        "url": source_feed_url(source, params),
        "title": source_title(source, params),
        "kind": source.id,
        "params": dict(params),
    }


def address_problem(text: str) -> str | None:
    """Why `text` cannot be a web address (in the user's own words), or None if it might be one."""
    stripped = text.strip()
    host = stripped.split("://", 1)[-1].split("/", 1)[0]
    if (
        any(ch.isspace() for ch in stripped)
        or not host
        or ("." not in host and not host.startswith(("localhost", "[")))
    ):
        return _(
            "“{text}” is not a web address. Paste a site's address such as example.org, "
            "or a feed's, such as https://example.org/feed.xml."
        ).format(text=stripped)
    return None


class AddFeedDialog(QDialog):
    def __init__(
        self,
        folders: list[Folder],
        tasks: TaskPool,
        discover: Callable[[str], list[FeedLink]],
        *,
        folder_id: int | None = None,
        url: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Add feed"))
        self._tasks = tasks
        self._discover = discover
        self.result_: NewSubscription | None = None
        form = QFormLayout(self)
        self.url = QLineEdit(url)
        self.url.setPlaceholderText(_("https://example.org/ or a feed address"))
        self.folder = QComboBox()
        folder_choices(self.folder, folders, folder_id)
        self.status = QLabel(_("Paste a site or feed address; Hearth finds the feed."))
        self.status.setWordWrap(True)
        self.choices = QListWidget()
        self.choices.hide()
        form.addRow(_("Address"), self.url)
        form.addRow(_("Folder"), self.folder)
        form.addRow(self.status)
        form.addRow(self.choices)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(_("Find feed"))
        self.buttons.accepted.connect(self._on_ok)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.resize(560, self.sizeHint().height())

    def _on_ok(self) -> None:
        if self.choices.isVisible():
            chosen = [
                self.choices.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(self.choices.count())
                if self.choices.item(i).checkState() == Qt.CheckState.Checked
            ]
            if not chosen:
                self.status.setText(_("Tick at least one feed."))
                return
            self._finish([{"url": link.url, "title": link.title} for link in chosen])
            return
        url = self.url.text().strip()
        if not url:
            self.status.setText(_("Type an address first."))
            return
        problem = address_problem(url)
        if problem:
            self._say(problem)
            return
        source = match_source(url)
        if source is not None:
            self._finish([source])
            return
        self._busy(True, _("Looking for feeds…"))
        self._tasks.submit(lambda: self._discover(url), self._on_discovered, self._on_failed)

    def _on_discovered(self, links: list[FeedLink]) -> None:
        self._busy(False)
        if len(links) == 1:
            self._finish([{"url": links[0].url, "title": links[0].title}])
            return
        n = len(links)
        self.status.setText(
            ngettext(
                "This page offers {n} feed. Tick the ones to add:",
                "This page offers {n} feeds. Tick the ones to add:",
                n,
            ).format(n=n)
        )
        self.choices.clear()
        for n, link in enumerate(links):
            item = QListWidgetItem(f"{link.title or link.url}\n{link.url}")
            item.setData(Qt.ItemDataRole.UserRole, link)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if n == 0 else Qt.CheckState.Unchecked)
            self.choices.addItem(item)
        self.choices.show()
        self.ok.setText(_("Add"))

    def _on_failed(self, exc: Exception) -> None:
        self._busy(False)
        message = (
            exc.user_message()
            if isinstance(exc, HearthError)
            else _("Could not look up the address: {reason}").format(reason=exc)
        )
        self._say(message)

    def _say(self, text: str) -> None:
        """Show `text` in full: the dialog grows to fit a long, wrapped error."""
        self.status.setText(text)
        self.status.setMinimumHeight(self.status.heightForWidth(max(self.status.width(), 400)))
        self.adjustSize()

    def _busy(self, busy: bool, text: str = "") -> None:
        self.ok.setEnabled(not busy)
        self.url.setEnabled(not busy)
        if text:
            self.status.setText(text)

    def _finish(self, feeds: list[dict[str, Any]]) -> None:
        self.result_ = NewSubscription(feeds, self.folder.currentData())
        self.accept()
