"""Projection matrices as callables: dense (fp32/fp16/bf16), int8 weight-only (per-output-row scales) or int4
weight-only (fp16 scales per group of inputs).

A projection maps activations [..., in] in the activation dtype to [..., out] in the activation dtype; the
weight may be stored in another dtype (bf16, int8 or int4 weights with fp32 activations on CPU). When the
execution plan runs native CPU kernels, the projection is given them (`kern`) at construction: it then keeps
its weight in their layout, and one-token inputs (decode) go through them; sequences (prefill) use torch.
"""

from __future__ import annotations

import functools
import threading

import torch
import torch.nn.functional as F

from app.ai.lean import give_back
from app.ai.native_ops import KIND_F16, KIND_F32, KIND_Q4, KIND_Q8, Kernels

Tensor = torch.Tensor
DEQUANT_ROWS = 32  # int8 inputs of this many tokens or more multiply by widened weights (bf16 GEMM)
DEQUANT_ROWS_FP32 = 64  # the same where the widened GEMM is fp32 (see cpu_gemm_dtype): measured at the 1.5B
# shape on AVX2, 2 threads, whole prefills: int8pack 16.7/20.7/20.2 tok/s at 16/32/64 tokens, widened 9.7/16.2/20.9
INT4_GROUP = 64  # inputs per int4 scale: chosen by measurement (tests/bench/bench_cpu_targets.py)
CONVERT_ROWS = 2048  # rows quantised at a time while loading


@functools.cache
def cpu_gemm_dtype() -> torch.dtype:
    """The dtype a CPU sequence (prefill) multiplies in: bf16 where the CPU has bf16 dot products
    (AVX512-BF16, AMX), else fp32. Measured on an AVX2 CPU without them (2 threads, [512,2048]x[2048,8192]):
    torch's bf16 GEMM ran at 9.4 GFLOP/s and its fp32 one at 59 (6x), so widening to bf16 there made int8
    prefill at the 1.5B shape crawl at ~3 tokens/s."""
    cpu = getattr(torch, "cpu", None)
    try:
        fast = bool(cpu._is_avx512_bf16_supported() or cpu._is_amx_tile_supported())  # type: ignore[union-attr]
    except AttributeError:  # other architectures, older torch: fp32 is never the slow choice
        fast = False
    return torch.bfloat16 if fast else torch.float32


_scratch = threading.local()


def widened(weight: Tensor, dtype: torch.dtype) -> Tensor:
    """`weight` converted to `dtype` in this thread's reused buffer (valid until the next call on the thread):
    a fresh tensor for each projection of each prefill chunk costs its page faults every time."""
    if weight.dtype == dtype:
        return weight
    buf: Tensor | None = getattr(_scratch, "buf", None)
    n = weight.numel()
    if buf is None or buf.dtype != dtype or buf.numel() < n or buf.device != weight.device:
        buf = torch.empty(n, dtype=dtype, device=weight.device)
        _scratch.buf = buf
    return buf[:n].view(weight.shape).copy_(weight)


class Linear:
    """y = x @ W.T for W [out,in] in `weight.dtype`.

    `rows`: keep W as [out,in] rows for the native kernels, which then run one-token inputs (fp32 weights);
    sequences use F.linear.

    fp32 on CPU stores Wᵀ [in,out] and multiplies one token as p partial products over blocks of the input,
    one bmm [p,1,in/p] x [p,in/p,out] and a sum: MKL's fp32 GEMV runs on one thread, while bmm spreads the p
    blocks over the threads (1.1-1.6x the bandwidth of splitting the output columns on 2 cores, ~1.7x a plain
    GEMV). A sequence multiplies by Wᵀ in one GEMM. Other dtypes/devices keep [out,in] for F.linear.
    """

    def __init__(self, weight: Tensor, act_dtype: torch.dtype, *, kern: Kernels | None = None) -> None:
        rows = kern is not None
        self.kern = kern if rows and weight.dtype == torch.float32 and act_dtype == torch.float32 else None
        out_f, in_f = weight.shape
        self.out_features, self.in_features = out_f, in_f
        self.act_dtype = act_dtype
        self._cast = weight.dtype != act_dtype
        p = (
            min(torch.get_num_threads(), 8)
            if weight.device.type == "cpu" and weight.dtype == torch.float32 and not rows
            else 0
        )
        while p > 1 and in_f % p:
            p -= 1
        self.parts = p
        # [in,out] if p else [out,in]; always a copy, so nothing keeps a memory-mapped checkpoint alive
        self.weight = weight.t().contiguous() if p else weight.clone(memory_format=torch.contiguous_format)
        self.nbytes = self.weight.numel() * self.weight.element_size()

    def __call__(self, x: Tensor) -> Tensor:
        if self.kern is not None and x.numel() == self.in_features:
            return self.kern.matvec(KIND_F32, self.weight, None, x).view(*x.shape[:-1], -1)
        xw = x.to(self.weight.dtype) if self._cast else x
        if not self.parts:
            y = F.linear(xw, self.weight)
        elif xw.numel() == self.in_features:  # one token, [C] or [1,C]
            p = self.parts
            y = torch.bmm(xw.view(p, 1, -1), self.weight.view(p, -1, self.out_features)).sum(0)
            y = y.view(*xw.shape[:-1], self.out_features)
        else:
            y = xw @ self.weight
        return y.to(self.act_dtype) if self._cast else y


class Half16Linear:
    """CPU 16-bit weights: stored fp16 because torch's CPU fp16 GEMV streams ~2.4x faster than its bf16 GEMV;
    a sequence (prefill) converts them per call to cpu_gemm_dtype (bf16 for an AVX512-BF16 GEMM, else fp32;
    fp16 GEMM is slow on CPU).
    Activations stay fp32; `scaled` inputs (relu², gated outputs) are divided by their max before the fp16
    cast so they cannot overflow. bf16 checkpoint weights convert to fp16 exactly in its normal range."""

    def __init__(
        self, weight: Tensor, act_dtype: torch.dtype, scaled: bool, *, kern: Kernels | None = None
    ) -> None:
        self.weight = torch.empty(weight.shape, dtype=torch.float16, device=weight.device)  # [out, in]
        for i in range(0, weight.shape[0], CONVERT_ROWS):
            self.weight[i : i + CONVERT_ROWS] = weight[i : i + CONVERT_ROWS]
            give_back(weight[i : i + CONVERT_ROWS])
        # one token: the native fp16 rows with the fp32 input (no overflow, so no scaling either)
        self.kern = kern if act_dtype == torch.float32 else None
        self.act_dtype = act_dtype
        self.scaled = scaled
        self.nbytes = self.weight.numel() * 2
        self.out_features, self.in_features = self.weight.shape

    def __call__(self, x: Tensor) -> Tensor:
        if self.kern is not None and x.numel() == self.in_features:
            return self.kern.matvec(KIND_F16, self.weight, None, x).view(*x.shape[:-1], -1)
        if x.dim() > 1 and x.shape[0] > 1:
            gemm = cpu_gemm_dtype()
            return F.linear(x.to(gemm), widened(self.weight, gemm)).to(self.act_dtype)
        if self.scaled:
            s = x.abs().amax().clamp_(min=1e-30)
            return F.linear((x / s).to(torch.float16), self.weight).to(self.act_dtype) * s
        return F.linear(x.to(torch.float16), self.weight).to(self.act_dtype)


class Int8Linear:
    """int8 weight-only: W ≈ q[out,in] * scale[out] (symmetric, per output row).

    `biased`: store q + 128 as unsigned bytes (the native kernel's VNNI layout) with fp32 scales beside the
    compute-dtype ones; one-token inputs then run natively, sequences widen the weights or recover q."""

    def __init__(
        self,
        weight: Tensor,
        act_dtype: torch.dtype,
        compute_dtype: torch.dtype,
        *,
        biased: bool = False,
        kern: Kernels | None = None,
    ) -> None:
        out_f, in_f = weight.shape
        q = torch.empty(out_f, in_f, dtype=torch.int8, device=weight.device)
        scale = torch.empty(out_f, device=weight.device)
        for i in range(0, out_f, CONVERT_ROWS):  # in row blocks: no fp32 copy of the whole matrix
            w = weight[i : i + CONVERT_ROWS].float()
            s = w.abs().amax(dim=1).clamp_(min=1e-12) / 127.0
            q[i : i + CONVERT_ROWS] = torch.round(w / s[:, None]).clamp_(-127, 127)
            scale[i : i + CONVERT_ROWS] = s
            give_back(weight[i : i + CONVERT_ROWS])
        self.biased = biased
        self.q = q.bitwise_xor_(-128).view(torch.uint8) if biased else q  # q ^ 0x80 == q + 128
        self.scale_f32 = scale.contiguous() if biased else None
        self.kern = kern if biased and act_dtype == torch.float32 else None
        self.compute_dtype = compute_dtype  # cpu_gemm_dtype() on CPU, fp16 on CUDA
        self.scale = scale.to(compute_dtype).contiguous()
        # torch's int8pack kernel is fast with bf16 inputs only (fp32 ones ran ~20x slower, AVX2, 2 threads)
        self.scale_mm = scale.to(torch.bfloat16).contiguous()
        self.dequant_rows = DEQUANT_ROWS if compute_dtype != torch.float32 else DEQUANT_ROWS_FP32
        self.act_dtype = act_dtype
        self.out_features, self.in_features = self.q.shape
        self.nbytes = (
            self.q.numel() + self.scale.numel() * self.scale.element_size() + self.scale_mm.numel() * 2
        )
        self._packed = self.q.device.type == "cpu" and hasattr(torch, "_weight_int8pack_mm")

    def signed(self) -> Tensor:
        return torch.bitwise_xor(self.q.view(torch.int8), -128) if self.biased else self.q

    def dequantized(self, *, scratch: bool = False) -> Tensor:
        """q as a [out,in] tensor of the compute dtype (integers: exact in bf16/fp16); `scratch`: in this
        thread's reused buffer on the CPU (see widened), valid until the thread's next widening."""
        if scratch and self.q.device.type == "cpu":
            q = widened(self.q, self.compute_dtype)
        else:
            q = self.q.to(self.compute_dtype)
        return q.sub_(128.0) if self.biased else q

    def __call__(self, x: Tensor) -> Tensor:
        if self.kern is not None and x.numel() == self.in_features:
            return self.kern.matvec(KIND_Q8, self.q, self.scale_f32, x).view(*x.shape[:-1], -1)
        shape = x.shape
        x2 = x.reshape(-1, self.in_features)
        if self._packed and x2.shape[0] < self.dequant_rows:
            y = torch._weight_int8pack_mm(x2.to(torch.bfloat16), self.signed(), self.scale_mm)
        else:  # long sequences: widen the weights once and run the GEMM (1.6x faster than int8pack in bf16)
            y = F.linear(x2.to(self.compute_dtype), self.dequantized(scratch=True)) * self.scale
        return y.to(self.act_dtype).reshape(*shape[:-1], self.out_features)


class Int4Linear:
    """int4 weight-only, group-wise: W ≈ (n − 8)·s for nibbles n = q + 8 (−8 ≤ q ≤ 7) and one fp16 scale s per
    `group` inputs of a row (group a multiple of 64). All 16 levels are used: s = −m/8 for the group's weight m
    of largest magnitude, sign included, so m is q = −8 exactly and the other side reaches 7 (a weight of the
    opposite sign near |m| is clipped by at most one step). The step is max |w| / 8, not / 7 as with |q| ≤ 7:
    at group 64 the logits move by ~10 % less (random checkpoints), at no cost in bytes or kernel time.

    Packed for the native kernels (rows.h, W_Q4): each 64 inputs of a row are 32 bytes, byte i holding input i
    in its low nibble and input i + 32 in its high one. Sequences (and every input without the kernels)
    multiply by the weights widened to the compute dtype."""

    def __init__(
        self,
        weight: Tensor,
        act_dtype: torch.dtype,
        compute_dtype: torch.dtype,
        *,
        group: int = INT4_GROUP,
        kern: Kernels | None = None,
    ) -> None:
        out_f, in_f = weight.shape
        if in_f % group or group % 64:
            raise ValueError(f"int4 needs inputs ({in_f}) in groups of a multiple of 64 (group {group})")
        self.scale = torch.empty(out_f, in_f // group, dtype=torch.float16, device=weight.device)
        self.packed = torch.empty(out_f, in_f // 2, dtype=torch.uint8, device=weight.device)
        for i in range(0, out_f, CONVERT_ROWS):  # in row blocks: no fp32 copy of the whole matrix
            w = weight[i : i + CONVERT_ROWS].float().view(-1, in_f // group, group)
            m = w.gather(-1, w.abs().argmax(-1, keepdim=True)).squeeze(-1)  # signed, largest magnitude
            s = torch.where(m.abs() < 2**-11, 2**-14, m / -8).to(torch.float16)
            n = (
                torch.round(w / s.float()[..., None])
                .clamp_(-8, 7)
                .add_(8)
                .to(torch.uint8)
                .view(-1, in_f // 64, 2, 32)
            )
            self.packed[i : i + CONVERT_ROWS] = (n[:, :, 0] | (n[:, :, 1] << 4)).reshape(-1, in_f // 2)
            self.scale[i : i + CONVERT_ROWS] = s
            give_back(weight[i : i + CONVERT_ROWS])
        self.group = group
        self.kern = kern if act_dtype == torch.float32 else None
        self.compute_dtype, self.act_dtype = compute_dtype, act_dtype
        self.out_features, self.in_features = out_f, in_f
        self.nbytes = self.packed.numel() + self.scale.numel() * 2

    def nibbles(self) -> Tensor:
        """q + 8 as [out, in] uint8."""
        p = self.packed.view(self.out_features, -1, 32)
        return torch.stack((p & 15, p >> 4), dim=2).view(self.out_features, self.in_features)

    def dequantized(self, dtype: torch.dtype | None = None) -> Tensor:
        dtype = dtype or self.compute_dtype
        q = self.nibbles().to(dtype).sub_(8.0).view(self.out_features, -1, self.group)
        return q.mul_(self.scale.to(dtype)[..., None]).view(self.out_features, self.in_features)

    def __call__(self, x: Tensor) -> Tensor:
        if self.kern is not None and x.numel() == self.in_features:
            y = self.kern.matvec(
                KIND_Q4, self.packed, self.scale, x, rows=self.out_features, group=self.group
            )
            return y.view(*x.shape[:-1], -1)
        y = F.linear(x.to(self.compute_dtype), self.dequantized())
        return y.to(self.act_dtype)


class Int8Rows:
    """A table of rows (the embedding) as int8 with one fp32 scale per row: row ≈ q[row] * scale[row], symmetric
    (scale = max |row| / 127). Filled block by block with `set_rows`; indexing with a tensor of row ids gives
    those rows dequantised in `act_dtype`, as indexing the dense table would."""

    def __init__(self, rows: int, cols: int, act_dtype: torch.dtype, device: torch.device) -> None:
        self.q = torch.empty(rows, cols, dtype=torch.int8, device=device)
        self.scale = torch.empty(rows, dtype=torch.float32, device=device)
        self.act_dtype = act_dtype
        self.shape = self.q.shape
        self.nbytes = self.q.numel() + self.scale.numel() * 4

    def set_rows(self, start: int, rows: Tensor) -> None:
        """Quantise fp32 `rows` into rows start.. (one block at a time: no full-size temporary)."""
        s = rows.abs().amax(dim=1).clamp_(min=1e-12) / 127.0
        self.q[start : start + len(rows)] = torch.round(rows / s[:, None]).clamp_(-127, 127)
        self.scale[start : start + len(rows)] = s

    def element_size(self) -> int:
        """Bytes per stored element (a decode step reads C of them and one 4-byte scale)."""
        return 1

    def __getitem__(self, index: Tensor) -> Tensor:
        return (self.q[index].float() * self.scale[index].unsqueeze(-1)).to(self.act_dtype)


Projection = Linear | Half16Linear | Int8Linear | Int4Linear


def make_linear(
    weight: Tensor,
    *,
    wdtype: str,
    act_dtype: torch.dtype,
    device: torch.device,
    scaled: bool = False,
    kern: Kernels | None = None,
) -> Projection:
    """A projection for a [out,in] weight in the run's weight dtype ("fp32", "fp16", "bf16", "int8", "int4").

    `scaled`: the input may exceed the fp16 range (relu² of the FFN, the gated attention output).
    `kern`: the native CPU kernels the plan chose; the weight is laid out for them (fp32 rows, biased int8,
    packed int4) and one-token inputs run through them."""
    cpu_half = wdtype == "bf16" and device.type == "cpu" and act_dtype == torch.float32
    # else true bf16 (no such weights in released models); the max in row blocks (no full-size temporary)
    if (
        cpu_half
        and max(float(weight[i : i + CONVERT_ROWS].abs().amax()) for i in range(0, len(weight), CONVERT_ROWS))
        < 60000.0
    ):
        return Half16Linear(weight, act_dtype, scaled, kern=kern)
    compute = cpu_gemm_dtype() if device.type == "cpu" else torch.float16
    if wdtype == "int8":
        return Int8Linear(weight.to(device), act_dtype, compute, biased=kern is not None, kern=kern)
    if wdtype == "int4":
        return Int4Linear(weight.to(device), act_dtype, compute, kern=kern)
    dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[wdtype]
    return Linear(weight.to(device=device, dtype=dtype), act_dtype, kern=kern)
