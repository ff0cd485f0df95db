"""Kernels built at install (setup.py): a wheel of the working tree carries a library of every variant this
machine's compiler builds, and a user without any compiler loads it ("prebuilt") and gets the reference's
numbers from it; without a compiler the wheel still builds, with a note and no libraries."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from app.ai import native_build

ROOT = Path(__file__).resolve().parents[2]
PREBUILT = "app/ai/native/prebuilt/"
needs_cc = pytest.mark.skipif(native_build.compiler() is None, reason="needs a C compiler")
needs_setuptools = pytest.mark.skipif(
    importlib.util.find_spec("setuptools") is None, reason="needs setuptools (pip install setuptools)"
)

# Run with the unpacked wheel first on sys.path, no compiler and an empty kernel cache: every variant this CPU
# runs must load from the wheel's prebuilt folder and compute one matrix-vector product like torch.
LOADER = """
import json, logging, sys, torch
logging.basicConfig(level=logging.INFO)  # why a library was skipped, for the assertion message
import app
from app.ai import native_build, native_ops
out = {"app": app.__file__, "cc": native_build.compiler(), "variants": {}}
for variant in native_build.runnable():
    native = native_build.load(variant)
    entry = {"origin": native.origin, "path": native.path, "reason": native.reason}
    if native.ok:
        torch.manual_seed(0)
        w, x = torch.randn(333, 192), torch.randn(192)
        y = native_ops.kernels(variant).matvec(native_ops.KIND_F32, w, None, x)
        entry["max_err"] = float((y - w @ x).abs().max())
    out["variants"][variant] = entry
print(json.dumps(out))
"""


def _source_tree(dest: Path) -> Path:
    """What `pip install .` is given: the project files, without a checkout's build outputs."""
    junk = shutil.ignore_patterns("__pycache__", "*.pyc", "prebuilt", "*.egg-info")
    shutil.copytree(ROOT / "app", dest / "app", ignore=junk)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    return dest


def _no_compiler_env(tmp: Path, **extra: str) -> dict[str, str]:
    bare = tmp / "bare-bin"  # PATH holds nothing but this empty folder: no cc, gcc or clang
    bare.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("CC", "PYTHONPATH")}
    return dict(env, PATH=str(bare), HEARTH_NATIVE_DIR=str(tmp / "empty-cache"), **extra)


def _wheel(src: Path, out: Path, env: dict[str, str] | None = None) -> tuple[Path, str]:
    cmd = [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "--no-index"]
    proc = subprocess.run(
        [*cmd, "-v", "-w", str(out)], capture_output=True, text=True, timeout=600, env=env, cwd=src
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0], proc.stdout + proc.stderr


@pytest.mark.slow
@needs_cc
@needs_setuptools
def test_the_wheel_carries_kernels_that_load_without_a_compiler(tmp_path):
    wheel, _ = _wheel(_source_tree(tmp_path / "src"), tmp_path / "dist")
    tag = wheel.name.removesuffix(".whl").split("-")[-3:]
    assert tag[:2] == ["py3", "none"] and tag[2] != "any", wheel.name  # compiled code: a platform wheel
    with zipfile.ZipFile(wheel) as zf:
        names = {n.removeprefix(PREBUILT) for n in zf.namelist() if n.startswith(PREBUILT)}
        zf.extractall(tmp_path / "site")
    assert names == {native_build.library_name(v) for v in native_build.variants()}

    env = _no_compiler_env(tmp_path, PYTHONPATH=str(tmp_path / "site"))
    proc = subprocess.run(
        [sys.executable, "-c", LOADER], capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["cc"] is None and got["app"].startswith(str(tmp_path / "site"))
    assert set(got["variants"]) == set(native_build.runnable()) and got["variants"]
    for variant, entry in got["variants"].items():
        assert entry["origin"] == "prebuilt", (variant, entry, proc.stderr[-2000:])
        assert entry["path"] == str(tmp_path / "site" / PREBUILT / native_build.library_name(variant))
        assert entry["max_err"] < 1e-3, (variant, entry)
    assert not (tmp_path / "empty-cache").exists()  # nothing was compiled at run time


@needs_setuptools
def test_a_wheel_built_without_a_compiler_installs_with_a_note(tmp_path):
    src = _source_tree(tmp_path / "src")
    stale = src / PREBUILT / native_build.library_name("portable")  # a checkout's, from an older install
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"built from other source")
    wheel, output = _wheel(src, tmp_path / "dist", _no_compiler_env(tmp_path))
    assert "no C compiler found; the native CPU kernels are not prebuilt" in output
    with zipfile.ZipFile(wheel) as zf:
        assert not [n for n in zf.namelist() if n.startswith(PREBUILT)]  # the checkout's copy stays out
        assert "app/ai/native/rwkv_cpu.c" in zf.namelist()  # compile-on-first-use stays possible


def _setup_module():
    spec = importlib.util.spec_from_file_location("hearth_setup", ROOT / "setup.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # not __main__: setup() is not called
    return module


@needs_setuptools
def test_the_install_hook_never_raises(tmp_path, monkeypatch, capsys):
    hook = _setup_module()
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CC", raising=False)
    assert hook.prebuild_kernels(tmp_path / "none") == []
    assert "no C compiler found" in capsys.readouterr().err
    monkeypatch.setattr(hook, "_native_build", lambda: (_ for _ in ()).throw(OSError("disk full")))
    assert hook.prebuild_kernels(tmp_path / "none") == []
    assert "not prebuilt: disk full" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()


@needs_cc
@needs_setuptools
def test_the_install_hook_builds_every_variant(tmp_path):
    built = _setup_module().prebuild_kernels(tmp_path / "pre")
    assert sorted(p.name for p in built) == sorted(
        native_build.library_name(v) for v in native_build.variants()
    )
    assert all(p.parent == tmp_path / "pre" and p.stat().st_size > 0 for p in built)


def test_the_checkouts_prebuilt_folder_is_ignored_by_git():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a checkout")
    probe = "app/ai/native/prebuilt/" + native_build.library_name("portable")
    proc = subprocess.run(["git", "check-ignore", "-q", probe], cwd=ROOT, timeout=60)
    assert proc.returncode == 0, f"{probe} is not git-ignored"
