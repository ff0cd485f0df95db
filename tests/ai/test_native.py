"""The native RWKV-7 CPU decode kernel: built here with the real compiler, compared with the torch path."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from app.ai import native_build, native_ops
from app.ai.make_random import make_random_checkpoint
from app.ai.model import load_model
from app.ai.ops_wkv7 import wkv7_loop
from app.ai.quant import Int8Linear
from app.ai.state import State
from app.ai.v7_native import NativeV7

TOKENS = [5, 17, 299, 3, 42, 7, 100, 250, 8, 1, 77, 123]


def _cpu_can_run_it() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return all(f in flags for f in ("avx512f", "avx512bw", "avx512_vnni"))


CAN_RUN = _cpu_can_run_it() and shutil.which("cc") is not None and native_build.enabled()
needs_native = pytest.mark.skipif(not CAN_RUN, reason="needs a C compiler and an AVX-512 VNNI CPU")


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> Path:
    """L2 C512 (8 heads; the g map spans three low-rank blocks), vocab 300."""
    root = tmp_path_factory.mktemp("native")
    return make_random_checkpoint(root / "v7", version="7", n_layer=2, n_embd=512, vocab_size=300, seed=5)


def _load(path: Path, dtype: str, native: bool, monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as mp:
        mp.setenv("HEARTH_NATIVE", "1" if native else "0")
        model = load_model(path, device="cpu", dtype=dtype)
    assert (model.native is not None) == native, model.native_reason
    return model


def _decode_all(model, tokens=TOKENS) -> tuple[torch.Tensor, State]:
    _, state = model.forward(tokens[:3])
    out = []
    for t in tokens[3:]:
        logits, state = model.forward([t], state, inplace=True)
        out.append(logits)
    return torch.stack(out), state


def test_the_kernel_builds_wherever_the_cpu_can_run_it():
    """On this kind of machine (CI's too) the kernel must build: a broken source would otherwise hide."""
    native = native_build.load("rwkv_cpu")
    assert native.ok == CAN_RUN, native.reason


@needs_native
def test_the_kernel_shares_torchs_openmp_runtime():
    """One OpenMP runtime in the process: a second libgomp would bring a second spinning thread pool."""
    assert native_ops.available()
    maps = Path("/proc/self/maps").read_text().splitlines()
    runtimes = {line.split()[-1] for line in maps if "libgomp" in line}
    assert len(runtimes) == 1, runtimes


@needs_native
def test_fp32_decode_equals_the_torch_path(ckpt, monkeypatch):
    fast, state_fast = _decode_all(_load(ckpt, "fp32", True, monkeypatch))
    slow, state_slow = _decode_all(_load(ckpt, "fp32", False, monkeypatch))
    rel = ((fast - slow).abs().amax(1) / slow.abs().amax(1)).max()
    assert rel < 1e-5
    for name, t in state_slow.tensors.items():
        assert torch.allclose(state_fast.tensors[name], t, rtol=1e-4, atol=1e-5), name


@needs_native
@pytest.mark.parametrize("dtype,min_corr", [("bf16", 0.9999), ("int8", 0.998)])
def test_reduced_precision_decode_stays_close_to_fp32(ckpt, monkeypatch, dtype, min_corr):
    ref, _ = _decode_all(_load(ckpt, "fp32", False, monkeypatch))
    fast, _ = _decode_all(_load(ckpt, dtype, True, monkeypatch))
    torch_path, _ = _decode_all(_load(ckpt, dtype, False, monkeypatch))
    for out in (fast, torch_path):
        corr = min(np.corrcoef(out[i].numpy(), ref[i].numpy())[0, 1] for i in range(len(ref)))
        assert corr > min_corr
    # the native int8 path quantises activations too (blocks of 64): no worse than the torch path's bf16 cast
    err_fast = ((fast - ref).abs().amax(1) / ref.abs().amax(1)).max()
    err_torch = ((torch_path - ref).abs().amax(1) / ref.abs().amax(1)).max()
    assert err_fast < max(2.0 * err_torch, 0.02)


@needs_native
@pytest.mark.parametrize("N", [64, 32, 128])
def test_prefill_recurrence_equals_the_reference_loop(ckpt, monkeypatch, N):
    """The C recurrence (N = 64 specialised, other head sizes generic) against the torch loop, from a
    non-zero state, over 40 steps."""
    native = _load(ckpt, "fp32", True, monkeypatch).native
    assert isinstance(native, NativeV7)
    g = torch.Generator().manual_seed(N)
    T, H = 40, 3
    r, k, v = (torch.randn(T, H, N, generator=g) for _ in range(3))
    w = torch.exp(-0.6 * torch.rand(T, H, N, generator=g))
    kk = torch.nn.functional.normalize(torch.randn(T, H, N, generator=g), dim=-1)
    a = torch.rand(T, H, N, generator=g)
    S0 = torch.randn(H, N, N, generator=g)
    S_ref, S_fast = S0.clone(), S0.clone()
    y_ref = wkv7_loop(S_ref, r, w, k, v, -kk, kk * a)
    y_fast = native.wkv_seq(S_fast, r, w, k, v, -kk, kk * a)
    assert torch.allclose(y_fast, y_ref, rtol=1e-4, atol=1e-4)
    assert torch.allclose(S_fast, S_ref, rtol=1e-4, atol=1e-4)


@needs_native
@pytest.mark.parametrize("dtype", ["fp32", "fp16", "int8"])
def test_the_standalone_matvec_equals_torch(dtype):
    w = torch.randn(333, 192)  # an odd row count: the threads' shares differ
    x = torch.randn(192)
    if dtype == "int8":
        lin = Int8Linear(w, torch.float32, torch.bfloat16, biased=True)
        y = native_ops.matvec(native_ops.KIND_Q8, lin.q, lin.scale_f32, x)
        exact = (lin.signed().float() * lin.scale_f32[:, None]) @ x
        assert ((y - exact).abs().max() / exact.abs().max()) < 1e-2  # the input is quantised in blocks of 64
    else:
        kind, wt = (native_ops.KIND_F32, w) if dtype == "fp32" else (native_ops.KIND_F16, w.half())
        y = native_ops.matvec(kind, wt, None, x)
        assert torch.allclose(y, wt.float() @ x, rtol=1e-4, atol=1e-4)


@needs_native
def test_rwkv6_recurrence_equals_the_torch_loop():
    from app.ai.v6 import _wkv6_seq

    g = torch.Generator().manual_seed(6)
    T, H, N = 30, 3, 64
    r, k, v = (torch.randn(T, H * N, generator=g) for _ in range(3))
    w = torch.exp(-torch.exp(torch.randn(T, H * N, generator=g)))
    S0 = torch.randn(H, N, N, generator=g)
    S_ref, S_fast = S0.clone(), S0.clone()
    y_ref = _wkv6_seq(S_ref, r, w, k, v, H, N)
    y_fast = native_ops.wkv6_seq(S_fast, r, w, k, v, H, N)
    assert torch.allclose(y_fast, y_ref, rtol=1e-4, atol=1e-4)
    assert torch.allclose(S_fast, S_ref, rtol=1e-4, atol=1e-4)


@needs_native
def test_rwkv4_recurrence_equals_the_torch_loop():
    from app.ai.v4 import _wkv4_seq

    g = torch.Generator().manual_seed(4)
    T, C = 30, 200  # not a multiple of the thread count's share
    k, v = torch.randn(T, C, generator=g) * 3, torch.randn(T, C, generator=g)
    w, u = -torch.exp(torch.randn(C, generator=g)), torch.randn(C, generator=g)
    init = (torch.randn(C, generator=g), torch.rand(C, generator=g) + 0.5, torch.randn(C, generator=g))
    ref_state = [t.clone() for t in init]
    fast_state = [t.clone() for t in init]
    out_ref = _wkv4_seq(*ref_state, w, u, k, v)
    out_fast = native_ops.wkv4_seq(*fast_state, w, u, k, v)
    assert torch.allclose(out_fast, out_ref, rtol=1e-5, atol=1e-5)
    for a, b in zip(fast_state, ref_state, strict=True):
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-5)


@needs_native
def test_saved_and_copied_states_continue_identically(ckpt, monkeypatch):
    model = _load(ckpt, "fp32", True, monkeypatch)
    _, state = model.forward(TOKENS[:6])
    restored = State.from_bytes(state.to_bytes())
    fork = state.copy()
    a, _ = model.forward([9], state, inplace=True)
    b, _ = model.forward([9], restored, inplace=True)
    c, _ = model.forward([9], fork)
    assert torch.equal(a, b) and torch.equal(a, c)


@needs_native
def test_thread_count_does_not_change_the_result(ckpt, monkeypatch):
    model = _load(ckpt, "int8", True, monkeypatch)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one, _ = _decode_all(model)
        torch.set_num_threads(2)
        two, _ = _decode_all(model)
    finally:
        torch.set_num_threads(before)
    assert torch.allclose(one, two, rtol=1e-5, atol=1e-5)


@needs_native
def test_two_threads_decoding_on_one_model_get_their_own_results(ckpt, monkeypatch):
    model = _load(ckpt, "fp32", True, monkeypatch)
    expected, _ = _decode_all(model)
    results: list[torch.Tensor] = []

    def work() -> None:
        results.append(_decode_all(model)[0])

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 3 and all(torch.equal(r, expected) for r in results)


def test_switched_off_the_model_runs_its_torch_path(ckpt, monkeypatch):
    model = _load(ckpt, "fp32", False, monkeypatch)
    assert "HEARTH_NATIVE=0" in model.native_reason
    logits, _ = _decode_all(model)
    assert torch.isfinite(logits).all()


@needs_native
def test_build_is_cached_and_keyed_by_flags(tmp_path):
    first = native_build.build("rwkv_cpu", directory=tmp_path)
    mtime = first.stat().st_mtime_ns
    assert native_build.build("rwkv_cpu", directory=tmp_path) == first
    assert first.stat().st_mtime_ns == mtime
    other = native_build.build("rwkv_cpu", directory=tmp_path, extra_flags=["-DHEARTH_TEST_VARIANT=1"])
    assert other != first and other.exists()
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".so" and p not in (first, other)]


@needs_native
def test_a_processor_without_vnni_gets_a_clear_reason(tmp_path):
    with pytest.raises(RuntimeError, match="AVX-512 F, BW and VNNI"):
        native_build.build("rwkv_cpu", directory=tmp_path, extra_flags=["-mno-avx512vnni"])
    assert not list(tmp_path.iterdir())  # no half-written library left behind


def test_no_compiler_is_reported_not_raised(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CC", "")
    with pytest.raises(RuntimeError, match="no C compiler"):
        native_build.build("rwkv_cpu", directory=tmp_path / "out")
    monkeypatch.setattr(native_build, "_loaded", {})
    native = native_build.load("rwkv_cpu")
    assert not native.ok and "no C compiler" in native.reason
    path = os.environ.get("HEARTH_NATIVE_DIR", "")
    assert path  # the test session builds into its own folder, never the user's cache
