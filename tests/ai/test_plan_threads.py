"""The thread count in the plan (app/ai/plan.py `thread_rule`): ai.threads when set; else every core for a
command, and for the window every core but one unless SMT leaves hardware threads to spare. The plan shows the count and its reason, and the window's AI worker passes its context."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from app.ai import plan as plan_module
from app.ai.checkpoint import inspect_checkpoint
from app.ai.make_random import make_random_checkpoint
from app.ai.plan import plan_for, thread_rule
from tests.support.ai_fixtures import build_library

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("setting", "context", "cores", "logical", "threads", "why"),
    [
        (0, "cli", 1, 1, 1, "the one core"),
        (0, "cli", 2, 2, 2, "all 2 cores"),
        (0, "cli", 8, 8, 8, "all 8 cores"),
        (0, "cli", 8, 16, 8, "all 8 cores"),
        (0, "gui", 1, 1, 1, "GUI: the one core (none to leave)"),
        (0, "gui", 2, 2, 1, "GUI: 1 core left for the window"),
        (0, "gui", 3, 3, 2, "GUI: 1 core left for the window"),
        (0, "gui", 4, 4, 3, "GUI: 1 core left for the window"),
        (0, "gui", 16, 16, 15, "GUI: 1 core left for the window"),
        (0, "gui", 4, 8, 4, "GUI: all 4 cores, the window on a spare hardware thread"),
        (0, "gui", 2, 4, 2, "GUI: all 2 cores, the window on a spare hardware thread"),
        (3, "gui", 16, 16, 3, "ai.threads"),
        (6, "cli", 2, 2, 6, "ai.threads"),
    ],
)
def test_the_rule_for_each_machine(setting, context, cores, logical, threads, why):
    assert thread_rule(setting, context, cores, logical) == (threads, why)


def test_an_unknown_context_is_refused():
    with pytest.raises(ValueError, match="unknown context 'tray'"):
        thread_rule(0, "tray", 4, 4)


def test_this_machine_defaults_to_torchs_cores_and_its_affinity():
    assert plan_module.logical_cpus() >= 1
    assert thread_rule(0, "cli") == (plan_module.CORES, f"all {plan_module.CORES} cores")
    assert thread_rule(0, "gui") == thread_rule(0, "gui", plan_module.CORES, plan_module.logical_cpus())


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> Path:
    return make_random_checkpoint(
        tmp_path_factory.mktemp("threads") / "v7", version="7", n_layer=1, n_embd=64, vocab_size=300
    )


def test_the_plan_shows_the_count_and_why(ckpt, monkeypatch):
    monkeypatch.setattr(plan_module, "CORES", 4)
    monkeypatch.setattr(plan_module, "logical_cpus", lambda: 4)
    info = inspect_checkpoint(ckpt)
    cli = plan_for(info, "cpu", "fp32", "torch")
    gui = plan_for(info, "cpu", "fp32", "torch", context="gui")
    fixed = plan_for(info, "cpu", "fp32", "torch", threads=1, context="gui")
    assert (cli.threads, gui.threads, fixed.threads) == (4, 3, 1)
    assert cli.summary().endswith("· 4 threads")
    assert gui.summary().endswith("· 3 threads (GUI: 1 core left for the window)")
    assert fixed.summary().endswith("· 1 thread")
    assert "threads: 3 (GUI: 1 core left for the window)" in gui.why
    assert gui.as_dict()["threads_why"] == "GUI: 1 core left for the window"


# A fresh interpreter (torch's thread count is per process): this machine is made to look like four cores
# without SMT, then the window's AI worker loads the model, then a command-style load_model on the main thread.
SCRIPT = r"""
import json, sys
from pathlib import Path
import torch
from app.ai import plan
plan.CORES = 4
plan.logical_cpus = lambda: 4
from app.config import Paths, Settings
from app.ui.application import make_application
from app.ui.controller import AppController
from app.ai.requests import LoadModelRequest

data, model = Path(sys.argv[1]), sys.argv[2]
qt = make_application([])
settings = Settings(data / "settings.json")
settings.set("ai.model_path", model)
settings.set("ai.device", "cpu")
ctl = AppController(Paths(data), settings, tray_available=False)
ctl.start(show=True, schedule=False)
worker = ctl.ai_panel.worker
notes = []
worker.model_ready.connect(notes.append)
worker.submit(LoadModelRequest(), "load")
from PySide6.QtCore import QElapsedTimer
t = QElapsedTimer(); t.start()
while not notes and t.elapsed() < 60000:
    qt.processEvents()
assistant = worker.assistant
gui = assistant.model.plan
report = {"context": assistant.context, "threads": gui.threads, "why": gui.threads_why, "note": notes[0]}
ctl.shutdown()
from app.ai.model import load_model
cli = load_model(model, device="cpu").plan
report.update(cli_threads=cli.threads, cli_why=cli.threads_why, main_thread_torch=torch.get_num_threads())
print(json.dumps(report))
"""


def test_the_window_loads_with_its_rule_and_a_command_with_all_cores(data_dir: Path, ckpt: Path):
    build_library(data_dir / "hearth.sqlite3")
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(data_dir), str(ckpt)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=240,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen", QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox"),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["context"] == "gui"
    assert (report["threads"], report["why"]) == (3, "GUI: 1 core left for the window")
    assert report["note"].endswith("· 3 threads (GUI: 1 core left for the window)")  # what the AI panel shows
    assert (report["cli_threads"], report["cli_why"]) == (4, "all 4 cores")
    assert report["main_thread_torch"] == 4  # load_model applied the plan's count
    assert torch.get_num_threads() == plan_module.CORES  # (this process untouched)
