"""Start Hearth on login: an XDG autostart entry on Linux, a LaunchAgent on macOS, the Run key on Windows.

Each points at the launcher that is installed (`app.desktop_entry.launch_command`): the bundle, the
`hearth` script pip wrote, or `python -m app`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path

from app.desktop_entry import launch_command
from app.i18n import SOURCE_LANGUAGE, available_languages, lazy_gettext, load_translations

log = logging.getLogger(__name__)

DESKTOP_NAME = "hearth.desktop"
PLIST_NAME = "org.hearth.Hearth.plist"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
COMMENT = lazy_gettext("Feed reader that fetches everything itself")


def linux_autostart_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".config")
    return Path(base) / "autostart" / DESKTOP_NAME


def desktop_entry(command: list[str]) -> str:
    """The autostart entry; its Comment in English and in every language Hearth has a catalogue for."""
    comments = [
        f"Comment[{language}]={load_translations(language).gettext(COMMENT.message)}"
        for language in available_languages()
        if language != SOURCE_LANGUAGE
    ]
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Name=Hearth",
            f"Comment={COMMENT.message}",
            *comments,
            f"Exec={shlex.join(command)}",
            "Icon=org.hearth.Hearth",
            "Terminal=false",
            "X-GNOME-Autostart-enabled=true",
            "",
        ]
    )


def launch_agent(command: list[str]) -> str:
    args = "".join(f"<string>{a}</string>" for a in command)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
        '<plist version="1.0"><dict><key>Label</key><string>org.hearth.Hearth</string>'
        f"<key>ProgramArguments</key><array>{args}</array><key>RunAtLoad</key><true/></dict></plist>\n"
    )


def is_enabled(platform: str | None = None, env: Mapping[str, str] | None = None) -> bool:
    platform = platform or sys.platform
    if platform.startswith("linux"):
        return linux_autostart_path(env).exists()
    if platform == "darwin":
        return (Path.home() / "Library" / "LaunchAgents" / PLIST_NAME).exists()
    if platform == "win32":
        return _windows_value() is not None
    return False


def set_enabled(
    enabled: bool,
    platform: str | None = None,
    env: Mapping[str, str] | None = None,
    command: list[str] | None = None,
) -> Path | None:
    """Write or remove the platform's login item; returns the file written (None on Windows/off)."""
    platform = platform or sys.platform
    command = command or launch_command()
    if platform.startswith("linux") or platform.startswith("freebsd"):
        return _write_or_remove(linux_autostart_path(env), desktop_entry(command), enabled)
    if platform == "darwin":
        path = Path.home() / "Library" / "LaunchAgents" / PLIST_NAME
        return _write_or_remove(path, launch_agent(command), enabled)
    if platform == "win32":
        _windows_set(subprocess_line(command) if enabled else None)
        return None
    log.warning("starting on login is not supported on %s", platform)
    return None


def subprocess_line(command: list[str]) -> str:
    return " ".join(f'"{part}"' if " " in part else part for part in command)


def _write_or_remove(path: Path, text: str, enabled: bool) -> Path | None:
    if enabled:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path
    path.unlink(missing_ok=True)
    return None


def _windows_value() -> str | None:  # pragma: no cover - Windows only
    import winreg  # type: ignore[import-not-found]

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            return winreg.QueryValueEx(key, "Hearth")[0]
    except OSError:
        return None


def _windows_set(value: str | None) -> None:  # pragma: no cover - Windows only
    import winreg  # type: ignore[import-not-found]

    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
        if value is None:
            with contextlib.suppress(OSError):
                winreg.DeleteValue(key, "Hearth")
        else:
            winreg.SetValueEx(key, "Hearth", 0, winreg.REG_SZ, value)
