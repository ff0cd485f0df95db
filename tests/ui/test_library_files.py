"""The window's file jobs when they fail: the reason goes to the status line and to a message box (the real
modal, closed by a timer once it is up), never a traceback."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox


def _close_the_box(seen: list[str]) -> QTimer:
    """Closes the first message box that comes up, keeping its text."""
    timer = QTimer(interval=20)

    def check() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            timer.stop()
            box.done(0)

    timer.timeout.connect(check)
    timer.start()
    return timer


def test_a_missing_opml_file_is_reported(qtbot, controller, tmp_path: Path) -> None:
    seen: list[str] = []
    timer = _close_the_box(seen)
    missing = tmp_path / "gone.opml"
    controller.window.library.import_opml(str(missing))
    qtbot.waitUntil(lambda: bool(seen), timeout=10000)
    timer.stop()
    assert "cannot read" in seen[0] and str(missing) in seen[0]
    assert controller.window.status.label.text() == seen[0]


def test_an_export_that_cannot_be_written_is_reported(qtbot, controller, tmp_path: Path) -> None:
    seen: list[str] = []
    timer = _close_the_box(seen)
    controller.window.library.export_articles(str(tmp_path), "atom")  # a folder: no file can go there
    qtbot.waitUntil(lambda: bool(seen), timeout=10000)
    timer.stop()
    assert seen[0].startswith("Failed: ") and "Is a directory" in seen[0]
    assert controller.window.status.label.text() == seen[0]
