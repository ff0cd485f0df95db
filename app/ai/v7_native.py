"""RWKV-7 decode through the native CPU kernel (app/ai/native/rwkv_cpu.c): one C call per token.

`NativeV7.bind(model)` hands the kernel pointers to the model's own tensors (nothing is copied) and refuses,
with a reason, whatever the kernel cannot run; the engine then keeps its torch path. The tensors stay owned
by the model, which holds this binding, so the pointers live as long as the model.
"""

from __future__ import annotations

import ctypes
import threading
from typing import TYPE_CHECKING

import torch

from app.ai import native_build, native_ops
from app.ai.quant import Half16Linear, Int8Linear, Linear, Projection
from app.ai.state import State

if TYPE_CHECKING:
    from app.ai.v7 import RWKV7

Tensor = torch.Tensor
_NPTR = 26
_ABI = 2000 + _NPTR
_KINDS = {"fp32": 0, "bf16": 1, "int8": 2}
_P = ctypes.c_void_p


class _V7Model(ctypes.Structure):
    _fields_ = [
        *(
            (n, ctypes.c_int32)
            for n in ("L", "C", "H", "N", "V", "F", "nb", "ng", "db", "wkind", "emb_bf16", "lora_f16")
        ),
        ("emb", _P),
        ("ln_out_w", _P),
        ("ln_out_b", _P),
        ("head_w", _P),
        ("head_s", _P),
        ("layers", _P),
    ]


def _ptr(t: Tensor | None) -> int:
    if t is None:
        return 0
    if not t.is_contiguous() or t.device.type != "cpu":
        raise ValueError("native kernel needs contiguous CPU tensors")
    return t.data_ptr()


def _proj(p: Projection, kind: int) -> tuple[int, int]:
    """(weight pointer, scale pointer) of a projection in the kernel's layout for `kind`."""
    if kind == 0 and isinstance(p, Linear) and p.weight.dtype == torch.float32 and not p.parts:
        return _ptr(p.weight), 0
    if kind == 1 and isinstance(p, Half16Linear):
        return _ptr(p.weight), 0
    if kind == 2 and isinstance(p, Int8Linear) and p.biased and p.scale_f32 is not None:
        return _ptr(p.q), _ptr(p.scale_f32)
    raise ValueError(f"projection {type(p).__name__} is not in the native layout")


class NativeV7:
    """The bound kernel for one loaded model: `decode(token, state) -> logits [V]` updates `state`."""

    def __init__(self, model: RWKV7, lib: ctypes.CDLL) -> None:
        if lib.rwkv7_abi() != _ABI:
            raise ValueError("the native kernel was built for another layout")
        kind = _KINDS[model.wdtype]
        ly0 = model.layers[0]
        ptrs: list[int] = []
        for ly in model.layers:
            lora = ly.lora
            shape = (lora.nb, lora.ng, lora.down.shape[1], lora.down.dtype, lora.up.dtype)
            if shape != (
                ly0.lora.nb,
                ly0.lora.ng,
                ly0.lora.down.shape[1],
                ly0.lora.down.dtype,
                ly0.lora.up.dtype,
            ):
                raise ValueError("layers with different low-rank maps")
            mats = [_proj(p, kind) for p in (ly.r, ly.k, ly.v, ly.o, ly.ffn_k, ly.ffn_v)]
            ptrs += [_ptr(t) for t in (*ly.ln1, *ly.ln2, ly.maa, lora.down, lora.up, lora.bias)]
            ptrs += [_ptr(t) for t in (ly.k_k, ly.k_a, ly.r_k, *ly.ln_x, ly.ffn_maa)]
            ptrs += [p for pair in mats for p in pair]
        if len(ptrs) != _NPTR * len(model.layers):
            raise ValueError("layer pointer table has the wrong size")
        if any(t.dtype != torch.float32 for t in (ly0.maa, ly0.lora.bias, ly0.k_k, *model.ln_out)):
            raise ValueError("native kernel needs fp32 vectors")
        if ly0.lora.down.dtype not in (torch.float32, torch.float16):
            raise ValueError("native kernel needs fp32 or fp16 low-rank maps")
        head_w, head_s = _proj(model.head, kind)
        emb = model.emb
        if emb.dtype not in (torch.float32, torch.bfloat16):
            raise ValueError("embedding must be fp32 or bf16")
        self._table = (ctypes.c_void_p * len(ptrs))(*ptrs)
        self._m = _V7Model(
            model.info.n_layer,
            model.C,
            model.H,
            model.N,
            model.vocab_size,
            model.info.ffn_dim,
            ly0.lora.nb,
            ly0.lora.ng,
            ly0.lora.down.shape[1],
            kind,
            int(emb.dtype == torch.bfloat16),
            int(ly0.lora.down.dtype == torch.float16),
            _ptr(emb),
            _ptr(model.ln_out[0]),
            _ptr(model.ln_out[1]),
            head_w,
            head_s,
            ctypes.cast(self._table, ctypes.c_void_p),
        )
        self._fn = lib.rwkv7_decode
        self._fn.restype = None
        self._fn.argtypes = [ctypes.POINTER(_V7Model), ctypes.c_int, _P, _P, _P, _P, _P, ctypes.c_int]
        lib.rwkv7_scratch_bytes.restype = ctypes.c_size_t
        lib.rwkv7_scratch_bytes.argtypes = [ctypes.POINTER(_V7Model)]
        self._scratch = torch.empty(lib.rwkv7_scratch_bytes(ctypes.byref(self._m)), dtype=torch.uint8)
        self._mref = ctypes.byref(self._m)
        self._wkv = lib.rwkv7_wkv_seq
        self._wkv.restype = None
        self._wkv.argtypes = [ctypes.c_int] * 3 + [_P] * 8 + [ctypes.c_int]
        self.vocab = model.vocab_size
        self._lock = threading.Lock()  # one scratch area: one token at a time per model

    @classmethod
    def bind(cls, model: RWKV7) -> NativeV7:
        native = native_build.load(native_ops.LIBRARY)
        if native.lib is None:
            raise ValueError(native.reason)
        return cls(model, native.lib)

    def decode(self, token: int, state: State) -> Tensor:
        ax, fx, wkv = state.att_x, state.ffn_x, state.wkv
        for t in (ax, fx, wkv):
            if t.dtype != torch.float32 or not t.is_contiguous() or t.device.type != "cpu":
                raise ValueError("state is not in the native layout")
        logits = torch.empty(self.vocab, dtype=torch.float32)
        with self._lock:
            self._fn(
                self._mref,
                token,
                ax.data_ptr(),
                fx.data_ptr(),
                wkv.data_ptr(),
                logits.data_ptr(),
                self._scratch.data_ptr(),
                torch.get_num_threads(),
            )
        return logits

    def wkv_seq(self, S: Tensor, r: Tensor, w: Tensor, k: Tensor, v: Tensor, a: Tensor, b: Tensor) -> Tensor:
        """The WKV recurrence over a sequence, as `wkv7_loop` (w: decay multipliers): S [H,N,N] fp32 updated in
        place, inputs [T,H,N] fp32; returns y [T,H,N]."""
        T, H, N = r.shape
        ins = [t.contiguous() for t in (r, w, k, v, a, b)]
        if not S.is_contiguous() or any(t.dtype != torch.float32 for t in (S, *ins)):
            raise ValueError("wkv_seq needs contiguous fp32 tensors")
        y = torch.empty(T, H, N, dtype=torch.float32)
        self._wkv(T, H, N, *(t.data_ptr() for t in ins), S.data_ptr(), y.data_ptr(), torch.get_num_threads())
        return y
