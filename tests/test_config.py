"""Settings: typed dotted keys, atomic save, data dir resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import run
from app.config import Settings, resolve_paths
from app.errors import ConfigError


def test_data_dir_resolution_order(tmp_path: Path) -> None:
    assert (
        resolve_paths(tmp_path / "a", env={"HEARTH_DATA_DIR": str(tmp_path / "b")}).data_dir == tmp_path / "a"
    )
    assert resolve_paths(None, env={"HEARTH_DATA_DIR": str(tmp_path / "b")}).data_dir == tmp_path / "b"
    assert resolve_paths(None, env={}).data_dir.name.lower() == "hearth"


def test_set_get_and_persist(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    s = Settings.load(path)
    assert s.get("fetch.concurrency") == 16
    s.set_text("fetch.concurrency", "4")
    s.set_text("ui.close_to_tray", "off")
    s.set("fetch.host_spacing_seconds", 2)
    s.save()
    again = Settings.load(path)
    assert again.get("fetch.concurrency") == 4
    assert again.get("ui.close_to_tray") is False
    assert again.get("fetch.host_spacing_seconds") == 2.0


def test_bad_values_and_keys_are_clear_errors(tmp_path: Path) -> None:
    s = Settings.load(tmp_path / "settings.json")
    with pytest.raises(ConfigError, match="takes an int"):
        s.set_text("fetch.concurrency", "many")
    with pytest.raises(ConfigError, match="unknown setting"):
        s.get("no.such.key")
    with pytest.raises(ConfigError, match="one of"):
        s.set_text("ui.theme", "purple")


def test_corrupt_settings_file_falls_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json", encoding="utf-8")
    assert Settings.load(path).get("refresh.interval_minutes") == 60
    path.write_text('{"fetch.concurrency": "lots"}', encoding="utf-8")
    assert Settings.load(path).get("fetch.concurrency") == 16


def test_cli_config_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--data-dir", str(tmp_path), "config", "set", "zhihu.www_base", "http://127.0.0.1:9"]) == 0
    assert run(["--data-dir", str(tmp_path), "config", "get", "zhihu.www_base"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "http://127.0.0.1:9"
    assert run(["--data-dir", str(tmp_path), "config", "set", "fetch.concurrency", "x"]) == 1
    assert "takes an int" in capsys.readouterr().err


def test_readme_test_command_is_what_ci_runs() -> None:
    root = Path(__file__).resolve().parents[1]
    ci = (root / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert ci in (root / "README.md").read_text(encoding="utf-8")
