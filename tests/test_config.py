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
    assert resolve_paths(None, env={"HOME": str(tmp_path)}).data_dir.name.lower() == "hearth"


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


def test_linux_folders_follow_xdg_and_data_dir_keeps_one_folder(tmp_path: Path) -> None:
    env = {
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_DATA_HOME": str(tmp_path / "share"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    paths = resolve_paths(None, env=env, platform="linux")
    assert paths.settings_path == tmp_path / "cfg" / "hearth" / "settings.json"
    assert paths.db_path == tmp_path / "share" / "hearth" / "hearth.sqlite3"
    assert paths.models_dir == tmp_path / "share" / "hearth" / "models"
    assert paths.states_dir == tmp_path / "cache" / "hearth" / "states"
    assert not paths.single_folder
    bare = resolve_paths(
        None, env={"HOME": str(tmp_path / "home"), "XDG_DATA_HOME": "relative"}, platform="linux"
    )
    assert (
        bare.data_dir == tmp_path / "home" / ".local" / "share" / "hearth"
    )  # relative XDG values are ignored
    assert bare.cache_dir == tmp_path / "home" / ".cache" / "hearth"
    one = resolve_paths(tmp_path / "portable", env=env, platform="linux")
    assert one.single_folder and one.settings_path == tmp_path / "portable" / "settings.json"
    assert one.states_dir == tmp_path / "portable" / "cache" / "states"
    from_env = resolve_paths(None, env={**env, "HEARTH_DATA_DIR": str(tmp_path / "p2")}, platform="linux")
    assert from_env.single_folder and from_env.config_dir == tmp_path / "p2"
    made = one.ensure()
    assert made.cache_dir.is_dir() and made.config_dir.is_dir()


def test_resources_are_found_and_a_missing_folder_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.config
    from app.config import resources_dir

    assert (resources_dir() / "icons" / "hearth.svg").is_file()
    assert resources_dir().parent == Path(__file__).resolve().parents[1] / "app"
    monkeypatch.setattr(
        app.config, "__file__", str(tmp_path / "app" / "config.py")
    )  # an install without them
    with pytest.raises(ConfigError, match="resources folder is missing") as caught:
        resources_dir()
    assert "reinstall" in caught.value.user_message()
    (tmp_path / "bundle" / "app" / "resources" / "icons").mkdir(parents=True)
    monkeypatch.setattr("sys._MEIPASS", str(tmp_path / "bundle"), raising=False)  # a PyInstaller bundle
    assert resources_dir() == tmp_path / "bundle" / "app" / "resources"
