"""Torch-facing wrappers of one variant of the native CPU kernels (app/ai/native/rwkv_cpu.c): matrix-vector
products in the five weight layouts, and the RWKV-4 and RWKV-5.2/6 WKV recurrences.

`kernels(variant)` gives the bound library of one variant (avx512, avx2, portable), or None with the reason
in `native_build.load(variant).reason`. The execution plan (app/ai/plan.py) picks the variant once per
load; engines keep the Kernels it gave them. Inputs must be contiguous fp32 CPU tensors; the wrappers
allocate the outputs.
"""

from __future__ import annotations

import ctypes

import torch

from app.ai import native_build

Tensor = torch.Tensor
KIND_F32, KIND_F16, KIND_Q8, KIND_Q4, KIND_I8 = 0, 1, 2, 3, 4  # rows.h W_*
_P, _I = ctypes.c_void_p, ctypes.c_int


def _f32(t: Tensor) -> Tensor:
    t = t.contiguous()
    if t.dtype != torch.float32 or t.device.type != "cpu":
        raise ValueError("native kernels take fp32 CPU tensors")
    return t


class Kernels:
    """One loaded variant's entry points."""

    def __init__(self, native: native_build.Native) -> None:
        assert native.lib is not None
        self.variant, self.origin, self.lib = native.variant, native.origin, native.lib
        for name, args in (
            ("rwkv_matvec", [_I, _P, _P, _P, _P, _I, _I, _I, _I]),
            ("rwkv6_wkv_seq", [_I, _I, _I, _P, _P, _P, _P, _P, _P, _I]),
            ("rwkv4_wkv_seq", [_I, _I, _P, _P, _P, _P, _P, _P, _P, _P, _I]),
            ("rwkv7_wkv_seq", [_I, _I, _I, _P, _P, _P, _P, _P, _P, _P, _P, _I]),
        ):
            fn = getattr(self.lib, name)
            fn.restype = None
            fn.argtypes = args

    def __repr__(self) -> str:
        return f"Kernels({self.variant}, {self.origin})"

    def matvec(
        self, kind: int, weight: Tensor, scale: Tensor | None, x: Tensor, *, rows: int = 0, group: int = 0
    ) -> Tensor:
        """y = W·x [rows] for W [rows,in] fp32 / fp16 / biased int8 (fp32 row `scale`) / int4 nibbles [rows,in/2]
        (fp16 `scale` per `group` inputs) / signed int8 (KIND_I8, fp32 row `scale`, x not quantised), x [in] fp32."""
        n_in = x.numel()
        rows = rows or weight.shape[0]
        x = _f32(x)
        y = torch.empty(rows, dtype=torch.float32)
        s = scale.data_ptr() if scale is not None else 0
        self.lib.rwkv_matvec(
            kind, weight.data_ptr(), s, x.data_ptr(), y.data_ptr(), rows, n_in, group, torch.get_num_threads()
        )
        return y

    def wkv6_seq(self, S: Tensor, r: Tensor, w: Tensor, k: Tensor, v: Tensor, H: int, N: int) -> Tensor:
        """RWKV-5.2/6: y_t = r_t·S ; S ← diag(w_t)·S + k_t v_tᵀ  (S [H,key,value] fp32 in place; inputs [T,C])."""
        assert S.is_contiguous()
        r, w, k, v = map(_f32, (r, w, k, v))
        T = r.shape[0]
        y = torch.empty(T, H * N, dtype=torch.float32)
        ptrs = (t.data_ptr() for t in (r, w, k, v, S, y))
        self.lib.rwkv6_wkv_seq(T, H, N, *ptrs, torch.get_num_threads())
        return y

    def wkv4_seq(
        self, aa: Tensor, bb: Tensor, pp: Tensor, w: Tensor, u: Tensor, k: Tensor, v: Tensor
    ) -> Tensor:
        """RWKV-4's stable WKV over [T,C] k, v; aa/bb/pp [C] fp32 updated in place; returns wkv [T,C]."""
        assert all(t.is_contiguous() for t in (aa, bb, pp))
        w, u, k, v = map(_f32, (w, u, k, v))
        T, C = k.shape
        out = torch.empty(T, C, dtype=torch.float32)
        ptrs = (t.data_ptr() for t in (w, u, k, v, aa, bb, pp, out))
        self.lib.rwkv4_wkv_seq(T, C, *ptrs, torch.get_num_threads())
        return out

    def wkv7_seq(self, S: Tensor, r: Tensor, w: Tensor, k: Tensor, v: Tensor, a: Tensor, b: Tensor) -> Tensor:
        """RWKV-7's recurrence over a sequence, as `wkv7_loop` (w: decay multipliers): S [H,N,N] fp32 updated in
        place, inputs [T,H,N] fp32; returns y [T,H,N]."""
        T, H, N = r.shape
        ins = [_f32(t) for t in (r, w, k, v, a, b)]
        if not S.is_contiguous() or S.dtype != torch.float32:
            raise ValueError("wkv7_seq needs a contiguous fp32 state")
        y = torch.empty(T, H, N, dtype=torch.float32)
        self.lib.rwkv7_wkv_seq(
            T, H, N, *(t.data_ptr() for t in ins), S.data_ptr(), y.data_ptr(), torch.get_num_threads()
        )
        return y


_bound: dict[str, Kernels] = {}


def kernels(variant: str) -> Kernels | None:
    """The bound kernels of `variant`, or None when they cannot run here (see native_build.load)."""
    if variant not in _bound:
        native = native_build.load(variant)
        if native.lib is None:
            return None
        _bound[variant] = Kernels(native)
    return _bound[variant]
