"""How to start this Hearth again (the installed launcher), and the menu entry for pip users.

`hearth --install-desktop-entry` writes the same desktop entry and icon that the .deb installs, into
the user's own XDG data folder, pointing at whichever launcher is running now.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from app.config import resources_dir

APP_ID = "org.hearth.Hearth"


def launch_command() -> list[str]:
    """The installed launcher: the bundle's executable, the `hearth` script pip wrote, else `python -m app`."""
    if getattr(sys, "frozen", False):
        on_path = shutil.which("hearth")  # /usr/bin/hearth from the .deb is a link to /opt/hearth/hearth
        if on_path and os.path.realpath(on_path) == os.path.realpath(sys.executable):
            return [on_path]
        return [sys.executable]
    script = Path(sys.executable).parent / ("hearth.exe" if os.name == "nt" else "hearth")
    if script.is_file() and _script_runs_this_python(script):
        return [str(script)]
    return [sys.executable, "-m", "app"]


def _script_runs_this_python(script: Path) -> bool:
    if os.name == "nt":
        return True
    try:
        first = script.read_bytes()[:400].split(b"\n", 1)[0].decode("utf-8", "replace")
    except OSError:
        return False
    return first.startswith("#!") and os.path.realpath(first[2:].strip().split()[0]) == os.path.realpath(
        sys.executable
    )


def menu_entry(command: list[str]) -> str:
    """The desktop entry of packaging/org.hearth.Hearth.desktop, with `Exec` set to `command`."""
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Name=Hearth",
            "GenericName=Feed Reader",
            "Comment=A feed reader that fetches everything itself and summarises locally",
            f"Exec={shlex.join(command)}",
            f"Icon={APP_ID}",
            "Terminal=false",
            "Categories=Network;Feed;News;Qt;",
            "Keywords=RSS;Atom;feed;news;reader;OPML;",
            "StartupNotify=true",
            "StartupWMClass=hearth",
            "",
        ]
    )


def xdg_data_home(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    value = env.get("XDG_DATA_HOME", "")
    if value and Path(value).is_absolute():
        return Path(value)
    return Path(env.get("HOME") or Path.home()) / ".local" / "share"


def install_desktop_entry(
    env: Mapping[str, str] | None = None, command: list[str] | None = None
) -> list[Path]:
    """Write the menu entry and the icon under $XDG_DATA_HOME; returns the files written."""
    base = xdg_data_home(env)
    entry = base / "applications" / f"{APP_ID}.desktop"
    icon = base / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    entry.parent.mkdir(parents=True, exist_ok=True)
    icon.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(menu_entry(command or launch_command()), encoding="utf-8")
    shutil.copyfile(resources_dir() / "icons" / "hearth.svg", icon)
    updater = shutil.which("update-desktop-database")
    if updater:  # refreshes the menu's cache where the desktop keeps one; harmless where it does not
        import subprocess  # (not at import: the window's launch loads this module and never runs it)

        subprocess.run([updater, str(entry.parent)], capture_output=True, timeout=60, check=False)
    return [entry, icon]


def remove_desktop_entry(env: Mapping[str, str] | None = None) -> list[Path]:
    base = xdg_data_home(env)
    removed = []
    for path in (
        base / "applications" / f"{APP_ID}.desktop",
        base / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg",
    ):
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed
