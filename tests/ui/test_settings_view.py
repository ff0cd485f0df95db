"""Settings (issue 13): check boxes for `ui.list_compact` (Reading) and `ui.notify_manual_refresh` (General) and
the feed server's access key; the compact box and View > Compact list stay in step (each moves the other and
the setting), and the choice survives a restart. A real AppController and window on a real profile."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.config import Key, Settings
from app.ui.dialogs.settings import PAGES, SettingsDialog
from tests.ui.conftest import make_controller, wait_loaded


@contextmanager
def running(qtbot, data_dir: Path) -> Iterator[object]:
    ctl = make_controller(data_dir)
    qtbot.addWidget(ctl.window)
    ctl.start(show=True, schedule=False)
    wait_loaded(qtbot, ctl)
    try:
        yield ctl
    finally:
        ctl.refresher.cancel()
        ctl.refresher.wait(10)
        ctl.shutdown()


def open_dialog(qtbot, ctl) -> SettingsDialog:
    ctl.window.library.open_settings()
    dialog = ctl.window.dialogs.settings
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def test_the_new_boxes_sit_on_their_tabs() -> None:
    assert "ui.list_compact" in PAGES["Reading"]
    assert "ui.notify_manual_refresh" in PAGES["General"]


def test_compact_box_and_view_menu_move_together_and_survive_a_restart(qtbot, sample_dir: Path) -> None:
    with running(qtbot, sample_dir) as ctl:
        window, action = ctl.window, ctl.window.actions_.compact_list
        assert not window.list.compact and not action.isChecked()
        dialog = open_dialog(qtbot, ctl)
        box = dialog.checks["ui.list_compact"]
        assert not box.isChecked()
        box.setChecked(True)
        assert not window.list.compact  # nothing changes before Save
        dialog.accept()
        assert action.isChecked() and window.list.compact  # the menu follows, and so does the list
        assert Settings.load(sample_dir / "settings.json").get(Key.UI_LIST_COMPACT) is True
        action.setChecked(False)  # the View menu, with the dialog closed
        assert not window.list.compact
        assert Settings.load(sample_dir / "settings.json").get(Key.UI_LIST_COMPACT) is False
        dialog = open_dialog(qtbot, ctl)
        box = dialog.checks["ui.list_compact"]
        assert not box.isChecked()  # a new dialog shows the menu's choice
        action.setChecked(True)  # toggled while the dialog is open: its box follows ...
        assert box.isChecked()
        dialog.accept()  # ... so saving the dialog does not undo the menu's choice
        assert action.isChecked() and window.list.compact
    with running(qtbot, sample_dir) as ctl:  # a restart: the list opens compact, the menu checked
        assert ctl.window.list.compact and ctl.window.actions_.compact_list.isChecked()
        dialog = open_dialog(qtbot, ctl)
        assert dialog.checks["ui.list_compact"].isChecked()
        dialog.reject()


def test_cancel_leaves_the_compact_setting_alone(qtbot, sample_dir: Path) -> None:
    with running(qtbot, sample_dir) as ctl:
        dialog = open_dialog(qtbot, ctl)
        dialog.checks["ui.list_compact"].setChecked(True)
        dialog.reject()
        assert not ctl.window.list.compact and not ctl.window.actions_.compact_list.isChecked()
        assert ctl.settings.get(Key.UI_LIST_COMPACT) is False


def test_notify_after_a_manual_refresh_and_the_access_key_are_saved(qtbot, sample_dir: Path) -> None:
    with running(qtbot, sample_dir) as ctl:
        dialog = open_dialog(qtbot, ctl)
        box = dialog.checks["ui.notify_manual_refresh"]
        assert not box.isChecked()  # off by default
        box.setChecked(True)
        dialog.access_key.setText("  s3cret ")
        dialog.accept()
        assert {"ui.notify_manual_refresh", "server.access_key"} <= dialog.changed
        assert ctl.settings.get(Key.UI_NOTIFY_MANUAL_REFRESH) is True  # what the controller reads
        assert ctl.library.settings.get(Key.SERVER_ACCESS_KEY) == "s3cret"  # what the feed server checks
    again = Settings.load(sample_dir / "settings.json")
    assert again.get(Key.UI_NOTIFY_MANUAL_REFRESH) is True and again.get(Key.SERVER_ACCESS_KEY) == "s3cret"
    with running(qtbot, sample_dir) as ctl:
        dialog = open_dialog(qtbot, ctl)
        assert dialog.checks["ui.notify_manual_refresh"].isChecked()
        assert dialog.access_key.text() == "s3cret"
        dialog.reject()
