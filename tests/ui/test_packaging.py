"""The desktop entry and AppStream metainfo are well-formed and agree with each other."""

from __future__ import annotations

import configparser
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"


def test_desktop_entry_and_metainfo_agree() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(PACKAGING / "org.hearth.Hearth.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Exec"].startswith("hearth")
    assert (PACKAGING / f"{desktop['Icon']}.svg").exists()
    root = ET.parse(PACKAGING / "org.hearth.Hearth.metainfo.xml").getroot()
    assert root.findtext("id") == "org.hearth.Hearth"
    assert root.find("launchable").text == "org.hearth.Hearth.desktop"
    for shot in root.iter("image"):
        assert (Path(__file__).resolve().parents[2] / "docs/screenshots" / Path(shot.text).name).exists()


def test_autostart_points_at_the_installed_launcher(tmp_path: Path) -> None:
    import shlex
    import sys

    from app.desktop_entry import launch_command
    from app.ui import autostart

    command = launch_command()
    script = Path(sys.executable).parent / "hearth"
    if script.is_file():  # pip wrote a `hearth` script for this interpreter: the entry starts that
        assert command == [str(script)]
    else:
        assert command == [sys.executable, "-m", "app"]
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path)}
    path = autostart.set_enabled(True, platform="linux", env=env)
    assert path is not None and f"Exec={shlex.join(command)}\n" in path.read_text(encoding="utf-8")
    started = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=120)
    assert started.returncode == 0 and started.stdout.startswith("hearth ")  # the launcher really runs Hearth
