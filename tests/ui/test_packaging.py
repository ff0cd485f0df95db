"""The desktop entry and AppStream metainfo are well-formed and agree with each other."""

from __future__ import annotations

import configparser
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
