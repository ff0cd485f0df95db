"""Edit a feed: title, folder, refresh interval, User-Agent, extra headers, enabled, full text."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from app.errors import ConfigError
from app.i18n import _
from app.models import Feed, FeedKind, Folder
from app.storage.full_text import FullTextMode, FullTextSetting


def parse_headers(text: str) -> dict[str, str]:
    """`Name: value` per line; blank lines ignored; raises ConfigError on a line without a colon."""
    headers: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip() or " " in name.strip():
            raise ConfigError(
                _("header line {n} is not 'Name: value'").format(n=n),
                hint=_("e.g. Referer: https://example.org/"),
            )
        headers[name.strip()] = value.strip()
    return headers


def folder_choices(combo: QComboBox, folders: list[Folder], current: int | None) -> None:
    combo.addItem(_("(top level)"), None)
    by_id = {f.id: f for f in folders}

    def path(f: Folder) -> str:
        parts, seen = [f.name], {f.id}
        while f.parent_id is not None and f.parent_id in by_id and f.parent_id not in seen:
            f = by_id[f.parent_id]
            seen.add(f.id)
            parts.append(f.name)
        return " / ".join(reversed(parts))

    for f in sorted(folders, key=path):
        combo.addItem(path(f), f.id)
        if f.id == current:
            combo.setCurrentIndex(combo.count() - 1)


class EditFeedDialog(QDialog):
    def __init__(self, feed: Feed, folders: list[Folder], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.feed = feed
        self.setWindowTitle(_("Edit feed — {title}").format(title=feed.title or feed.url))
        form = QFormLayout(self)
        self.title = QLineEdit(feed.title)
        self.url = QLineEdit(feed.url)
        self.url.setReadOnly(feed.kind != FeedKind.FEED)
        self.folder = QComboBox()
        folder_choices(self.folder, folders, feed.folder_id)
        self.interval = QSpinBox(minimum=0, maximum=7 * 24 * 60, suffix=_(" min"))
        self.interval.setSpecialValueText(_("Default"))
        self.interval.setValue((feed.update_interval or 0) // 60)
        self.user_agent = QLineEdit(feed.user_agent or "")
        self.user_agent.setPlaceholderText(_("Default (Settings)"))
        self.headers = QPlainTextEdit("\n".join(f"{k}: {v}" for k, v in feed.extra_headers.items()))
        self.headers.setPlaceholderText(_("Referer: https://example.org/"))
        self.headers.setFixedHeight(80)
        self.enabled = QCheckBox(_("Refresh this feed"))
        self.enabled.setChecked(feed.enabled)
        # the full-text choice lives in its own table: it arrives by `show_full_text` (read off the GUI
        # thread); until then the box is off and disabled, and an untouched box changes nothing
        self.full_text = QCheckBox(_("Fetch the full article from its page"))
        self.full_text.setToolTip(
            _(
                "For feeds that only give a teaser: Hearth fetches each new article's page and keeps the "
                "article's text (no scripts run). Detected automatically for teaser feeds."
            )
        )
        self.full_text.setEnabled(False)
        self.full_text.setVisible(feed.kind == FeedKind.FEED)
        self.full_text_note = QLabel()
        self.full_text_note.setWordWrap(True)
        self.full_text_note.setVisible(feed.kind == FeedKind.FEED)
        self._full_text: FullTextSetting | None = None
        self.error = QLabel()
        self.error.setStyleSheet("color: #d9453d")
        self.error.setWordWrap(True)
        form.addRow(_("Title"), self.title)
        form.addRow(_("Address"), self.url)
        form.addRow(_("Folder"), self.folder)
        form.addRow(_("Refresh every"), self.interval)
        form.addRow(_("User-Agent"), self.user_agent)
        form.addRow(_("Extra headers"), self.headers)
        form.addRow("", self.enabled)
        form.addRow("", self.full_text)
        form.addRow("", self.full_text_note)
        form.addRow(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.resize(520, self.sizeHint().height())

    def show_full_text(self, setting: FullTextSetting) -> None:
        """The feed's full-text choice, once read: ticks the box and says what detection saw."""
        self._full_text = setting
        self.full_text.setChecked(setting.enabled)
        self.full_text.setEnabled(self.feed.kind == FeedKind.FEED)
        if setting.mode == FullTextMode.AUTO and setting.teaser is not None:
            if setting.teaser:
                self.full_text_note.setText(_("Automatic: Hearth saw a teaser feed."))
            else:
                self.full_text_note.setText(_("Automatic: Hearth saw a feed with whole articles."))
        elif setting.mode != FullTextMode.AUTO:
            self.full_text_note.setText(_("Chosen by you (uncheck or check to change)."))

    def accept(self) -> None:
        try:
            self._changes = self._collect()
        except ConfigError as exc:
            self.error.setText(exc.user_message())
            return
        super().accept()

    def changes(self) -> dict[str, Any]:
        """The fields for `store.update_feed` (only what differs from the feed)."""
        return self._changes

    def _collect(self) -> dict[str, Any]:
        url = self.url.text().strip()
        if self.feed.kind == FeedKind.FEED and not url.startswith(("http://", "https://")):
            raise ConfigError(_("the address must start with http:// or https://"))
        wanted: dict[str, Any] = {
            "title": self.title.text().strip(),
            "url": url,
            "folder_id": self.folder.currentData(),
            "update_interval": self.interval.value() * 60 or None,
            "user_agent": self.user_agent.text().strip() or None,
            "extra_headers": parse_headers(self.headers.toPlainText()),
            "enabled": self.enabled.isChecked(),
        }
        changes = {k: v for k, v in wanted.items() if getattr(self.feed, k) != v}
        if self._full_text is not None and self.full_text.isChecked() != self._full_text.enabled:
            changes["full_text"] = "on" if self.full_text.isChecked() else "off"
        return changes
