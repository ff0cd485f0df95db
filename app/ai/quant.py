"""Projection matrices as callables: dense (fp32/fp16/bf16) or int8 weight-only (per-output-row scales).

A Linear maps activations [..., in] in the activation dtype to [..., out] in the activation dtype; the weight
may be stored in another dtype (bf16 or int8 weights with fp32 activations on CPU).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


LAYOUT = {"fp32": "io"}


class Linear:
    """y = x @ W.T for W [out,in], stored as [in,out] ("io", what MKL's fp32 gemv reads fastest here) or
    [out,in] ("oi", what oneDNN's bf16 matmul wants), contiguous, in `weight.dtype`."""

    def __init__(self, weight: Tensor, act_dtype: torch.dtype, layout: str = "oi") -> None:
        self.layout = layout
        self.weight = (weight.t() if layout == "io" else weight).contiguous()
        self.act_dtype = act_dtype
        self.nbytes = self.weight.numel() * self.weight.element_size()
        self.out_features, self.in_features = weight.shape
        self._cast = weight.dtype != act_dtype

    def __call__(self, x: Tensor) -> Tensor:
        xw = x.to(self.weight.dtype) if self._cast else x
        y = xw @ self.weight if self.layout == "io" else F.linear(xw, self.weight)
        return y.to(self.act_dtype) if self._cast else y


class Int8Linear:
    """int8 weight-only: W ≈ q[out,in] * scale[out] (symmetric, per output row)."""

    def __init__(self, weight: Tensor, act_dtype: torch.dtype, compute_dtype: torch.dtype) -> None:
        w = weight.float()
        scale = w.abs().amax(dim=1).clamp(min=1e-12) / 127.0  # [out]
        self.q = torch.round(w / scale[:, None]).clamp(-127, 127).to(torch.int8).contiguous()
        self.compute_dtype = compute_dtype  # bf16 on CPU (the fast _weight_int8pack_mm path), fp16 on CUDA
        self.scale = scale.to(compute_dtype).contiguous()
        self.act_dtype = act_dtype
        self.out_features, self.in_features = self.q.shape
        self.nbytes = self.q.numel() + self.scale.numel() * self.scale.element_size()
        self._packed = self.q.device.type == "cpu" and hasattr(torch, "_weight_int8pack_mm")

    def __call__(self, x: Tensor) -> Tensor:
        shape = x.shape
        x2 = x.reshape(-1, self.in_features).to(self.compute_dtype)
        if self._packed:
            y = torch._weight_int8pack_mm(x2, self.q, self.scale)
        else:
            y = F.linear(x2, self.q.to(self.compute_dtype)) * self.scale
        return y.to(self.act_dtype).reshape(*shape[:-1], self.out_features)


def make_linear(
    weight: Tensor, *, wdtype: str, act_dtype: torch.dtype, device: torch.device
) -> Linear | Int8Linear:
    """A projection for a [out,in] weight in the run's weight dtype ("fp32", "fp16", "bf16", "int8")."""
    if wdtype == "int8":
        compute = torch.bfloat16 if device.type == "cpu" else torch.float16
        return Int8Linear(weight.to(device), act_dtype, compute)
    dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[wdtype]
    return Linear(weight.to(device=device, dtype=dtype), act_dtype, LAYOUT.get(wdtype, "oi"))
