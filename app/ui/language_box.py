"""The interface-language choice of the Settings dialog (`ui.language`): the system's, or a language Hearth
has a catalogue for, each named in its own language; a note says the new language applies after a restart
(Qt's widgets are built in one language; the window is not rebuilt live)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QVBoxLayout, QWidget

from app.config import Key, Settings
from app.i18n import _, available_languages, lazy_gettext

LABEL = lazy_gettext("Language")
# each language in its own words, as language menus show them; one without a name here shows its code
NATIVE_NAMES = {"en": "English", "zh_CN": "简体中文"}


class LanguageBox(QWidget):
    """A combo box of `ui.language`'s choices and the restart note; `value()` is the setting's text."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = str(LABEL)
        self.combo = QComboBox()
        self.combo.addItem(_("The system's language"), "system")
        offered = [c for c in Key.UI_LANGUAGE.choices if c != "system" and c in available_languages()]
        for code in offered:
            self.combo.addItem(NATIVE_NAMES.get(code, code), code)
        self.combo.setCurrentIndex(max(0, self.combo.findData(settings.get(Key.UI_LANGUAGE))))
        self.started_with = self.value()
        self.note = QLabel(_("Hearth speaks the new language after a restart."))
        self.note.setWordWrap(True)
        self.note.setVisible(False)
        self.combo.currentIndexChanged.connect(
            lambda _i: self.note.setVisible(self.value() != self.started_with)
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addWidget(self.note)

    def value(self) -> str:
        return str(self.combo.currentData())
