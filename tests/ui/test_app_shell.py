"""The app around the window: tray menu, close-to-tray, autostart, settings dialog (single instance:
test_single_instance.py)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QImage

from app.storage.app_state import TOLD_ABOUT_TRAY
from app.ui import autostart
from app.ui.icons import tray_pixmap


def test_tray_menu_actions(qtbot, controller) -> None:
    ctl = controller
    started = []
    ctl.refresh = lambda ids=None: started.append(ids)
    ctl.tray.refresh_all.disconnect()
    ctl.tray.refresh_all.connect(lambda: ctl.refresh(None))
    ctl.tray.refresh_action.trigger()
    assert started == [None]
    ctl.tray.pause_action.trigger()
    assert ctl.scheduler.paused and ctl.settings.get("refresh.paused")
    assert ctl.tray.pause_action.text() == "Resume refreshing"
    ctl.tray.pause_action.trigger()
    assert not ctl.scheduler.paused
    ctl.window.hide()
    ctl.tray.open_action.trigger()
    assert ctl.window.isVisible()
    ctl.toggle_window()
    assert not ctl.window.isVisible()
    ctl.toggle_window()
    assert ctl.window.isVisible()


def test_tray_count_painted_and_toggleable(qtbot) -> None:
    plain = tray_pixmap(0, show_count=True).toImage()
    counted = tray_pixmap(42, show_count=True).toImage()
    hidden = tray_pixmap(42, show_count=False).toImage()
    assert counted != plain and hidden == plain
    badge = counted.pixelColor(counted.width() - 4, counted.height() - counted.height() // 4)
    assert badge.red() > 180 and badge.green() < 120  # the red badge in the corner
    assert isinstance(counted, QImage)


def test_close_keeps_running_in_tray_and_says_so_once(qtbot, controller) -> None:
    ctl = controller
    ctl.tray_available = True
    messages = []
    ctl.tray.notify = lambda title, text: messages.append(title)
    quits = []
    ctl.quit = lambda: quits.append(1)
    ctl.window.close()
    assert not ctl.window.isVisible() and not quits
    assert ctl.db.wait_idle() and messages == ["Hearth is still running"]
    assert ctl.store.app_state(TOLD_ABOUT_TRAY) == "1"  # remembered in the library, not in settings.json
    ctl.show_window()
    ctl.window.close()
    assert messages == ["Hearth is still running"]  # only the first time
    ctl.tray_available = False
    ctl.show_window()
    ctl.window.close()
    assert quits == [1]  # no tray: closing quits


def test_autostart_entry_written_and_removed(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path)}
    path = autostart.set_enabled(True, platform="linux", env=env)
    assert path == tmp_path / "config" / "autostart" / "hearth.desktop"
    text = path.read_text()
    assert (
        "[Desktop Entry]" in text
        and f"Exec={autostart.launch_command()[0]}" in text
        and "Type=Application" in text
    )
    assert autostart.is_enabled("linux", env)
    autostart.set_enabled(False, platform="linux", env=env)
    assert not path.exists() and not autostart.is_enabled("linux", env)
    assert "RunAtLoad" in autostart.launch_agent(["/usr/bin/hearth"])


def test_settings_dialog_saves_through_settings(qtbot, controller) -> None:
    from app.config import Settings
    from app.ui.dialogs.settings import SettingsDialog

    ctl = controller
    dialog = SettingsDialog(ctl.settings, ctl.window)
    qtbot.addWidget(dialog)
    dialog.interval.setValue(15)
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    dialog.checks["ui.tray_count"].setChecked(False)
    dialog.proxy.setText("not a url")
    dialog.accept()
    assert ("proxy" in dialog.error.text() and dialog.isVisible() is False) or dialog.result() == 0
    dialog.proxy.setText("")
    dialog.accept()
    assert dialog.result() == 1
    saved = Settings.load(ctl.paths.settings_path)
    assert saved.get("refresh.interval_minutes") == 15 and saved.get("ui.theme") == "dark"
    assert saved.get("ui.tray_count") is False
    assert {"refresh.interval_minutes", "ui.theme", "ui.tray_count"} <= dialog.changed


def test_a_new_library_shows_how_to_begin(qtbot, data_dir: Path) -> None:
    from app.storage import open_store
    from tests.ui.conftest import make_controller

    ctl = make_controller(data_dir)
    qtbot.addWidget(ctl.window)
    ctl.start(show=True, schedule=False)
    try:
        reader = ctl.window.reader
        qtbot.waitUntil(lambda: "Welcome to Hearth" in reader.toPlainText(), timeout=5000)
        assert "Import OPML" in reader.toPlainText()
        with open_store(data_dir / "hearth.sqlite3") as store:
            store.add_feed("https://example.org/feed.xml", title="Example")
        ctl.window.reload_library()
        qtbot.waitUntil(lambda: "Welcome" not in reader.toPlainText(), timeout=5000)
        assert "Select an article" in reader.toPlainText()
    finally:
        ctl.shutdown()
