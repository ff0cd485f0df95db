"""Where the native kernels come from (app/ai/native_build.py): a prebuilt library serves a user without a C
compiler, and the prebuilt folders are the checkout's (an install puts them there) and a bundle's."""

from __future__ import annotations

import sys

import pytest
import torch

from app.ai import native_build, native_ops

needs_cc = pytest.mark.skipif(native_build.compiler() is None, reason="needs a C compiler")


@needs_cc
def test_without_a_compiler_the_prebuilt_kernels_load_and_compute(tmp_path, monkeypatch):
    built = native_build.prebuild(tmp_path / "pre")
    assert all(not where.startswith("failed") for where in built.values()), built
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no cc, gcc or clang
    monkeypatch.delenv("CC", raising=False)
    monkeypatch.setenv("HEARTH_NATIVE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(native_build, "prebuilt_dirs", lambda: [tmp_path / "pre"])
    monkeypatch.setattr(native_build, "_loaded", {})
    monkeypatch.setattr(native_ops, "_bound", {})
    assert native_build.compiler() is None
    w, x = torch.randn(200, 128), torch.randn(128)
    for variant in native_build.runnable():
        native = native_build.load(variant)
        assert native.ok and native.origin == "prebuilt", native
        assert native.path == str(tmp_path / "pre" / native_build.library_name(variant))
        kern = native_ops.kernels(variant)
        assert kern is not None and kern.origin == "prebuilt"
        assert torch.allclose(kern.matvec(native_ops.KIND_F32, w, None, x), w @ x, rtol=1e-4, atol=1e-4)
    assert not (tmp_path / "cache").exists()  # nothing compiled


def test_the_prebuilt_folders_are_the_bundles_then_the_checkouts(tmp_path, monkeypatch):
    tree = native_build.prebuilt_dirs()
    assert tree == [native_build.SOURCE_DIR / "prebuilt"]  # where setup.py's build hook writes them
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert native_build.prebuilt_dirs() == [tmp_path / "app" / "ai" / "native" / "prebuilt", *tree]
