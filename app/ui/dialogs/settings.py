"""Settings: refresh interval, retention, tray and start-up behaviour, notifications (also after a refresh
the user starts), compact list, proxy, User-Agent, theme, local AI on/off, its model source (built-in or your
own server) and translation language, and the local feed server (port, access key).

Every field maps to a key in app.config.SETTING_SPECS and is saved through `Settings.set_text`, the
same validation the `hearth config set` command uses.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.ai.languages import LANGUAGE_NAMES, normalise_language
from app.config import Key, Settings
from app.errors import ConfigError
from app.i18n import _, lazy_gettext
from app.ui.language_box import LanguageBox

CHECKS = (
    ("ui.start_minimised", lazy_gettext("Start minimised in the tray")),
    ("ui.close_to_tray", lazy_gettext("Closing the window keeps Hearth in the tray")),
    ("ui.autostart", lazy_gettext("Start Hearth when I log in")),
    ("ui.notifications", lazy_gettext("Notify me of new articles")),
    ("ui.tray_count", lazy_gettext("Show the unread count on the tray icon")),
    ("ui.notify_manual_refresh", lazy_gettext("Also notify after a refresh I start")),
    ("ui.mark_read_on_select", lazy_gettext("Mark articles read when opened")),
    ("ui.list_compact", lazy_gettext("Compact article list (one line per article, no snippets)")),
    ("refresh.paused", lazy_gettext("Pause background refreshing")),
    ("ai.enabled", lazy_gettext("Local AI (summaries and chat; off: the model is never loaded)")),
    ("server.enabled", lazy_gettext("Serve my feeds as RSS on this computer (127.0.0.1) while Hearth runs")),
)


BACKENDS = (
    ("rwkv", lazy_gettext("Built-in RWKV model")),
    ("openai", lazy_gettext("My own OpenAI-compatible server")),
)
LANGUAGES = (
    ("", lazy_gettext("The system's language")),
    *LANGUAGE_NAMES.items(),
)  # any other code can be typed

PAGES = {  # which tab each check box sits on
    "General": (
        "ui.start_minimised",
        "ui.close_to_tray",
        "ui.autostart",
        "ui.notifications",
        "ui.notify_manual_refresh",
        "ui.tray_count",
    ),
    "Reading": ("ui.mark_read_on_select", "ui.list_compact"),
    "Refreshing": ("refresh.paused",),
    "AI and sharing": ("ai.enabled", "server.enabled"),
}
THEME_NAMES = {"system": lazy_gettext("System"), "light": lazy_gettext("Light"), "dark": lazy_gettext("Dark")}
TAB_TITLES = {
    "General": lazy_gettext("General"),
    "Reading": lazy_gettext("Reading"),
    "Refreshing": lazy_gettext("Refreshing"),
    "AI and sharing": lazy_gettext("AI and sharing"),
}


class SettingsDialog(QDialog):
    """Tabs: General, Reading, Refreshing, AI and sharing. `save` writes the settings (the app passes
    one that merges with the file, see UiContext.save_settings)."""

    def __init__(
        self, settings: Settings, parent: QWidget | None = None, *, save: Callable[[], None] | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Settings"))
        self.settings = settings
        self._save = save or settings.save
        self.changed: set[str] = set()
        self.interval = QSpinBox(minimum=5, maximum=7 * 24 * 60, suffix=_(" min"))
        self.interval.setValue(settings.get(Key.REFRESH_INTERVAL_MINUTES))
        self.retention = QSpinBox(minimum=0, maximum=36500, suffix=_(" days"))
        self.retention.setSpecialValueText(_("Keep everything"))
        self.retention.setValue(settings.get(Key.RETENTION_DAYS))
        self.theme = QComboBox()
        for choice in Key.UI_THEME.choices:
            self.theme.addItem(str(THEME_NAMES.get(choice, choice.capitalize())), choice)
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings.get(Key.UI_THEME))))
        self.proxy = QLineEdit(settings.get(Key.FETCH_PROXY))
        self.proxy.setPlaceholderText(_("none (e.g. http://127.0.0.1:8080 or socks5://host:1080)"))
        self.user_agent = QLineEdit(settings.get(Key.FETCH_USER_AGENT))
        self.user_agent.setPlaceholderText(_("Hearth's own, honest User-Agent"))
        self.server_port = QSpinBox(minimum=1024, maximum=65535)
        self.server_port.setValue(settings.get(Key.SERVER_PORT))
        self.access_key = QLineEdit(settings.get(Key.SERVER_ACCESS_KEY))
        self.access_key.setPlaceholderText(_("none (any program on this computer may read the feeds)"))
        self.backend = QComboBox()
        for choice, label in BACKENDS:
            self.backend.addItem(str(label), choice)
        self.backend.setCurrentIndex(max(0, self.backend.findData(settings.get(Key.AI_BACKEND))))
        self.endpoint = QLineEdit(settings.get(Key.AI_ENDPOINT))
        self.endpoint.setPlaceholderText(_("e.g. http://127.0.0.1:11434/v1 (Ollama), :8080/v1 (llama.cpp)"))
        self.endpoint_model = QLineEdit(settings.get(Key.AI_ENDPOINT_MODEL))
        self.endpoint_model.setPlaceholderText(_("the server's first model"))
        self.language = QComboBox()
        self.language.setEditable(True)
        for code, label in LANGUAGES:
            self.language.addItem(str(label), code)
        self._select_language(settings.get(Key.AI_LANGUAGE))
        self.backend.currentIndexChanged.connect(lambda _i: self._sync_backend())
        self._sync_backend()
        self.checks: dict[str, QCheckBox] = {}
        labels = dict(CHECKS)
        self.tabs = QTabWidget()
        forms: dict[str, QFormLayout] = {}
        for title, keys in PAGES.items():
            page = QWidget()
            forms[title] = QFormLayout(page)
            self.tabs.addTab(page, str(TAB_TITLES[title]))
            if title == "General":
                forms[title].addRow(_("Theme"), self.theme)
                self.ui_language = LanguageBox(settings)  # ui.language: applies after a restart
                forms[title].addRow(self.ui_language.label, self.ui_language)
            elif title == "Reading":
                forms[title].addRow(_("Delete read articles after"), self.retention)
            elif title == "Refreshing":
                forms[title].addRow(_("Refresh feeds every"), self.interval)
                forms[title].addRow(_("Proxy"), self.proxy)
                forms[title].addRow(_("Default User-Agent"), self.user_agent)
            elif title == "AI and sharing":
                forms[title].addRow(_("Feed server port"), self.server_port)
                forms[title].addRow(_("Feed server key (?key=)"), self.access_key)
                forms[title].addRow(_("Model source"), self.backend)
                forms[title].addRow(_("Server address"), self.endpoint)
                forms[title].addRow(_("Server model"), self.endpoint_model)
                forms[title].addRow(_("Translate into"), self.language)
            for key in keys:
                box = QCheckBox(str(labels[key]))
                box.setChecked(bool(settings.get(key)))
                self.checks[key] = box
                forms[title].addRow("", box)
        self.error = QLabel()
        self.error.setStyleSheet("color: #d9453d")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())

    def values(self) -> dict[str, str]:
        """The dialog's fields as text, keyed by setting."""
        values = {
            "refresh.interval_minutes": str(self.interval.value()),
            "retention.days": str(self.retention.value()),
            "ui.theme": str(self.theme.currentData()),
            "ui.language": self.ui_language.value(),
            "fetch.proxy": self.proxy.text().strip(),
            "fetch.user_agent": self.user_agent.text().strip(),
            "server.port": str(self.server_port.value()),
            "server.access_key": self.access_key.text().strip(),
            "ai.backend": str(self.backend.currentData()),
            "ai.endpoint": self.endpoint.text().strip(),
            "ai.endpoint_model": self.endpoint_model.text().strip(),
            "ai.language": self._language_code(),
        }
        values.update({key: "true" if box.isChecked() else "false" for key, box in self.checks.items()})
        return values

    def accept(self) -> None:
        self.error.clear()
        proxy = self.proxy.text().strip()
        if proxy and "://" not in proxy:
            self.error.setText(
                _("The proxy must be a URL such as http://127.0.0.1:8080 or socks5://host:1080.")
            )
            return
        endpoint = self.endpoint.text().strip()
        if self.backend.currentData() == "openai" and not endpoint.startswith(("http://", "https://")):
            self.error.setText(
                _(
                    "Your own model server needs its address, such as http://127.0.0.1:11434/v1 "
                    "(or choose the built-in model)."
                )
            )
            return
        try:
            if self._language_code():
                self._select_language(normalise_language(self._language_code()))
        except ConfigError as exc:
            self.error.setText(exc.user_message())
            return
        before = {key: self.settings.get(key) for key in self.values()}
        try:
            for key, text in self.values().items():
                self.settings.set_text(key, text)
        except ConfigError as exc:
            for key, value in before.items():
                self.settings.set(key, value)
            self.error.setText(exc.user_message())
            return
        self.changed = {key for key, value in before.items() if self.settings.get(key) != value}
        self._save()
        super().accept()

    def show_value(self, key: str, value: bool) -> None:
        """A check box follows a change made elsewhere while the dialog is open (View > Compact list)."""
        box = self.checks.get(key)
        if box is not None:
            box.setChecked(value)

    # the AI fields --------------------------------------------------------------------------------
    def _sync_backend(self) -> None:
        server = self.backend.currentData() == "openai"
        self.endpoint.setEnabled(server)
        self.endpoint_model.setEnabled(server)

    def _select_language(self, code: str) -> None:
        index = self.language.findData(code)
        if index < 0:
            self.language.addItem(code, code)
            index = self.language.count() - 1
        self.language.setCurrentIndex(index)

    def _language_code(self) -> str:
        """The chosen language's code; a typed-in code (e.g. "ja") is taken as it is."""
        text = self.language.currentText().strip()
        index = self.language.findText(text)
        if index >= 0:
            return str(self.language.itemData(index))
        return text
