"""The native CPU kernels: every variant builds with the real compiler, every variant this CPU runs is compared
with the torch path (tiny shapes), and the plan picks, refuses and reports them."""

from __future__ import annotations

import ctypes
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from app.ai import native_build, native_ops, v7_native
from app.ai.checkpoint import inspect_checkpoint
from app.ai.make_random import make_random_checkpoint
from app.ai.model import load_model
from app.ai.ops_wkv7 import wkv7_loop
from app.ai.plan import plan_for
from app.ai.quant import Int8Linear
from app.ai.state import State
from app.errors import ModelLoadError

TOKENS = [5, 17, 299, 3, 42, 7, 100, 250, 8, 1, 77, 123]
HAS_CC = native_build.compiler() is not None
RUNNABLE = native_build.runnable() if HAS_CC else []
needs_cc = pytest.mark.skipif(not HAS_CC, reason="needs a C compiler")
each_variant = pytest.mark.parametrize("variant", RUNNABLE or [pytest.param("none", marks=needs_cc)])


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> Path:
    """L2 C512 (8 heads; the g map spans three low-rank blocks), vocab 300."""
    root = tmp_path_factory.mktemp("native")
    return make_random_checkpoint(root / "v7", version="7", n_layer=2, n_embd=512, vocab_size=300, seed=5)


def _load(path: Path, dtype: str, kernels: str):
    model = load_model(path, device="cpu", dtype=dtype, kernels=kernels)
    assert (model.native is not None) == (kernels != "torch"), model.plan.why
    return model


def _decode_all(model, tokens=TOKENS) -> tuple[torch.Tensor, State]:
    _, state = model.forward(tokens[:3])
    out = []
    for t in tokens[3:]:
        logits, state = model.forward([t], state, inplace=True)
        out.append(logits)
    return torch.stack(out), state


def _rel(a: torch.Tensor, ref: torch.Tensor) -> float:
    return float(((a - ref).abs().amax(-1) / ref.abs().amax(-1)).max())


@needs_cc
@pytest.mark.parametrize("variant", native_build.variants())
def test_every_variant_compiles_here(variant, tmp_path):
    """Including those this CPU cannot run (AVX-512 on CI's AMD machines): a broken source would hide."""
    path = native_build.compile_to(variant, tmp_path / native_build.library_name(variant))
    assert path.stat().st_size > 0
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no half-written temporaries left


def test_this_cpu_runs_at_least_the_portable_kernels():
    if HAS_CC:
        assert RUNNABLE[-1] == "portable" and native_build.load("portable").ok
    flags = native_build.cpu_flags()
    if flags is not None and {"avx2", "fma", "f16c"} <= flags and HAS_CC:
        assert "avx2" in RUNNABLE


@each_variant
def test_the_kernels_share_torchs_openmp_runtime(variant):
    assert native_ops.kernels(variant) is not None
    maps = Path("/proc/self/maps").read_text().splitlines()
    runtimes = {line.split()[-1] for line in maps if "libgomp" in line}
    assert len(runtimes) == 1, runtimes


@each_variant
def test_fp32_decode_equals_the_torch_path(ckpt, variant):
    fast, state_fast = _decode_all(_load(ckpt, "fp32", variant))
    slow, state_slow = _decode_all(_load(ckpt, "fp32", "torch"))
    assert _rel(fast, slow) < 1e-5
    for name, t in state_slow.tensors.items():
        assert torch.allclose(state_fast.tensors[name], t, rtol=1e-4, atol=1e-5), name


@each_variant
@pytest.mark.parametrize("dtype,min_corr", [("bf16", 0.9999), ("int8", 0.998), ("int4", 0.97)])
def test_reduced_precision_decode_stays_close_to_fp32(ckpt, variant, dtype, min_corr):
    ref, _ = _decode_all(_load(ckpt, "fp32", "torch"))
    fast, _ = _decode_all(_load(ckpt, dtype, variant))
    torch_path, _ = _decode_all(_load(ckpt, dtype, "torch"))
    for out in (fast, torch_path):
        corr = min(np.corrcoef(out[i].numpy(), ref[i].numpy())[0, 1] for i in range(len(ref)))
        assert corr > min_corr
    # the kernels quantise activations too (int8 blocks of 64): no worse than the torch path's bf16 cast
    assert _rel(fast, ref) < max(1.5 * _rel(torch_path, ref), 0.02)


@each_variant
@pytest.mark.parametrize("N", [64, 32, 128])
def test_prefill_recurrence_equals_the_reference_loop(variant, N):
    """The C recurrence (N = 64 specialised, other head sizes generic) against the torch loop, from a
    non-zero state, over 40 steps."""
    kern = native_ops.kernels(variant)
    assert kern is not None
    g = torch.Generator().manual_seed(N)
    T, H = 40, 3
    r, k, v = (torch.randn(T, H, N, generator=g) for _ in range(3))
    w = torch.exp(-0.6 * torch.rand(T, H, N, generator=g))
    kk = torch.nn.functional.normalize(torch.randn(T, H, N, generator=g), dim=-1)
    a = torch.rand(T, H, N, generator=g)
    S0 = torch.randn(H, N, N, generator=g)
    S_ref, S_fast = S0.clone(), S0.clone()
    y_ref = wkv7_loop(S_ref, r, w, k, v, -kk, kk * a)
    y_fast = kern.wkv7_seq(S_fast, r, w, k, v, -kk, kk * a)
    assert torch.allclose(y_fast, y_ref, rtol=1e-4, atol=1e-4)
    assert torch.allclose(S_fast, S_ref, rtol=1e-4, atol=1e-4)


@each_variant
@pytest.mark.parametrize("dtype", ["fp32", "fp16", "int8"])
def test_the_standalone_matvec_equals_torch(variant, dtype):
    kern = native_ops.kernels(variant)
    assert kern is not None
    w = torch.randn(333, 192)  # an odd row count: the threads' shares differ
    x = torch.randn(192)
    if dtype == "int8":
        lin = Int8Linear(w, torch.float32, torch.bfloat16, biased=True)
        y = kern.matvec(native_ops.KIND_Q8, lin.q, lin.scale_f32, x)
        exact = (lin.signed().float() * lin.scale_f32[:, None]) @ x
        assert ((y - exact).abs().max() / exact.abs().max()) < 1e-2  # the input is quantised in blocks of 64
    else:
        kind, wt = (native_ops.KIND_F32, w) if dtype == "fp32" else (native_ops.KIND_F16, w.half())
        y = kern.matvec(kind, wt, None, x)
        assert torch.allclose(y, wt.float() @ x, rtol=1e-4, atol=1e-4)


@each_variant
def test_rwkv6_and_rwkv4_recurrences_equal_the_torch_loops(variant):
    from app.ai.ops_block import wkv_matrix_seq as _wkv6_seq
    from app.ai.v4 import wkv4_seq as _wkv4_seq

    kern = native_ops.kernels(variant)
    assert kern is not None
    g = torch.Generator().manual_seed(6)
    T, H, N = 30, 3, 64
    r, k, v = (torch.randn(T, H * N, generator=g) for _ in range(3))
    w = torch.exp(-torch.exp(torch.randn(T, H * N, generator=g)))
    S0 = torch.randn(H, N, N, generator=g)
    S_ref, S_fast = S0.clone(), S0.clone()
    assert torch.allclose(
        kern.wkv6_seq(S_fast, r, w, k, v, H, N), _wkv6_seq(S_ref, r, w, k, v, H, N), atol=1e-4
    )
    assert torch.allclose(S_fast, S_ref, rtol=1e-4, atol=1e-4)
    T, C = 30, 200  # not a multiple of the thread count's share
    k, v = torch.randn(T, C, generator=g) * 3, torch.randn(T, C, generator=g)
    w, u = -torch.exp(torch.randn(C, generator=g)), torch.randn(C, generator=g)
    init = (torch.randn(C, generator=g), torch.rand(C, generator=g) + 0.5, torch.randn(C, generator=g))
    ref_state, fast_state = [t.clone() for t in init], [t.clone() for t in init]
    out_ref = _wkv4_seq(*ref_state, w, u, k, v)
    assert torch.allclose(kern.wkv4_seq(*fast_state, w, u, k, v), out_ref, rtol=1e-5, atol=1e-5)
    for a, b in zip(fast_state, ref_state, strict=True):
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-5)


@each_variant
def test_saved_copied_and_threaded_decodes_agree(ckpt, variant):
    model = _load(ckpt, "int8", variant)
    _, state = model.forward(TOKENS[:6])
    restored, fork = State.from_bytes(state.to_bytes()), state.copy()
    a, _ = model.forward([9], state, inplace=True)
    b, _ = model.forward([9], restored, inplace=True)
    c, _ = model.forward([9], fork)
    assert torch.equal(a, b) and torch.equal(a, c)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one, _ = _decode_all(model)
        torch.set_num_threads(2)
        two, _ = _decode_all(model)
    finally:
        torch.set_num_threads(before)
    assert torch.allclose(one, two, rtol=1e-5, atol=1e-5)
    results: list[torch.Tensor] = []
    threads = [threading.Thread(target=lambda: results.append(_decode_all(model)[0])) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 3 and all(torch.equal(r, results[0]) for r in results)


@each_variant
def test_a_struct_field_out_of_order_fails_by_name(variant, monkeypatch):
    lib = native_ops.kernels(variant).lib
    v7_native.check_layout(lib)  # the real binding matches
    fields = list(v7_native.V7Layer._fields_)
    fields[0], fields[1] = fields[1], fields[0]
    swapped = type("V7Layer", (ctypes.Structure,), {"_fields_": fields})
    monkeypatch.setattr(v7_native, "V7Layer", swapped)
    with pytest.raises(ValueError, match="ln1_w"):
        v7_native.check_layout(lib)


def test_the_plan_picks_refuses_and_explains(ckpt):
    info = inspect_checkpoint(ckpt)
    plan = plan_for(info, "cpu", "int8", "torch")
    assert plan.engine == "torch" and "ai.kernels = torch" in " ".join(plan.why)
    assert "torch ops" in plan.summary()
    auto = plan_for(info, "cpu", "int8", "auto")
    if RUNNABLE:
        assert auto.engine == "native" and auto.variant == RUNNABLE[0] and auto.variant in auto.summary()
    for variant in native_build.variants():
        if variant not in RUNNABLE:
            with pytest.raises(ModelLoadError, match=f"{variant} kernels cannot run here"):
                plan_for(info, "cpu", "int8", variant)
    with pytest.raises(ModelLoadError, match="unknown kernels"):
        plan_for(info, "cpu", "int8", "sse9")


@needs_cc
def test_a_prebuilt_library_comes_first_and_a_stale_one_is_skipped(tmp_path, monkeypatch):
    built = native_build.prebuild(tmp_path)
    assert set(built) == set(native_build.variants())
    assert all(not v.startswith("failed") for v in built.values()), built
    monkeypatch.setattr(native_build, "prebuilt_dirs", lambda: [tmp_path])
    monkeypatch.setattr(native_build, "_loaded", {})
    assert native_build.load("portable").origin == "prebuilt"
    # (another folder: the dynamic loader would hand back the library already loaded from the same path)
    stale = tmp_path / "stale" / native_build.library_name("portable")
    native_build.compile_to("portable", stale, extra_flags=["-UHEARTH_SOURCE_ID", '-DHEARTH_SOURCE_ID="old"'])
    monkeypatch.setattr(native_build, "prebuilt_dirs", lambda: [stale.parent])
    monkeypatch.setattr(native_build, "_loaded", {})
    native = native_build.load("portable")
    assert native.ok and native.origin in ("cache", "built") and native.path != str(stale)


def test_no_compiler_is_reported_not_raised(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CC", "")
    monkeypatch.setenv("HEARTH_NATIVE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(native_build, "prebuilt_dirs", lambda: [])
    with pytest.raises(RuntimeError, match="no C compiler"):
        native_build.compile_to("portable", tmp_path / "out" / "x.so")
    monkeypatch.setattr(native_build, "_loaded", {})
    native = native_build.load("portable")
    assert not native.ok and "no C compiler" in native.reason


def test_a_cpu_without_the_features_gets_a_clear_reason(monkeypatch):
    monkeypatch.setattr(native_build, "cpu_flags", lambda: {"sse2"})
    monkeypatch.setattr(native_build, "_loaded", {})
    if native_build.variants()[0] == "avx512":
        native = native_build.load("avx2")
        assert not native.ok and "lacks avx2, fma, f16c" in native.reason
    assert shutil.which("true")  # the portable variant needs nothing
