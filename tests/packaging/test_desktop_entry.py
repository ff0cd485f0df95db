"""The desktop entry and AppStream metadata that ship in packaging/ are valid."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"


def test_desktop_entry_validates_and_starts_the_app() -> None:
    entry = PACKAGING / "org.hearth.Hearth.desktop"
    keys = dict(line.split("=", 1) for line in entry.read_text(encoding="utf-8").splitlines() if "=" in line)
    assert keys["Exec"].split()[0] == "hearth" and keys["Type"] == "Application"
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate (desktop-file-utils) is not installed")
    result = subprocess.run([validator, str(entry)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout


def test_metainfo_is_well_formed_and_names_the_desktop_entry() -> None:
    root = ET.parse(PACKAGING / "org.hearth.Hearth.metainfo.xml").getroot()
    assert root.tag == "component"
    assert root.findtext("id") == "org.hearth.Hearth"
    assert root.find("launchable").text == "org.hearth.Hearth.desktop"
