"""The AI off switch and lazy torch: with ai.enabled false (a model configured) the window and reader never
import torch; with AI on, torch loads only when the model is first used. Runs in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.ai_fixtures import build_library

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sys
from pathlib import Path
import app.ui
from app.config import Paths, Settings
from app.ui.application import make_application
from app.ui.controller import AppController

data, model, ai_on = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "on"
qt = make_application([])
settings = Settings(data / "settings.json")
settings.set("ai.enabled", ai_on)
settings.set("ai.model_path", model)
ctl = AppController(Paths(data), settings, tray_available=False)
ctl.start(show=True, schedule=False)
def spin(until, limit=20000):
    from PySide6.QtCore import QElapsedTimer
    t = QElapsedTimer(); t.start()
    while not until() and t.elapsed() < limit:
        qt.processEvents()
spin(lambda: len(ctl.window.tree_model.feeds()) > 0)
w = ctl.window
w.tree.setCurrentIndex(w.tree_model.index_of("smart", "all"))
spin(lambda: w.list_model.rowCount() > 0)
for row in range(w.list_model.rowCount()):
    w.select_row(row)
    qt.processEvents()
report = {"panel": ctl.ai_panel is not None, "read": w.reader.article is not None,
          "torch_after_reading": "torch" in sys.modules}
if ai_on:
    from app.ai.requests import LoadModelRequest
    ctl.ai_panel.worker.submit(LoadModelRequest(), "load")
    spin(lambda: "torch" in sys.modules and ctl.ai_panel.worker.assistant is not None
         and ctl.ai_panel.worker.assistant.loaded)
    report["torch_after_use"] = "torch" in sys.modules
ctl.shutdown()
print(json.dumps(report))
"""


def run(data_dir: Path, model: Path, mode: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(data_dir), str(model), mode],
        capture_output=True, text=True, check=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_ai_off_never_imports_torch(data_dir: Path, tmp_path: Path) -> None:
    build_library(data_dir / "hearth.sqlite3")
    model = tmp_path / "model.pth"
    model.write_bytes(b"configured but never touched")
    report = run(data_dir, model, "off")
    assert report == {"panel": False, "read": True, "torch_after_reading": False}


def test_ai_on_imports_torch_only_when_first_used(data_dir: Path, tmp_path: Path) -> None:
    from tests.support.ai_fixtures import tiny_checkpoint

    build_library(data_dir / "hearth.sqlite3")
    model = tiny_checkpoint(tmp_path / "tiny")
    report = run(data_dir, model, "on")
    assert report == {"panel": True, "read": True, "torch_after_reading": False, "torch_after_use": True}
