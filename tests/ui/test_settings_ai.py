"""Settings → AI and sharing: the model source (built-in RWKV or the user's own OpenAI-compatible server), the
server's address and model, and the translation language, saved through the same validation as `hearth config
set`, with clear errors for a missing address or an unknown language."""

from __future__ import annotations

import json
from pathlib import Path

from app.ai.assistant import Assistant
from app.config import Paths, Settings
from app.storage import open_store
from app.ui.dialogs.settings import SettingsDialog


def dialog_for(qtbot, tmp_path: Path) -> tuple[SettingsDialog, Settings, list[int]]:
    settings = Settings.load(tmp_path / "settings.json")
    saved: list[int] = []

    def save() -> None:
        settings.save()
        saved.append(1)

    dialog = SettingsDialog(settings, save=save)
    qtbot.addWidget(dialog)
    return dialog, settings, saved


def test_defaults_are_the_built_in_model_and_the_system_language(qtbot, tmp_path: Path) -> None:
    dialog, _settings, _saved = dialog_for(qtbot, tmp_path)
    assert dialog.backend.currentData() == "rwkv"
    assert not dialog.endpoint.isEnabled() and not dialog.endpoint_model.isEnabled()  # nothing to send to
    assert dialog.values()["ai.language"] == "" and dialog.values()["ai.endpoint"] == ""
    dialog.backend.setCurrentIndex(dialog.backend.findData("openai"))
    assert dialog.endpoint.isEnabled() and dialog.endpoint_model.isEnabled()


def test_own_server_needs_an_address_then_is_saved_and_used(qtbot, tmp_path: Path) -> None:
    dialog, settings, saved = dialog_for(qtbot, tmp_path)
    dialog.backend.setCurrentIndex(dialog.backend.findData("openai"))
    dialog.accept()
    assert "needs its address" in dialog.error.text() and not saved
    assert settings.get("ai.backend") == "rwkv"  # nothing changed
    dialog.endpoint.setText(" http://127.0.0.1:11434/v1 ")
    dialog.endpoint_model.setText("qwen2.5:7b")
    dialog.language.setCurrentIndex(dialog.language.findData("zh"))
    dialog.accept()
    assert saved and dialog.error.text() == ""
    assert {"ai.backend", "ai.endpoint", "ai.endpoint_model", "ai.language"} <= dialog.changed
    on_disk = json.loads((tmp_path / "settings.json").read_text())
    flat = json.dumps(on_disk)
    assert "http://127.0.0.1:11434/v1" in flat and "qwen2.5:7b" in flat
    again = Settings.load(tmp_path / "settings.json")
    assert again.get("ai.backend") == "openai" and again.get("ai.language") == "zh"
    with open_store(tmp_path / "hearth.sqlite3") as store:
        assistant = Assistant(again, Paths(tmp_path), store)
        assert assistant.uses_server  # the assistant now talks to that server, not the built-in model
        assert "qwen2.5:7b" in assistant.model_id()


def test_a_typed_language_is_normalised_and_an_unknown_one_refused(qtbot, tmp_path: Path) -> None:
    dialog, settings, saved = dialog_for(qtbot, tmp_path)
    dialog.language.setEditText("Klingon")
    dialog.accept()
    assert "unknown language" in dialog.error.text() and not saved
    dialog.language.setEditText("zh_TW")
    dialog.accept()
    assert saved and settings.get("ai.language") == "zh-Hant"
