"""A non-editable `pip install .` into a fresh virtual environment runs, from outside the checkout.

The new environment sees the running one's packages through a .pth file (torch and PySide6 are not
downloaded again), but not its editable Hearth: a path line in a .pth does not run that folder's own
.pth hooks, and the new environment's site-packages comes first. The test proves it: `app.__file__`
must lie inside the new environment, and the commands run from another folder.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _outer_site_dirs() -> list[str]:
    dirs = [*site.getsitepackages(), site.getusersitepackages(), sysconfig.get_paths()["purelib"]]
    return [d for d in dict.fromkeys(dirs) if Path(d).is_dir() and Path(d).resolve() != ROOT]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env_dir = tmp_path_factory.mktemp("venv") / "env"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "_outer_environment.pth").write_text("\n".join(_outer_site_dirs()) + "\n", encoding="utf-8")
    build = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=env_dir,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    return env_dir


def _run(env_dir: Path, cwd: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HEARTH_DATA_DIR")}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(cwd), **extra)
    return subprocess.run(list(args), env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_installed_app_is_imported_from_the_environment_with_its_resources(
    installed: Path, tmp_path: Path
) -> None:
    code = "import app, app.config as c; print(app.__file__); print(c.resources_dir())"
    result = _run(installed, tmp_path, str(installed / "bin" / "python"), "-c", code)
    assert result.returncode == 0, result.stderr
    app_file, resources = map(Path, result.stdout.split())
    assert installed in app_file.parents and ROOT not in app_file.parents
    assert installed in resources.parents
    for name in ("icons/hearth.svg", "qss/base.qss", "catalog/models.json", "rwkv_vocab_v20230424.txt"):
        assert (resources / name).is_file(), name
    checked = _run(installed, tmp_path, str(installed / "bin" / "python"), "-m", "pip", "check")
    assert "hearth-reader" not in checked.stdout, checked.stdout  # its dependencies are all there


def test_hearth_help_list_and_the_window_run_from_the_installed_script(
    installed: Path, tmp_path: Path
) -> None:
    hearth = str(installed / "bin" / "hearth")
    data = str(tmp_path / "data")
    helped = _run(installed, tmp_path, hearth, "--help")
    assert helped.returncode == 0 and "--install-desktop-entry" in helped.stdout, helped.stderr
    listed = _run(installed, tmp_path, hearth, "--data-dir", data, "list")
    assert listed.returncode == 0, listed.stderr
    assert "no feeds yet" in listed.stdout + listed.stderr
    window = _run(
        installed,
        tmp_path,
        hearth,
        "--data-dir",
        data,
        HEARTH_BENCH_EXIT_AFTER_PAINT="0",
        QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox",
    )
    assert window.returncode == 0, window.stderr[-2000:]
    events = [json.loads(line) for line in window.stdout.splitlines() if line.startswith("{")]
    assert [e["event"] for e in events] == ["first_paint", "idle"]
    assert events[0]["torch_loaded"] is False


def test_the_checkout_is_not_on_the_path_of_the_new_environment(installed: Path, tmp_path: Path) -> None:
    code = "import sys, json; print(json.dumps(sys.path))"
    result = _run(installed, tmp_path, str(installed / "bin" / "python"), "-c", code)
    paths = [Path(p).resolve() for p in json.loads(result.stdout) if p]
    assert ROOT not in paths, "the editable install leaked into the new environment"
    assert sys.prefix != str(installed)
