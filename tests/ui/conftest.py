"""UI fixtures: a real profile (SQLite file) and a running AppController on it, offscreen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import app.ui  # noqa: F401  (applies the PySide6 6.12 reference-count fix before Qt runs)
from app.config import Paths, Settings
from app.ui.application import GIL_SWITCH_INTERVAL_S
from tests.ui.sample_profile import build_large, build_sample


@pytest.fixture(autouse=True)
def gui_switch_interval() -> Iterator[None]:
    """As in the app (make_application): workers hand the GIL back to the GUI thread every 2 ms."""
    import sys

    before = sys.getswitchinterval()
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    yield
    sys.setswitchinterval(before)


@pytest.fixture
def sample_dir(data_dir: Path) -> Path:
    build_sample(data_dir / "hearth.sqlite3")
    return data_dir


@pytest.fixture(scope="session")
def large_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100,000 articles in one feed, built once per test session."""
    path = tmp_path_factory.mktemp("large") / "hearth.sqlite3"
    build_large(path, 100_000)
    return path


def make_controller(data_dir: Path, **settings: object):  # -> AppController
    from app.ui.controller import AppController

    values = Settings.load(data_dir / "settings.json")
    for key, value in settings.items():
        values.set(key.replace("__", "."), value)
    values.set("ui.mark_read_on_select", True)
    return AppController(Paths(data_dir), values, tray_available=False)


@pytest.fixture
def controller(qtbot, sample_dir: Path) -> Iterator[object]:
    ctl = make_controller(sample_dir)
    qtbot.addWidget(ctl.window)
    ctl.start(show=True, schedule=False)
    wait_loaded(qtbot, ctl)
    yield ctl
    ctl.refresher.cancel()
    ctl.refresher.wait(10)
    ctl.shutdown()


def wait_loaded(qtbot, ctl) -> None:
    """The library is shown and, for a shown window, what comes after its first paint (the AI panel and its
    menu entries, the web reader) is built, as a user sees it a moment after the launch."""
    if ctl.window.isVisible():
        qtbot.waitUntil(lambda: ctl.window.settled, timeout=10000)
    qtbot.waitUntil(lambda: len(ctl.window.tree_model.feeds()) > 0, timeout=5000)
    qtbot.waitUntil(lambda: ctl.window.tree_model.unread_total() > 0 or ctl.db.wait_idle(0), timeout=5000)
    ctl.db.wait_idle()
    qtbot.wait(20)


def select_node(qtbot, ctl, kind: str, key: object) -> None:
    window = ctl.window
    window.tree.setCurrentIndex(window.tree_model.index_of(kind, key))
    qtbot.wait(10)
