"""The chunked RWKV-7 WKV equals the step-by-step recurrence (float64 exactly, fp32 at worst-case decay)."""

from __future__ import annotations

import pytest
import torch

from app.ai.ops_wkv7 import wkv7_chunked, wkv7_loop


def _inputs(T: int, dtype: torch.dtype, *, decay: str = "random", seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    H, N = 2, 64

    def rnd(scale: float = 1.0) -> torch.Tensor:
        return (torch.randn(T, H, N, generator=g) * scale).to(dtype)

    kk = torch.nn.functional.normalize(rnd(), dim=-1)
    gate = (
        torch.rand(T, H, N, generator=g).to(dtype) if decay == "random" else torch.ones(T, H, N, dtype=dtype)
    )
    if decay == "random":
        log_w = -0.606531 * torch.sigmoid(rnd(3.0))
    else:  # the fastest decay RWKV-7 allows, every step, with a full-strength delta rule
        log_w = torch.full((T, H, N), -0.606531, dtype=dtype)
    return rnd(), log_w, rnd(0.5), rnd(), -kk, kk * gate, torch.randn(H, N, N, generator=g).to(dtype)


@pytest.mark.parametrize("T", [1, 5, 16, 37, 100])
def test_chunked_equals_loop_in_float64(T):
    r, log_w, k, v, a, b, S0 = _inputs(T, torch.float64, seed=T)
    s_loop, s_chunk = S0.clone(), S0.clone()
    y_loop = wkv7_loop(s_loop, r, torch.exp(log_w), k, v, a, b)
    y_chunk = wkv7_chunked(r, log_w, k, v, a, b, S=s_chunk)
    assert torch.allclose(y_chunk, y_loop, rtol=0, atol=1e-12 * float(y_loop.abs().max()))
    assert torch.allclose(s_chunk, s_loop, rtol=0, atol=1e-12 * float(s_loop.abs().max()))


@pytest.mark.parametrize("decay", ["random", "fastest"])
def test_chunked_fp32_stays_accurate(decay):
    r, log_w, k, v, a, b, S0 = _inputs(200, torch.float64, decay=decay)
    s_ref = S0.clone()
    y_ref = wkv7_loop(s_ref, r, torch.exp(log_w), k, v, a, b)
    s32 = S0.float()
    y32 = wkv7_chunked(*(t.float() for t in (r, log_w, k, v, a, b)), S=s32)
    assert float((y32.double() - y_ref).abs().max() / y_ref.abs().max()) < 1e-5
    assert float((s32.double() - s_ref).abs().max() / s_ref.abs().max()) < 1e-5
