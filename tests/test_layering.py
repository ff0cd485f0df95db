"""The layering rules, checked: only app/ui imports PySide6, only app/ai imports torch, and
importing the core (or running a non-model CLI command) loads neither."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"
CORE_PACKAGES = [
    "app",
    "app.config",
    "app.models",
    "app.errors",
    "app.cli",
    "app.storage",
    "app.fetching",
    "app.feeds",
    "app.sources",
    "app.server",
    "app.vault",
]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _modules_outside(package: str) -> list[Path]:
    return [p for p in APP.rglob("*.py") if not p.relative_to(APP).as_posix().startswith(f"{package}/")]


def test_only_ui_imports_pyside6() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in _modules_outside("ui") if "PySide6" in _imports(p)]
    assert offenders == []


def test_only_ai_imports_torch() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in _modules_outside("ai") if "torch" in _imports(p)]
    assert offenders == []


def test_storage_knows_no_http_and_feeds_no_sql() -> None:
    storage = [p for p in (APP / "storage").rglob("*.py") if {"httpx", "feedparser"} & _imports(p)]
    feeds = [p for p in (APP / "feeds").rglob("*.py") if "sqlite3" in _imports(p)]
    assert storage == [] and feeds == []


@pytest.mark.parametrize("module", CORE_PACKAGES)
def test_core_import_loads_neither_qt_nor_torch(module: str) -> None:
    rel = module.removeprefix("app.").replace(".", "/")
    if module != "app" and not (APP / rel).exists() and not (APP / f"{rel}.py").exists():
        pytest.skip(f"{module} is not part of the tree")
    code = (
        "import importlib, json, sys; importlib.import_module(sys.argv[1]); "
        "print(json.dumps([m for m in ('torch', 'PySide6') if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, module], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert json.loads(out.stdout) == []


def test_cli_help_and_config_do_not_load_torch(tmp_path: Path) -> None:
    code = (
        "import json, sys, contextlib, io\n"
        "from app.cli import run\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    run(['--data-dir', sys.argv[1], 'config', 'list'])\n"
        "print(json.dumps([m for m in ('torch', 'PySide6') if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
