"""Render the README screenshots from the real window on a generated sample profile.

    xvfb-run -s "-screen 0 1400x900x24" python docs/screenshots/make_screenshots.py

Writes docs/screenshots/main-light.png and main-dark.png (QWidget.grab of the main window).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.config import Paths, Settings  # noqa: E402
from app.ui.application import make_application  # noqa: E402
from app.ui.controller import AppController  # noqa: E402
from tests.ui.sample_profile import build_sample  # noqa: E402

OUT = Path(__file__).resolve().parent


def shoot(app: QApplication, theme: str, data_dir: Path) -> None:
    settings = Settings.load(data_dir / "settings.json")
    settings.set("ui.theme", theme)
    controller = AppController(Paths(data_dir), settings, tray_available=False)
    window = controller.window
    window.resize(1360, 820)
    controller.start(show=True, schedule=False)
    controller.db.wait_idle()

    def settle(ms: int = 300) -> None:
        end = QTimer()
        end.setSingleShot(True)
        end.start(ms)
        while end.isActive():
            app.processEvents()

    settle()
    model = window.tree_model
    window.tree.setCurrentIndex(model.index_of("folder", next(f.id for f in model.folders() if f.name == "Engineering")))
    settle()
    window.select_row(0)
    settle(500)
    window.grab().save(str(OUT / f"main-{theme}.png"))
    controller.shutdown()
    window.hide()
    window.deleteLater()


def main() -> int:
    app = make_application([])
    with tempfile.TemporaryDirectory() as tmp:
        for theme in ("light", "dark"):
            data_dir = Path(tmp) / theme
            data_dir.mkdir()
            build_sample(data_dir / "hearth.sqlite3")
            shoot(app, theme, data_dir)
    print(f"wrote {OUT / 'main-light.png'} and {OUT / 'main-dark.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
