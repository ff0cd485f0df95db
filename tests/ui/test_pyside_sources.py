"""PySide6's import hook answers "does this module use PySide6?" without filling linecache (memory,
issue 13): the same answers as PySide6's own check, and no imported module's source kept in memory."""

from __future__ import annotations

import linecache
import sys
from pathlib import Path

import pytest

import app.ui  # noqa: F401  (installs the check)
from app.ui.pyside_sources import read_sources_without_linecache


def test_modules_are_classified_from_their_bytes_and_nothing_is_cached(tmp_path: Path, monkeypatch) -> None:
    feature = pytest.importorskip("shibokensupport.feature")
    assert getattr(feature._mod_uses_pyside, "hearth", False)
    (tmp_path / "hearth_uses_qt.py").write_text("import PySide6.QtCore\nVALUE = 1\n", encoding="utf-8")
    (tmp_path / "hearth_plain.py").write_text("VALUE = 2\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        uses = __import__("hearth_uses_qt")  # the import statement: PySide6 hooks builtins.__import__
        plain = __import__("hearth_plain")
        assert feature.pyside_feature_dict["hearth_uses_qt"] == 0  # uses PySide6: features apply
        assert feature.pyside_feature_dict["hearth_plain"] == -1  # ignored, as PySide6's own check says
        assert uses.__file__ not in linecache.cache and plain.__file__ not in linecache.cache
    finally:
        for name in ("hearth_uses_qt", "hearth_plain"):
            sys.modules.pop(name, None)
            feature.pyside_feature_dict.pop(name, None)


def test_installing_again_keeps_the_one_check() -> None:
    pytest.importorskip("shibokensupport.feature")
    feature = sys.modules["shibokensupport.feature"]
    check = feature._mod_uses_pyside
    assert read_sources_without_linecache() is True
    assert feature._mod_uses_pyside is check
