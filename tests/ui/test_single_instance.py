"""One Hearth per data dir: the window lock, a second start waiting for a first one still starting up, a
crashed holder's lock taken over, and two real launches at once opening one window."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from app.ui.single_instance import InstanceLock, InstanceServer, ask_running_instance, raise_running_instance
from tests.ui.sample_profile import build_sample

ROOT = Path(__file__).resolve().parents[2]


def python(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True)


def test_the_window_lock_is_one_holders_until_released(qapp, tmp_path: Path) -> None:
    first, second = InstanceLock(tmp_path), InstanceLock(tmp_path)
    assert first.acquire()
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_a_crashed_holders_lock_is_taken_over(qapp, tmp_path: Path) -> None:
    holder = python(
        "import sys, time; from pathlib import Path; from PySide6.QtCore import QCoreApplication;"
        "app = QCoreApplication([]); from app.ui.single_instance import InstanceLock;"
        f"lock = InstanceLock(Path({str(tmp_path)!r})); print(lock.acquire(), flush=True); time.sleep(60)"
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "True"
        assert not InstanceLock(tmp_path).acquire()  # held by a live process
    finally:
        holder.send_signal(signal.SIGKILL)  # no unlock: the lock file stays behind
        holder.wait(10)
    assert (tmp_path / ".hearth-window.lock").exists()
    lock = InstanceLock(tmp_path)
    assert lock.acquire()  # its process is gone
    assert not raise_running_instance(tmp_path, InstanceLock(tmp_path), wait_s=5)  # nobody to ask
    lock.release()


def test_a_second_start_waits_for_the_first_ones_server(qtbot, tmp_path: Path) -> None:
    """The first start holds the lock but listens only after its first paint: the second keeps asking."""
    lock = InstanceLock(tmp_path)
    assert lock.acquire()
    second = python(
        "import sys; from pathlib import Path; from PySide6.QtCore import QCoreApplication;"
        "app = QCoreApplication([]); from app.ui.single_instance import *; d = Path(sys.argv[1]);"
        "mine = InstanceLock(d); assert not mine.acquire(); assert not ask_running_instance(d, 200);"
        "print('asking', flush=True); sys.exit(0 if raise_running_instance(d, mine, wait_s=60) else 3)",
        str(tmp_path),
    )
    server = InstanceServer(tmp_path)
    try:
        assert second.stdout is not None and second.stdout.readline().strip() == "asking"
        with qtbot.waitSignal(server.raise_requested, timeout=30000):
            assert server.listen()  # the first start's window has painted
        assert second.wait(30) == 0
    finally:
        second.kill()
        server.close()
        server.deleteLater()
        lock.release()
    assert not ask_running_instance(tmp_path / "other", 200)  # nobody listens for another data dir


def test_a_holder_that_never_answers_lets_the_second_start_go_on(qapp, tmp_path: Path) -> None:
    lock = InstanceLock(tmp_path)
    assert lock.acquire()
    try:
        assert not raise_running_instance(tmp_path, InstanceLock(tmp_path), wait_s=0.3)
    finally:
        lock.release()


def test_two_launches_at_once_open_one_window(tmp_path: Path) -> None:
    """A double-click that starts Hearth twice: one process paints its window, the other raises it and exits."""
    build_sample(tmp_path / "hearth.sqlite3")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HEARTH_BENCH_EXIT_AFTER_PAINT="3")
    launches = [
        subprocess.Popen(
            [sys.executable, "-m", "app", "--data-dir", str(tmp_path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = []
    try:
        for launch in launches:
            out, _ = launch.communicate(timeout=180)
            assert launch.returncode == 0
            outputs.append([json.loads(line)["event"] for line in out.splitlines() if line.startswith("{")])
    finally:
        for launch in launches:
            launch.kill()
    painted = [events for events in outputs if "first_paint" in events]
    assert len(painted) == 1, outputs  # one window; the other start asked it to show itself
    assert [] in outputs
