"""Torch-facing wrappers of the native CPU kernels (app/ai/native/rwkv_cpu.c) that every generation can use:
matrix-vector products in the three weight layouts, and the RWKV-4 and RWKV-5.2/6 WKV recurrences.

`available()` says whether the kernel library loaded (see native_build); callers keep their torch path
otherwise. Inputs must be contiguous fp32 CPU tensors; the wrappers allocate the outputs.
"""

from __future__ import annotations

import ctypes

import torch

from app.ai import native_build

Tensor = torch.Tensor
KIND_F32, KIND_F16, KIND_Q8 = 0, 1, 2
LIBRARY = "rwkv_cpu"
_P, _I = ctypes.c_void_p, ctypes.c_int


_bound: list[ctypes.CDLL] = []


def _lib() -> ctypes.CDLL | None:
    if _bound:
        return _bound[0]
    lib = native_build.load(LIBRARY).lib
    if lib is None:
        return None
    for name, args in (
        ("rwkv_matvec", [_I, _P, _P, _P, _P, _I, _I, _I]),
        ("rwkv6_wkv_seq", [_I, _I, _I, _P, _P, _P, _P, _P, _P, _I]),
        ("rwkv4_wkv_seq", [_I, _I, _P, _P, _P, _P, _P, _P, _P, _P, _I]),
    ):
        fn = getattr(lib, name)
        fn.restype = None
        fn.argtypes = args
    _bound.append(lib)
    return lib


def available() -> bool:
    """True when the kernels can run here (and HEARTH_NATIVE is not 0)."""
    return native_build.enabled() and _lib() is not None


def reason() -> str:
    return native_build.load(LIBRARY).reason


def _ptr(t: Tensor) -> int:
    return t.data_ptr()


def _f32(t: Tensor) -> Tensor:
    t = t.contiguous()
    if t.dtype != torch.float32 or t.device.type != "cpu":
        raise ValueError("native kernels take fp32 CPU tensors")
    return t


def matvec(kind: int, weight: Tensor, scale: Tensor | None, x: Tensor) -> Tensor:
    """y = W·x [rows] for W [rows,in] fp32 / fp16 / biased int8 (with fp32 row `scale`), x [in] fp32."""
    lib = _lib()
    assert lib is not None
    rows, n_in = weight.shape
    x = _f32(x)
    y = torch.empty(rows, dtype=torch.float32)
    s = _ptr(scale) if scale is not None else 0
    lib.rwkv_matvec(kind, _ptr(weight), s, _ptr(x), _ptr(y), rows, n_in, torch.get_num_threads())
    return y


def wkv6_seq(S: Tensor, r: Tensor, w: Tensor, k: Tensor, v: Tensor, H: int, N: int) -> Tensor:
    """RWKV-5.2/6: y_t = r_t·S ; S ← diag(w_t)·S + k_t v_tᵀ  (S [H,key,value] fp32 in place; inputs [T,C])."""
    lib = _lib()
    assert lib is not None and S.is_contiguous()
    r, w, k, v = map(_f32, (r, w, k, v))
    T = r.shape[0]
    y = torch.empty(T, H * N, dtype=torch.float32)
    lib.rwkv6_wkv_seq(T, H, N, *map(_ptr, (r, w, k, v, S, y)), torch.get_num_threads())
    return y


def wkv4_seq(aa: Tensor, bb: Tensor, pp: Tensor, w: Tensor, u: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """RWKV-4's stable WKV over [T,C] k, v; aa/bb/pp [C] fp32 updated in place; returns wkv [T,C]."""
    lib = _lib()
    assert lib is not None and all(t.is_contiguous() for t in (aa, bb, pp))
    w, u, k, v = map(_f32, (w, u, k, v))
    T, C = k.shape
    out = torch.empty(T, C, dtype=torch.float32)
    lib.rwkv4_wkv_seq(T, C, *map(_ptr, (w, u, k, v, aa, bb, pp, out)), torch.get_num_threads())
    return out
