"""The layering rules, checked: every import of an app module follows the table in docs/ARCHITECTURE.md
(read from that file, so the drawing and the test cannot drift), app/ has no import circles, only app/ui
imports PySide6, only app/ai imports torch, and importing the core (or a non-model CLI command) loads neither."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from dataclasses import dataclass
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


# ---- the allowed-imports table of docs/ARCHITECTURE.md, enforced on every import of every module ----

ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"
TABLE_HEADING = "## Who may import whom"


@dataclass(frozen=True)
class Layer:
    name: str
    modules: tuple[str, ...]  # dotted names; `app` itself means the package root only
    may_import: frozenset[str]  # other layers' names (a layer may always import itself)


@dataclass(frozen=True)
class AppImport:
    line: int
    target: str  # the dotted name as written (`app.storage`, `app.storage.Store`, ...)
    kind: str  # "module-level", "TYPE_CHECKING" or "function-local"


def read_layers(path: Path = ARCHITECTURE) -> dict[str, Layer]:
    """The table under TABLE_HEADING: | Layer | Modules | May import |, modules and layers in backticks."""
    text = path.read_text(encoding="utf-8")
    _, found, rest = text.partition(f"\n{TABLE_HEADING}\n")
    assert found, f"{path.name} has no '{TABLE_HEADING}' section"
    layers: dict[str, Layer] = {}
    for line in rest.splitlines():
        if layers and not line.startswith("|"):
            break
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "Layer":
            continue
        name = cells[0].strip("`* ")
        modules = tuple(re.findall(r"`(app[\w.]*)`", cells[1]))
        allowed = frozenset(re.findall(r"`(\w+)`", cells[2])) - {name}
        assert modules, f"{path.name}: layer {name} names no modules"
        layers[name] = Layer(name, modules, allowed)
    assert layers, f"{path.name}: no table under '{TABLE_HEADING}'"
    unknown = {other for layer in layers.values() for other in layer.may_import} - set(layers)
    assert not unknown, f"{path.name}: 'May import' names layers the table lacks: {sorted(unknown)}"
    return layers


def app_modules() -> dict[str, Path]:
    """Every module of app/ by dotted name (a package by its own name, for its __init__.py)."""
    found: dict[str, Path] = {}
    for path in sorted(APP.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def layer_of(module: str, layers: dict[str, Layer]) -> str | None:
    """The layer whose listed module is `module` or its closest enclosing package; `app` alone is exact."""
    best: tuple[int, str] | None = None
    for layer in layers.values():
        for listed in layer.modules:
            inside = module == listed or (listed != "app" and module.startswith(listed + "."))
            if inside and (best is None or len(listed) > best[0]):
                best = (len(listed), layer.name)
    return best[1] if best else None


def _is_type_checking(test: ast.expr) -> bool:
    return "TYPE_CHECKING" in ast.unparse(test)


def app_imports(module: str, path: Path) -> list[AppImport]:
    """Every import of an app module in `path`, at any depth: module-level, under `if TYPE_CHECKING:`,
    inside functions, and `importlib.import_module("app....")` with a literal (or f-string) name."""
    is_package = path.name == "__init__.py"
    found: list[AppImport] = []

    def absolute(node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        return ".".join([*base, node.module] if node.module else base)

    def visit(node: ast.AST, kind: str) -> None:
        for child in ast.iter_child_nodes(node):
            here = kind
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                here = "function-local"
            elif isinstance(child, ast.If) and _is_type_checking(child.test) and kind == "module-level":
                here = "TYPE_CHECKING"
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                source = absolute(child)
                targets = [f"{source}.{alias.name}" for alias in child.names if alias.name != "*"] or [source]
            elif (
                isinstance(child, ast.Call)
                and ast.unparse(child.func).endswith("import_module")
                and child.args
            ):
                first = child.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    targets = [first.value]
                elif isinstance(first, ast.JoinedStr) and first.values:
                    head = first.values[0]
                    if isinstance(head, ast.Constant) and isinstance(head.value, str):
                        targets = [head.value.rstrip(".")]
            for target in targets:
                if target == "app" or target.startswith("app."):
                    found.append(AppImport(child.lineno, target, here))
            visit(child, here)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), "module-level")
    return found


def resolve(target: str, modules: dict[str, Path]) -> str:
    """`app.storage.Store` -> `app.storage` (the closest module that exists, below the root package);
    `app.USER_AGENT` (`from app import USER_AGENT`) -> `app`; a name in no module is kept as written."""
    name = target
    while name not in modules and name.count(".") > 1:
        name = name.rpartition(".")[0]
    if name in modules:
        return name
    return "app" if target.count(".") == 1 and "app" in modules else target


def layer_violations(
    layers: dict[str, Layer], modules: dict[str, Path], layer: str | None = None
) -> list[str]:
    """What breaks the table: modules in no layer, and imports their layer may not make (only those of
    the modules of `layer`, if given), each naming the file, the line and the rule."""
    problems: list[str] = []
    for module, path in modules.items():
        rel = path.relative_to(ROOT).as_posix()
        own = layer_of(module, layers)
        if own is None:
            if layer is None:
                problems.append(
                    f"{rel}: {module} is in no layer of docs/ARCHITECTURE.md (add it to the table)"
                )
            continue
        if layer is not None and own != layer:
            continue
        for imp in app_imports(module, path):
            target = resolve(imp.target, modules)
            other = layer_of(target, layers)
            if other is None:  # a module of app/ in no layer is named once, above, as itself
                if target not in modules:
                    problems.append(f"{rel}:{imp.line}: imports {target}, which is in no layer")
            elif other != own and other not in layers[own].may_import:
                allowed = ", ".join(sorted(layers[own].may_import)) or "nothing else"
                problems.append(
                    f"{rel}:{imp.line}: {module} ({own}) imports {target} ({other}), {imp.kind}; "
                    f"rule: {own} may import {allowed}"
                )
    return list(dict.fromkeys(problems))  # `from app.x import a, b`: one line, one message


def import_circles(modules: dict[str, Path]) -> list[list[str]]:
    """Strongly connected components (more than one module) of the graph of every app import."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for module, path in modules.items():
        for imp in app_imports(module, path):
            # every name of `from app.x import a, b` counts (a may be a submodule); an import of an
            # enclosing package of the importer is not an edge (Python has run it already)
            target = resolve(imp.target, modules)
            if target in modules and target != module and not module.startswith(target + "."):
                graph[module].add(target)
    return strongly_connected(graph)


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; only the components with a circle (two or more nodes)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph[step]))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    circles.append(sorted(component))
    return circles


def test_architecture_table_is_a_one_way_stack() -> None:
    """The drawn layers themselves have no circle, and every module of app/ is in exactly one layer."""
    layers = read_layers()
    graph = {name: set(layer.may_import) for name, layer in layers.items()}
    assert strongly_connected(graph) == [], "docs/ARCHITECTURE.md lets two layers import each other"
    listed = [module for layer in layers.values() for module in layer.modules]
    assert len(listed) == len(set(listed)), "a module is listed in two layers"
    unplaced = [p for p in layer_violations(layers, app_modules()) if "is in no layer" in p]
    assert unplaced == [], "\n".join(unplaced)


@pytest.mark.parametrize("layer", list(read_layers()))
def test_every_app_import_follows_the_architecture_table(layer: str) -> None:
    problems = layer_violations(read_layers(), app_modules(), layer)
    assert problems == [], "imports that docs/ARCHITECTURE.md does not allow:\n" + "\n".join(problems)


def test_no_import_circles_in_app() -> None:
    circles = import_circles(app_modules())
    assert circles == [], "import circles (module-level, TYPE_CHECKING and function-local imports):\n" + (
        "\n".join(" <-> ".join(circle) for circle in circles)
    )


def test_the_checker_sees_every_kind_of_import(tmp_path: Path) -> None:
    """The parser finds module-level, TYPE_CHECKING, function-local, relative and import_module imports."""
    source = tmp_path / "probe.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "import importlib\n"
        "from app.storage import Store\n"
        "if TYPE_CHECKING:\n"
        "    from app.ui.main_window import MainWindow\n"
        "def f():\n"
        "    import app.ai.model\n"
        "    importlib.import_module(f'app.commands.{f}')\n"
        "from . import sibling\n",
        encoding="utf-8",
    )
    found = [(imp.line, imp.target, imp.kind) for imp in app_imports("app.fetching.probe", source)]
    assert found == [
        (3, "app.storage.Store", "module-level"),
        (5, "app.ui.main_window.MainWindow", "TYPE_CHECKING"),
        (7, "app.ai.model", "function-local"),
        (8, "app.commands", "function-local"),
        (9, "app.fetching.sibling", "module-level"),
    ]
    layers = read_layers()
    assert layer_of("app.fetching.probe", layers) == "fetching"
    assert layer_of("app", layers) == layer_of("app.models", layers)
    assert layer_of("app.nothing_here", layers) is None
    modules = {name: Path() for name in ("app", "app.storage", "app.storage.db")}
    assert resolve("app.storage.db.connect", modules) == "app.storage.db"
    assert resolve("app.USER_AGENT", modules) == "app"
    assert resolve("app.fetching.http.get", modules) == "app.fetching.http.get"  # never climbs to `app`
    circle = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert strongly_connected(circle) == [["a", "b", "c"]]
