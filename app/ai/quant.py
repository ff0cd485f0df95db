"""Projection matrices as callables: dense (fp32/fp16/bf16) or int8 weight-only (per-output-row scales).

A Linear maps activations [..., in] in the activation dtype to [..., out] in the activation dtype; the weight
may be stored in another dtype (bf16 or int8 weights with fp32 activations on CPU).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from app.ai import native_ops

Tensor = torch.Tensor
DEQUANT_ROWS = 32  # int8 inputs of this many tokens or more multiply by widened weights


class Linear:
    """y = x @ W.T for W [out,in] in `weight.dtype`.

    `rows`: keep W as [out,in] rows for the native kernels, which then run one-token inputs (fp32 weights);
    sequences use F.linear.

    fp32 on CPU stores Wᵀ [in,out] and multiplies one token as p partial products over blocks of the input,
    one bmm [p,1,in/p] x [p,in/p,out] and a sum: MKL's fp32 GEMV runs on one thread, while bmm spreads the p
    blocks over the threads (1.1-1.6x the bandwidth of splitting the output columns on 2 cores, ~1.7x a plain
    GEMV). A sequence multiplies by Wᵀ in one GEMM. Other dtypes/devices keep [out,in] for F.linear.
    """

    def __init__(self, weight: Tensor, act_dtype: torch.dtype, *, rows: bool = False) -> None:
        self.native = (
            rows and weight.dtype == torch.float32 and act_dtype == torch.float32 and native_ops.available()
        )
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
        if self.native and x.numel() == self.in_features:
            return native_ops.matvec(native_ops.KIND_F32, self.weight, None, x).view(*x.shape[:-1], -1)
        xw = x.to(self.weight.dtype) if self._cast else x
        if not self.parts:
            y = F.linear(xw, self.weight)
        elif xw.dim() == 1:
            p = self.parts
            y = torch.bmm(xw.view(p, 1, -1), self.weight.view(p, -1, self.out_features)).sum(0).view(-1)
        else:
            y = xw @ self.weight
        return y.to(self.act_dtype) if self._cast else y


class Half16Linear:
    """CPU 16-bit weights: stored fp16 because torch's CPU fp16 GEMV streams ~2.4x faster than its bf16 GEMV;
    a sequence (prefill) converts them to bf16 per call for the AVX512-BF16 GEMM (fp16 GEMM is slow on CPU).
    Activations stay fp32; `scaled` inputs (relu², gated outputs) are divided by their max before the fp16
    cast so they cannot overflow. bf16 checkpoint weights convert to fp16 exactly in its normal range."""

    def __init__(self, weight: Tensor, act_dtype: torch.dtype, scaled: bool, *, native: bool = False) -> None:
        self.weight = weight.to(torch.float16).contiguous()  # [out, in]
        # one token: the native fp16 rows with the fp32 input (no overflow, so no scaling either)
        self.native = native and act_dtype == torch.float32 and native_ops.available()
        self.act_dtype = act_dtype
        self.scaled = scaled
        self.nbytes = self.weight.numel() * 2
        self.out_features, self.in_features = self.weight.shape

    def __call__(self, x: Tensor) -> Tensor:
        if self.native and x.numel() == self.in_features:
            return native_ops.matvec(native_ops.KIND_F16, self.weight, None, x).view(*x.shape[:-1], -1)
        if x.dim() > 1 and x.shape[0] > 1:
            return F.linear(x.to(torch.bfloat16), self.weight.to(torch.bfloat16)).to(self.act_dtype)
        if self.scaled:
            s = x.abs().amax().clamp_(min=1e-30)
            return F.linear((x / s).to(torch.float16), self.weight).to(self.act_dtype) * s
        return F.linear(x.to(torch.float16), self.weight).to(self.act_dtype)


class Int8Linear:
    """int8 weight-only: W ≈ q[out,in] * scale[out] (symmetric, per output row).

    `biased`: store q + 128 as unsigned bytes (the native kernel's VNNI layout) with fp32 scales beside the
    compute-dtype ones; one-token inputs then run natively, sequences widen the weights or recover q."""

    def __init__(
        self, weight: Tensor, act_dtype: torch.dtype, compute_dtype: torch.dtype, *, biased: bool = False
    ) -> None:
        w = weight.float()
        scale = w.abs().amax(dim=1).clamp(min=1e-12) / 127.0  # [out]
        q = torch.round(w / scale[:, None]).clamp(-127, 127).to(torch.int8).contiguous()
        self.biased = biased
        self.q = torch.bitwise_xor(q, -128).view(torch.uint8) if biased else q  # q ^ 0x80 == q + 128
        self.scale_f32 = scale.contiguous() if biased else None
        self.native = biased and act_dtype == torch.float32 and native_ops.available()
        self.compute_dtype = compute_dtype  # bf16 on CPU (the fast _weight_int8pack_mm path), fp16 on CUDA
        self.scale = scale.to(compute_dtype).contiguous()
        self.act_dtype = act_dtype
        self.out_features, self.in_features = self.q.shape
        self.nbytes = self.q.numel() + self.scale.numel() * self.scale.element_size()
        self._packed = self.q.device.type == "cpu" and hasattr(torch, "_weight_int8pack_mm")

    def signed(self) -> Tensor:
        return torch.bitwise_xor(self.q.view(torch.int8), -128) if self.biased else self.q

    def dequantized(self) -> Tensor:
        """q as a [out,in] tensor of the compute dtype (integers: exact in bf16/fp16)."""
        if self.biased:
            return self.q.to(self.compute_dtype).sub_(128.0)
        return self.q.to(self.compute_dtype)

    def __call__(self, x: Tensor) -> Tensor:
        if self.native and x.numel() == self.in_features:
            return native_ops.matvec(native_ops.KIND_Q8, self.q, self.scale_f32, x).view(*x.shape[:-1], -1)
        shape = x.shape
        x2 = x.reshape(-1, self.in_features).to(self.compute_dtype)
        if self._packed and x2.shape[0] < DEQUANT_ROWS:
            y = torch._weight_int8pack_mm(x2, self.signed(), self.scale)
        else:  # long sequences: widen the weights once and run the 16-bit GEMM (1.6x faster than int8pack)
            y = F.linear(x2, self.dequantized()) * self.scale
        return y.to(self.act_dtype).reshape(*shape[:-1], self.out_features)


Projection = Linear | Half16Linear | Int8Linear


def make_linear(
    weight: Tensor,
    *,
    wdtype: str,
    act_dtype: torch.dtype,
    device: torch.device,
    scaled: bool = False,
    native: bool = False,
) -> Projection:
    """A projection for a [out,in] weight in the run's weight dtype ("fp32", "fp16", "bf16", "int8").

    `scaled`: the input may exceed the fp16 range (relu² of the FFN, the gated attention output).
    `native`: lay the weight out for the native CPU kernels (fp32 rows, biased int8) and run one-token inputs
    through them; only when they are available (the engine checks)."""
    cpu_half = wdtype == "bf16" and device.type == "cpu" and act_dtype == torch.float32
    if (
        cpu_half and float(weight.abs().amax()) < 60000.0
    ):  # else true bf16 (no such weights in released models)
        return Half16Linear(weight, act_dtype, scaled, native=native)
    if wdtype == "int8":
        compute = torch.bfloat16 if device.type == "cpu" else torch.float16
        return Int8Linear(weight.to(device), act_dtype, compute, biased=native)
    dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[wdtype]
    return Linear(weight.to(device=device, dtype=dtype), act_dtype, rows=native)
