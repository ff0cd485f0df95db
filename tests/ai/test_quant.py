"""Projections: int8 weight-only layouts (signed and the native kernel's biased bytes) on both CPU paths."""

from __future__ import annotations

import pytest
import torch

from app.ai.quant import DEQUANT_ROWS, Int8Linear, Linear


@pytest.fixture()
def weight() -> torch.Tensor:
    return torch.randn(96, 128, generator=torch.Generator().manual_seed(3))


@pytest.mark.parametrize("biased", [False, True])
@pytest.mark.parametrize("rows", [1, 4, DEQUANT_ROWS, 100])
def test_int8_matches_its_dequantised_weights(weight, biased, rows):
    """Short inputs use int8pack, long ones widen the weights: both equal x·(q·s)ᵀ up to bf16 rounding."""
    lin = Int8Linear(weight, torch.float32, torch.bfloat16, biased=biased)
    x = torch.randn(rows, 128, generator=torch.Generator().manual_seed(rows))
    exact = x @ (lin.signed().float() * lin.scale.float()[:, None]).t()
    y = lin(x)
    assert y.dtype == torch.float32 and y.shape == (rows, 96)
    assert ((y - exact).abs().max() / exact.abs().max()) < 2e-2
    assert ((y - x @ weight.t()).abs().max() / exact.abs().max()) < 3e-2  # and stays close to fp32


def test_biased_bytes_are_q_plus_128(weight):
    signed = Int8Linear(weight, torch.float32, torch.bfloat16)
    biased = Int8Linear(weight, torch.float32, torch.bfloat16, biased=True)
    assert biased.q.dtype == torch.uint8
    assert torch.equal(biased.q.to(torch.int16) - 128, signed.q.to(torch.int16))
    assert torch.equal(biased.signed(), signed.q)
    assert torch.equal(biased.dequantized(), signed.dequantized())
    assert biased.scale_f32 is not None and torch.allclose(biased.scale_f32, weight.abs().amax(1) / 127)


def test_row_layout_keeps_out_by_in(weight):
    lin = Linear(weight, torch.float32, rows=True)
    assert lin.parts == 0 and lin.weight.shape == (96, 128)
    x = torch.randn(128)
    assert torch.allclose(lin(x), weight @ x, atol=1e-5)
