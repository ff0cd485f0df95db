"""Projections: int8 weight-only layouts (signed and the native kernels' biased bytes) and int4 groups, on the
torch path and through every kernel variant this machine runs."""

from __future__ import annotations

import pytest
import torch

from app.ai import native_build, native_ops
from app.ai.quant import (
    DEQUANT_ROWS,
    DEQUANT_ROWS_FP32,
    Half16Linear,
    Int4Linear,
    Int8Linear,
    Int8Rows,
    Linear,
    cpu_gemm_dtype,
    make_linear,
    widened,
)

VARIANTS = native_build.runnable()


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


@pytest.mark.parametrize("biased", [False, True])
@pytest.mark.parametrize("rows", [1, 4, DEQUANT_ROWS_FP32 - 1, DEQUANT_ROWS_FP32, 100])
def test_int8_with_an_fp32_gemm_matches_on_both_paths(weight, biased, rows):
    """Where the CPU has no bf16 dot products, sequences widen int8 to fp32 (short ones still take int8pack in
    bf16, its fast case): both paths equal x·(q·s)ᵀ; the long path to fp32 rounding."""
    lin = Int8Linear(weight, torch.float32, torch.float32, biased=biased)
    assert lin.dequant_rows == DEQUANT_ROWS_FP32
    x = torch.randn(rows, 128, generator=torch.Generator().manual_seed(rows))
    exact = x @ (lin.signed().float() * lin.scale[:, None]).t()
    y = lin(x)
    assert y.dtype == torch.float32 and y.shape == (rows, 96)
    tol = 2e-2 if rows < DEQUANT_ROWS_FP32 else 1e-5
    assert ((y - exact).abs().max() / exact.abs().max()) < tol


def test_the_cpu_gemm_dtype_follows_the_cpus_bf16_support():
    fast = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    assert cpu_gemm_dtype() == (torch.bfloat16 if fast else torch.float32)
    lin = make_linear(torch.randn(8, 64), wdtype="int8", act_dtype=torch.float32, device=torch.device("cpu"))
    assert isinstance(lin, Int8Linear) and lin.compute_dtype == cpu_gemm_dtype()


def test_widened_reuses_one_buffer_per_thread_and_converts_exactly():
    a = torch.randint(-127, 128, (64, 32), dtype=torch.int8)
    b = torch.randint(-127, 128, (16, 32), dtype=torch.int8)
    wa = widened(a, torch.float32)
    assert torch.equal(wa, a.float())
    pointer = wa.data_ptr()
    wb = widened(b, torch.float32)
    assert torch.equal(wb, b.float()) and wb.data_ptr() == pointer  # the smaller one fits in the same buffer
    assert widened(wb, torch.float32) is wb  # already that dtype: no copy


def test_half16_sequences_match_fp32(weight):
    lin = Half16Linear(weight, torch.float32, False)
    x = torch.randn(40, 128, generator=torch.Generator().manual_seed(5))
    y = lin(x)
    exact = x @ lin.weight.float().t()
    tol = 1e-5 if cpu_gemm_dtype() == torch.float32 else 2e-2
    assert ((y - exact).abs().max() / exact.abs().max()) < tol


def test_biased_bytes_are_q_plus_128(weight):
    signed = Int8Linear(weight, torch.float32, torch.bfloat16)
    biased = Int8Linear(weight, torch.float32, torch.bfloat16, biased=True)
    assert biased.q.dtype == torch.uint8
    assert torch.equal(biased.q.to(torch.int16) - 128, signed.q.to(torch.int16))
    assert torch.equal(biased.signed(), signed.q)
    assert torch.equal(biased.dequantized(), signed.dequantized())
    assert biased.scale_f32 is not None and torch.allclose(biased.scale_f32, weight.abs().amax(1) / 127)


@pytest.mark.parametrize("variant", VARIANTS)
def test_row_layout_keeps_out_by_in(weight, variant):
    lin = Linear(weight, torch.float32, kern=native_ops.kernels(variant))
    assert lin.kern is not None
    assert lin.parts == 0 and lin.weight.shape == (96, 128)
    x = torch.randn(128)
    assert torch.allclose(lin(x), weight @ x, atol=1e-5)


@pytest.mark.parametrize("group", [64, 128, 256])
def test_int4_packs_groups_of_nibbles_and_round_trips(group):
    w = torch.randn(40, 256, generator=torch.Generator().manual_seed(group))
    lin = Int4Linear(w, torch.float32, torch.bfloat16, group=group)
    assert lin.packed.shape == (40, 128) and lin.scale.shape == (40, 256 // group)
    assert lin.scale.dtype == torch.float16 and lin.nbytes == 40 * 128 + 40 * (256 // group) * 2
    n = lin.nibbles()
    assert int(n.min()) == 0 and int(n.max()) == 15  # q + 8 with -8 <= q <= 7: all 16 levels used
    # each group's weight of largest magnitude is q = -8 exactly: s = -m/8 (fp16-rounded), sign included
    g = w.view(40, -1, group)
    m = g.gather(-1, g.abs().argmax(-1, keepdim=True)).squeeze(-1)
    assert torch.equal(lin.scale, (m / -8).to(torch.float16))
    # byte i of each 64 inputs holds input i (low nibble) and input i + 32 (high nibble)
    assert int(lin.packed[3, 5]) == int(n[3, 5]) | (int(n[3, 37]) << 4)
    assert int(lin.packed[3, 37]) == int(n[3, 69]) | (int(n[3, 101]) << 4)
    deq = lin.dequantized(torch.float32)
    err = (deq - w).abs().view(40, -1, group)
    step = lin.scale.float().abs()[..., None]
    clipped = (n == 15).view(40, -1, group)  # the opposite side of m may reach 8 steps: clipped to 7
    assert torch.all(err[~clipped] <= (step * 0.5 + 1e-6).expand_as(err)[~clipped])  # at most half a step
    assert torch.all(err <= step + 1e-6)  # a clipped weight: at most one step


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("group", [64, 128, 256])
def test_int4_kernel_equals_its_dequantised_weights(variant, group):
    w = torch.randn(333, 256, generator=torch.Generator().manual_seed(1)) / 16
    x = torch.randn(256, generator=torch.Generator().manual_seed(2))
    lin = Int4Linear(w, torch.float32, torch.bfloat16, group=group, kern=native_ops.kernels(variant))
    exact = lin.dequantized(torch.float32) @ x
    y = lin(x)
    assert ((y - exact).abs().max() / exact.abs().max()) < 1.5e-2  # only the input's int8 blocks differ
    seq = lin(x.expand(3, -1))  # the torch path for sequences
    assert ((seq[1] - exact).abs().max() / exact.abs().max()) < 1.5e-2


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("n_in", [512, 576, 2048])
def test_int4_kernel_at_model_widths(variant, n_in):
    """Groups of 64 run 8 blocks per step with the offset correction once per row (576: one step and a tail
    of one block); the result is the dequantised weights' product up to the input's int8 blocks."""
    w = torch.randn(200, n_in, generator=torch.Generator().manual_seed(n_in)) / 16
    x = torch.randn(n_in, generator=torch.Generator().manual_seed(3)) * 4
    lin = Int4Linear(w, torch.float32, torch.bfloat16, group=64, kern=native_ops.kernels(variant))
    exact = lin.dequantized(torch.float32) @ x
    assert ((lin(x) - exact).abs().max() / exact.abs().max()) < 1.5e-2


def test_int8_rows_index_like_the_dense_table():
    """Int8Rows (the int4 plan's embedding): q·scale per row, symmetric at max|row|/127; indexing with a tensor
    of ids gives those rows in the activation dtype, a zero row stays zero."""
    dense = (
        torch.randn(40, 64, generator=torch.Generator().manual_seed(5))
        * torch.linspace(0.1, 3.0, 40)[:, None]
    )
    dense[7] = 0.0
    table = Int8Rows(40, 64, torch.float32, torch.device("cpu"))
    table.set_rows(0, dense[:32])
    table.set_rows(32, dense[32:])
    assert table.nbytes == 40 * 64 + 40 * 4 and table.element_size() == 1 and table.shape == (40, 64)
    assert torch.equal(
        table.q.abs().amax(dim=1)[dense.abs().amax(dim=1) > 0], torch.full((39,), 127, dtype=torch.int8)
    )
    ids = torch.tensor([3, 7, 39, 3])
    rows = table[ids]
    assert rows.dtype == torch.float32 and rows.shape == (4, 64)
    assert torch.equal(rows, table.q[ids].float() * table.scale[ids, None])
    assert torch.all(rows[1] == 0)
    assert torch.all((rows - dense[ids]).abs() <= table.scale[ids, None] / 2 + 1e-7)
    half = Int8Rows(4, 8, torch.bfloat16, torch.device("cpu"))
    half.set_rows(0, dense[:4, :8])
    assert half[torch.tensor([0])].dtype == torch.bfloat16
