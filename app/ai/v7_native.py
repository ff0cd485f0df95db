"""RWKV-7 through the native CPU kernels (app/ai/native/rwkv_cpu.c), a fast path of the reference forward in
app/ai/v7.py: `NativeRWKV7` decodes one token per C call and runs the prefill's recurrence in C; the rest of
the prefill is the reference's. The tests compare both with the reference and with the rwkv package.

`NativeV7(model, kern)` hands the kernels pointers to the model's own tensors (nothing is copied) in named
structs, `V7Layer` per layer and `V7Model`, mirrored here field by field. At bind time the library reports
its own field names and offsets (`rwkv7_layout`) and they are compared with these by name, so a field added
or moved on one side only fails loudly, naming the field. The tensors stay owned by the model, which holds
this binding, so the pointers live as long as the model.
"""

from __future__ import annotations

import ctypes
import threading

import torch

from app.ai.native_ops import KIND_F16, KIND_F32, KIND_I8, KIND_Q4, KIND_Q8, Kernels
from app.ai.quant import Half16Linear, Int4Linear, Int8Linear, Int8Rows, Linear, Projection
from app.ai.state import State
from app.ai.v7 import DECAY, RWKV7

Tensor = torch.Tensor
_P = ctypes.c_void_p
EMB_F32, EMB_BF16, EMB_I8 = 0, 1, 2  # rwkv_cpu.c's embedding kinds


class _Mat(ctypes.Structure):
    _fields_ = [("w", _P), ("s", _P)]


class V7Layer(ctypes.Structure):
    _fields_ = [
        *((n, _P) for n in ("ln1_w", "ln1_b", "ln2_w", "ln2_b", "maa", "lora_down", "lora_up")),
        *((n, _P) for n in ("lora_down_s", "lora_up_s", "lora_bias")),
        *((n, _P) for n in ("k_k", "k_a", "r_k", "lnx_w", "lnx_b", "ffn_maa")),
        *((n, _Mat) for n in ("r", "k", "v", "o", "ffn_k", "ffn_v")),
    ]


class V7Model(ctypes.Structure):
    _fields_ = [
        *(
            (n, ctypes.c_int32)
            for n in ("L", "C", "H", "N", "V", "F", "nb", "ng", "db", "wkind", "head_kind", "group")
        ),
        ("emb_kind", ctypes.c_int32),
        ("lora_kind", ctypes.c_int32),
        ("emb", _P),
        ("emb_s", _P),
        ("ln_out_w", _P),
        ("ln_out_b", _P),
        ("head", _Mat),
        ("layers", _P),
    ]


_LORA_KINDS = {torch.float32: KIND_F32, torch.float16: KIND_F16, torch.int8: KIND_I8}


def layout(struct: type[ctypes.Structure], prefix: str = "", base: int = 0) -> list[str]:
    """ "Struct.field@offset" for every leaf field, as rwkv7_layout writes them."""
    out = []
    for name, ctype in struct._fields_:
        off = base + getattr(struct, name).offset
        if isinstance(ctype, type) and issubclass(ctype, ctypes.Structure):
            out += layout(ctype, f"{prefix}{name}.", off)
        else:
            out.append(f"{prefix}{name}@{off}")
    return out


def expected_layout() -> str:
    parts = [f"V7Layer.{f}" for f in layout(V7Layer)] + [f"V7Model.{f}" for f in layout(V7Model)]
    return ",".join(parts) + f",sizes@{ctypes.sizeof(V7Layer)}/{ctypes.sizeof(V7Model)}"


def check_layout(lib: ctypes.CDLL) -> None:
    """ValueError naming the first field whose offset differs between the library and this module."""
    buf = ctypes.create_string_buffer(8192)
    lib.rwkv7_layout.restype = ctypes.c_int
    lib.rwkv7_layout.argtypes = [ctypes.c_char_p, ctypes.c_int]
    lib.rwkv7_layout(buf, len(buf))
    theirs, ours = buf.value.decode().split(","), expected_layout().split(",")
    if theirs != ours:
        bad = next((f"{a} vs {b}" for a, b in zip(theirs, ours, strict=False) if a != b), "field count")
        raise ValueError(f"the native kernels' structs differ from the binding's: {bad} (library vs Python)")


def _ptr(t: Tensor | None) -> int:
    if t is None:
        return 0
    if not t.is_contiguous() or t.device.type != "cpu":
        raise ValueError("native kernel needs contiguous CPU tensors")
    return t.data_ptr()


def _mat(p: Projection) -> tuple[int, _Mat]:
    """(layout kind, weight/scale pointers) of a projection."""
    if isinstance(p, Linear) and p.weight.dtype == torch.float32 and not p.parts:
        return KIND_F32, _Mat(_ptr(p.weight), 0)
    if isinstance(p, Half16Linear):
        return KIND_F16, _Mat(_ptr(p.weight), 0)
    if isinstance(p, Int8Linear) and p.biased and p.scale_f32 is not None:
        return KIND_Q8, _Mat(_ptr(p.q), _ptr(p.scale_f32))
    if isinstance(p, Int4Linear):
        return KIND_Q4, _Mat(_ptr(p.packed), _ptr(p.scale))
    raise ValueError(f"projection {type(p).__name__} is not in the native layout")


class NativeV7:
    """The bound kernels for one loaded model: `decode(token, state) -> logits [V]` updates `state`."""

    def __init__(self, model: RWKV7, kern: Kernels) -> None:
        lib = kern.lib
        check_layout(lib)
        ly0 = model.layers[0]
        lora0 = ly0.lora
        shape0 = (lora0.nb, lora0.ng, lora0.down.shape[1], lora0.down.dtype, lora0.up.dtype)
        kinds: set[int] = set()
        groups: set[int] = set()
        self._layers = (V7Layer * len(model.layers))()
        for i, ly in enumerate(model.layers):
            lora = ly.lora
            if (lora.nb, lora.ng, lora.down.shape[1], lora.down.dtype, lora.up.dtype) != shape0:
                raise ValueError("layers with different low-rank maps")
            s = self._layers[i]
            s.ln1_w, s.ln1_b = _ptr(ly.ln1[0]), _ptr(ly.ln1[1])
            s.ln2_w, s.ln2_b = _ptr(ly.ln2[0]), _ptr(ly.ln2[1])
            s.maa, s.lora_down, s.lora_up, s.lora_bias = map(_ptr, (ly.maa, lora.down, lora.up, lora.bias))
            s.lora_down_s, s.lora_up_s = _ptr(lora.down_s), _ptr(lora.up_s)
            s.k_k, s.k_a, s.r_k, s.ffn_maa = map(_ptr, (ly.k_k, ly.k_a, ly.r_k, ly.ffn_maa))
            s.lnx_w, s.lnx_b = _ptr(ly.ln_x[0]), _ptr(ly.ln_x[1])
            for name in ("r", "k", "v", "o", "ffn_k", "ffn_v"):
                proj = getattr(ly, name)
                kind, mat = _mat(proj)
                kinds.add(kind)
                if isinstance(proj, Int4Linear):
                    groups.add(proj.group)
                setattr(s, name, mat)
        if len(kinds) != 1 or len(groups) > 1:
            raise ValueError("the native decode needs one weight layout (and one int4 group) in every layer")
        if any(t.dtype != torch.float32 for t in (ly0.maa, lora0.bias, ly0.k_k, *model.ln_out)):
            raise ValueError("native kernel needs fp32 vectors")
        lora_kind = _LORA_KINDS.get(lora0.down.dtype)
        if lora_kind is None or (lora_kind == KIND_I8) != (lora0.down_s is not None):
            raise ValueError("native kernel needs fp32, fp16 or int8 (with row scales) low-rank maps")
        head_kind, head = _mat(model.head)
        if isinstance(model.head, Int4Linear):
            groups.add(model.head.group)
        emb = model.emb
        if isinstance(emb, Int8Rows):
            emb_kind, emb_ptr, emb_s = EMB_I8, _ptr(emb.q), _ptr(emb.scale)
        elif emb.dtype in (torch.float32, torch.bfloat16):
            emb_kind = EMB_BF16 if emb.dtype == torch.bfloat16 else EMB_F32
            emb_ptr, emb_s = _ptr(emb), 0
        else:
            raise ValueError("embedding must be fp32, bf16 or int8 rows")
        self._m = V7Model(
            L=model.info.n_layer,
            C=model.C,
            H=model.H,
            N=model.N,
            V=model.vocab_size,
            F=model.info.ffn_dim,
            nb=lora0.nb,
            ng=lora0.ng,
            db=lora0.down.shape[1],
            wkind=kinds.pop(),
            head_kind=head_kind,
            group=groups.pop() if groups else 0,
            emb_kind=emb_kind,
            lora_kind=lora_kind,
            emb=emb_ptr,
            emb_s=emb_s,
            ln_out_w=_ptr(model.ln_out[0]),
            ln_out_b=_ptr(model.ln_out[1]),
            head=head,
            layers=ctypes.cast(self._layers, ctypes.c_void_p),
        )
        self._fn = lib.rwkv7_decode
        self._fn.restype = None
        self._fn.argtypes = [ctypes.POINTER(V7Model), ctypes.c_int, _P, _P, _P, _P, _P, ctypes.c_int]
        lib.rwkv7_scratch_bytes.restype = ctypes.c_size_t
        lib.rwkv7_scratch_bytes.argtypes = [ctypes.POINTER(V7Model)]
        self._scratch = torch.empty(lib.rwkv7_scratch_bytes(ctypes.byref(self._m)), dtype=torch.uint8)
        self._mref = ctypes.byref(self._m)
        self.kern = kern
        self.vocab = model.vocab_size
        self._lock = threading.Lock()  # one scratch area: one token at a time per model

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


class NativeRWKV7(RWKV7):
    """RWKV7 with the plan's native kernels bound (weights laid out for them by the plan at load)."""

    def _loaded(self) -> None:
        if self.kern is None:
            raise ValueError("NativeRWKV7 needs a plan with native kernels")
        self.native: NativeV7 = NativeV7(self, self.kern)  # a failure is a bug, not a fallback

    def _forward_one(self, token: int, state: State) -> Tensor:
        return self.native.decode(token, state)

    def _wkv(self, S: Tensor, r: Tensor, w: Tensor, k: Tensor, v: Tensor, kk: Tensor, a: Tensor) -> Tensor:
        """The recurrence token by token in C (faster than the chunked form); as `RWKV7._wkv`."""
        T, H, N = r.shape[0], self.H, self.N
        w = w.float().mul_(-DECAY).exp_()
        inputs = [t.float().view(T, H, N) for t in (r, w, k, v, -kk, kk * a)]
        return self.native.kern.wkv7_seq(S, *inputs).view(T, -1)
