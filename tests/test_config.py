"""Settings: typed dotted keys, atomic save, data dir resolution."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from app.cli import run
from app.config import SAMPLING_KEYS, SETTING_SPECS, SPECS_BY_KEY, Key, Settings, SettingSpec, resolve_paths
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


def test_typed_keys_are_the_declared_specs_in_order() -> None:
    declared = [value for value in vars(Key).values() if isinstance(value, SettingSpec)]
    assert tuple(declared) == SETTING_SPECS and len(SPECS_BY_KEY) == len(SETTING_SPECS)
    for name, spec in vars(Key).items():
        if isinstance(spec, SettingSpec):
            assert name == spec.key.replace(".", "_").upper()  # Key.FETCH_CONCURRENCY is "fetch.concurrency"
            assert type(spec.default) is spec.type, spec.key
            assert not spec.choices or spec.default in spec.choices
    assert [k.type for pair in SAMPLING_KEYS.values() for k in pair] == [float] * 6


def test_every_spec_written_in_config_py_is_a_declared_setting() -> None:
    """A `SettingSpec(...)` line pasted anywhere but into `Key` would be lost without a word: none is."""
    import app.config

    tree = ast.parse(Path(app.config.__file__).read_text(encoding="utf-8"))
    written = {node.args[0].value for node in ast.walk(tree)
               if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "SettingSpec"}  # fmt: skip
    assert written == set(SPECS_BY_KEY)


def test_typed_access_reads_and_writes_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"fetch.concurrency": "8", "fetch.timeout": 5, "ui.theme": 3, "old.key": 1}', "utf-8")
    s = Settings.load(path)
    assert s.get(Key.FETCH_CONCURRENCY) == 8 and type(s.get(Key.FETCH_CONCURRENCY)) is int
    assert s.get(Key.FETCH_TIMEOUT) == 5.0 and type(s.get(Key.FETCH_TIMEOUT)) is float
    assert s.get(Key.UI_THEME) == "system"  # not one of its choices: the default
    assert s.get(Key.FETCH_PROXY) == "" and s.get(Key.UI_CLOSE_TO_TRAY) is True
    assert s[Key.AI_BACKEND] == s.get("ai.backend") == "rwkv"
    s.set(Key.FETCH_CONCURRENCY, 3)
    s.set(Key.FETCH_HOST_SPACING_SECONDS, 2)  # an int for a float setting
    assert s.set_text(Key.UI_CLOSE_TO_TRAY, "off") is False
    s.save()
    assert json.loads(path.read_text("utf-8")) == {  # dotted keys, unknown ones kept: the format as before
        "fetch.concurrency": 3, "fetch.timeout": 5, "fetch.host_spacing_seconds": 2.0, "ui.theme": 3,
        "ui.close_to_tray": False, "old.key": 1,
    }  # fmt: skip
    again = Settings.load(path)
    assert again.get(Key.FETCH_CONCURRENCY) == again.get("fetch.concurrency") == 3
    assert again.raw("old.key") == 1 and again.raw("no.such") is None
    with pytest.raises(ConfigError, match="takes an int"):
        again.set(Key.FETCH_CONCURRENCY, "many")
    with pytest.raises(ConfigError, match="one of"):
        again.set(Key.UI_THEME, "purple")


def test_a_misspelt_or_foreign_key_is_a_clear_error() -> None:
    s = Settings()
    with pytest.raises(AttributeError, match="FETCH_CONCURENCY"):
        Key.FETCH_CONCURENCY  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(ConfigError, match=r"unknown setting 'fetch\.concurency'") as caught:
        s.get("fetch.concurency")
    assert "hearth config list" in caught.value.user_message()
    made_up = SettingSpec("fetch.concurrency", str, "16", "not the declared one")
    with pytest.raises(ConfigError, match=r"unknown setting 'fetch\.concurrency'"):
        s.get(made_up)
    with pytest.raises(ConfigError, match=r"unknown setting 'no\.such'"):
        s.set(SettingSpec("no.such", int, 0, ""), 1)


TYPED_PROBE = """
from typing import assert_type
from app.config import Key, Settings

s = Settings()
assert_type(s.get(Key.FETCH_CONCURRENCY), int)
assert_type(s.get(Key.FETCH_PROXY), str)
assert_type(s.get(Key.FETCH_TIMEOUT), float)
assert_type(s.get(Key.UI_CLOSE_TO_TRAY), bool)
s.set(Key.AI_THREADS, 4)
"""
TYPED_MISTAKES = """
from app.config import Key, Settings

s = Settings()
n: str = s.get(Key.FETCH_CONCURRENCY)
s.set(Key.FETCH_CONCURRENCY, "many")
s.get(Key.FETCH_CONCURENCY)
"""


def test_a_type_checker_sees_each_settings_type(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mypy_api = pytest.importorskip("mypy.api", reason="mypy is not installed (pip install mypy)")
    monkeypatch.chdir(Path(__file__).resolve().parents[1])  # mypy finds `app` in the checkout
    args = ["--follow-imports=silent", "--ignore-missing-imports", "--cache-dir", str(tmp_path / "cache")]
    (tmp_path / "good.py").write_text(TYPED_PROBE, "utf-8")
    (tmp_path / "bad.py").write_text(TYPED_MISTAKES, "utf-8")
    out, _err, status = mypy_api.run([*args, str(tmp_path / "good.py")])
    assert status == 0, out
    out, _err, status = mypy_api.run([*args, str(tmp_path / "bad.py")])
    assert status == 1
    assert 'expression has type "int", variable has type "str"' in out
    assert "bad.py:6: error" in out and 'has no attribute "FETCH_CONCURENCY"' in out
