"""Before Qt starts, `hearth` says in one line why a window cannot open; and the menu entry for pip users."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.__main__ import XCB_LIBRARIES, display_problem, loads
from app.desktop_entry import install_desktop_entry, launch_command, menu_entry, remove_desktop_entry

ROOT = Path(__file__).resolve().parents[2]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland checks are Linux's")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(HOME=str(tmp_path), PYTHONPATH=str(ROOT), **extra)
    return env


@linux_only
def test_no_display_is_one_line_before_qt_and_headless_commands_still_work(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    gui = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", data],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert gui.returncode == 1  # not Qt's abort (134)
    lines = gui.stderr.strip().splitlines()
    assert len(lines) == 1, gui.stderr
    assert "$DISPLAY" in lines[0] and "$WAYLAND_DISPLAY" in lines[0] and "headless commands" in lines[0]
    listed = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", data, "list"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    assert "no feeds yet" in listed.stdout + listed.stderr


def test_offscreen_and_other_qpa_platforms_skip_the_check() -> None:
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", load=lambda _: False) is None
    assert display_problem({"QT_QPA_PLATFORM": "vnc:size=800x600"}, "linux", load=lambda _: False) is None
    assert display_problem({}, "win32", load=lambda _: False) is None


def test_a_missing_xcb_library_is_named_with_its_debian_and_fedora_packages() -> None:
    def without_cursor(soname: str) -> bool:
        return soname not in ("libxcb-cursor.so.0", "libxcb-icccm.so.4")

    problem = display_problem({"DISPLAY": ":0"}, "linux", load=without_cursor)
    assert problem is not None
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4 not found" in problem
    assert "sudo apt install libxcb-cursor0 libxcb-icccm4" in problem
    assert "sudo dnf install xcb-util-cursor xcb-util-wm" in problem
    assert "headless commands" in problem and "\n" not in problem
    # only what is really missing is named (Qt's own message names libxcb-cursor0 whatever is missing)
    only_keysyms = display_problem({"DISPLAY": ":0"}, "linux", load=lambda s: s != "libxcb-keysyms.so.1")
    assert only_keysyms is not None and "libxcb-keysyms1" in only_keysyms and "cursor" not in only_keysyms


def test_wayland_session_falls_back_to_x11_checks_when_its_libraries_are_missing() -> None:
    no_wayland = {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}
    assert display_problem(no_wayland, "linux", load=lambda s: "wayland" not in s) is None  # XWayland
    only = display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux", load=lambda s: "wayland" not in s)
    assert only is not None and "libwayland-client0" in only and "Wayland" in only


@linux_only
def test_the_check_really_loads_the_libraries_installed_here() -> None:
    """On this machine (CI installs Qt's X11 libraries) the real dlopen finds them all."""
    missing = [soname for soname in XCB_LIBRARIES if not loads(soname)]
    assert missing == [], f"install the packages for {missing} (see .ci/run)"
    assert display_problem({"DISPLAY": ":0"}, "linux") is None
    assert not loads("libhearth-no-such-library.so.9")


def test_install_desktop_entry_writes_a_valid_entry_pointing_at_this_launcher(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "share"), "HOME": str(tmp_path)}
    entry, icon = install_desktop_entry(env)
    assert entry == tmp_path / "share" / "applications" / "org.hearth.Hearth.desktop"
    assert icon.read_bytes() == (ROOT / "packaging" / "org.hearth.Hearth.svg").read_bytes()
    parsed = configparser.ConfigParser(interpolation=None)
    parsed.optionxform = str  # type: ignore[assignment,method-assign]
    parsed.read(entry)
    exec_line = parsed["Desktop Entry"]["Exec"]
    command = launch_command()
    assert exec_line == menu_entry(command).split("Exec=", 1)[1].splitlines()[0]
    assert Path(command[0]).is_absolute() and Path(command[0]).exists()  # works from the menu, no PATH needed
    shipped = configparser.ConfigParser(interpolation=None)
    shipped.optionxform = str  # type: ignore[assignment,method-assign]
    shipped.read(ROOT / "packaging" / "org.hearth.Hearth.desktop")
    assert {k: v for k, v in parsed["Desktop Entry"].items() if k != "Exec"} == {
        k: v for k, v in shipped["Desktop Entry"].items() if k != "Exec"
    }
    validator = subprocess.run(
        ["desktop-file-validate", str(entry)], capture_output=True, text=True, check=False
    )
    assert validator.returncode == 0 and not validator.stdout.strip(), validator.stdout
    assert remove_desktop_entry(env) == [entry, icon] and not entry.exists()


def test_install_desktop_entry_from_the_command_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "--install-desktop-entry"],
        env=_env(tmp_path, XDG_DATA_HOME=str(tmp_path / "share")),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    entry = tmp_path / "share" / "applications" / "org.hearth.Hearth.desktop"
    assert f"wrote {entry}" in result.stdout and entry.exists()
    assert (
        "--install-desktop-entry"
        in subprocess.run(
            [sys.executable, "-m", "app", "--help"],
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
    )
