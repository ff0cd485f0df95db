"""The Model protocol, the shared engine base (state handling, chunked prefill) and `load_model`."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from functools import partial
from pathlib import Path
from typing import Protocol

import torch

from app.ai import native_ops
from app.ai.checkpoint import CheckpointInfo, describe, load_time_state, load_weights
from app.ai.ops_mix import ChannelMix
from app.ai.quant import Projection, make_linear
from app.ai.state import State
from app.errors import ModelLoadError

log = logging.getLogger(__name__)

Tensor = torch.Tensor
Progress = Callable[[float], None]
RESCALE_EVERY = 6
CHUNK_LEN = 512  # prefill chunk: bounds activation memory (512: larger GEMMs run 8-13 % faster than 256)
_DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


class Model(Protocol):
    info: CheckpointInfo
    device: str
    dtype: str
    vocab_size: int

    def new_state(self) -> State: ...

    def forward(
        self, tokens: Sequence[int], state: State | None = None, *, inplace: bool = False
    ) -> tuple[Tensor, State]: ...


class RWKVModel:
    """Shared engine: owns the initial state and chunking; a generation subclass supplies the math.

    Subclasses implement `_zero_state() -> dict[str, Tensor]`, `_forward_one(token, state) -> logits [V]` and
    `_forward_seq(tokens, state) -> logits [V]` (last token), both updating `state` in place.
    """

    def __init__(self, info: CheckpointInfo, device: torch.device, dtype: str) -> None:
        self.info = info
        self.device = str(device)
        self.dtype = dtype
        self.vocab_size = info.vocab_size
        self.torch_device = device
        self.wdtype = dtype  # weight storage: fp32 / fp16 / bf16 / int8
        # Activations: fp32 on CPU (bf16/int8 only change how weights are stored); the weight dtype on CUDA.
        if device.type == "cpu":
            self.act = torch.float32
        else:
            self.act = torch.float16 if dtype in ("fp16", "int8") else _DTYPES[dtype]
        self.chunk_len = CHUNK_LEN
        self._initial: State | None = None
        # fp16 activations overflow in RWKV-4/5/6 residual streams (as in the rwkv package): halve x after
        # every RESCALE_EVERY layers and pre-divide those layers' output/value weights; LayerNorm hides it.
        self.rescale_every = self._rescale_policy()
        # Native CPU kernels (app/ai/native): decided before any weight loads, since they set the layout.
        self.native_reason = self._native_reason()
        self.native_layout = not self.native_reason

    def _native_reason(self) -> str:
        """Why the native CPU kernels cannot run this model ("" when they can)."""
        info = self.info
        if self.torch_device.type != "cpu" or self.act != torch.float32:
            return "the native kernels run on the CPU only"
        if self.wdtype not in ("fp32", "bf16", "int8"):
            return f"no native kernel for {self.wdtype} weights"
        if info.n_embd % 64 or info.ffn_dim % 64 or info.head_size % 16 or info.head_size > 256:
            return "the native kernels need widths in multiples of 64 and heads of 16 to 256"
        if not native_ops.available():
            return native_ops.reason()
        return ""

    def _rescale_policy(self) -> int:
        return RESCALE_EVERY if self.act == torch.float16 and self.info.version != "7" else 0

    # -- weight conversion helpers (each pops the raw tensor so peak memory stays near one copy) -----------
    def _vec(self, weights: MutableMapping[str, Tensor], key: str) -> Tensor:
        """A small tensor, squeezed, in the activation dtype (a copy: nothing keeps the file mapped)."""
        return weights.pop(key).to(device=self.torch_device, dtype=self.act).squeeze().clone()

    def _lin(
        self, weights: MutableMapping[str, Tensor], key: str, *, scaled: bool = False, layer: int = -1
    ) -> Projection:
        """A [out,in] projection in the run's weight dtype (`scaled`: its input may exceed the fp16 range;
        `layer`: an output/value projection of that layer, pre-divided when fp16 rescaling is on)."""
        w = weights.pop(key)
        if layer >= 0 and self.rescale_every:
            w = w.float() / 2 ** (layer // self.rescale_every)
        return make_linear(
            w,
            wdtype=self.wdtype,
            act_dtype=self.act,
            device=self.torch_device,
            scaled=scaled,
            native=self.native_layout,
        )

    def _rescaled(self, x: Tensor, layer: int) -> Tensor:
        """x / 2 after every `rescale_every`-th layer (fp16 only)."""
        if self.rescale_every and (layer + 1) % self.rescale_every == 0:
            return x / 2
        return x

    def _f32(self, weights: MutableMapping[str, Tensor], key: str) -> Tensor:
        """A per-channel tensor kept in fp32 whatever the run's dtype (decays, bonuses), flattened."""
        return weights.pop(key).to(device=self.torch_device, dtype=torch.float32).reshape(-1).clone()

    def _channel_mix(self, weights: MutableMapping[str, Tensor], i: int, *, mix: str) -> ChannelMix:
        """Layer i's RWKV-4/5/6 channel mix. `mix` "time_mix" stores 1 − the lerp weight (v4, v5.2);
        "time_maa" stores it as used (v6)."""
        vec, lin = partial(self._vec, weights), partial(self._lin, weights)
        b, f = f"blocks.{i}.", f"blocks.{i}.ffn."

        def lerp(name: str) -> Tensor:
            value = vec(f + f"{mix}_{name}")
            return 1.0 - value if mix == "time_mix" else value

        return ChannelMix(
            ln=(vec(b + "ln2.weight"), vec(b + "ln2.bias")),
            maa_k=lerp("k"),
            maa_r=lerp("r"),
            key=lin(f + "key.weight"),
            receptance=lin(f + "receptance.weight"),
            value=lin(f + "value.weight", scaled=True, layer=i),
        )

    def _load_output(
        self, weights: MutableMapping[str, Tensor], progress: Callable[[float], None] | None
    ) -> None:
        """The last LayerNorm and the head: what every generation loads after its blocks."""
        self.ln_out = (self._vec(weights, "ln_out.weight"), self._vec(weights, "ln_out.bias"))
        self.head = self._lin(weights, "head.weight")
        if progress is not None:
            progress(1.0)

    def _embedding(self, weights: MutableMapping[str, Tensor]) -> Tensor:
        """emb [V,C] with blocks.0.ln0 folded in (computed in fp32); bf16 storage unless running fp32 on CPU."""
        ln_w = weights.pop("blocks.0.ln0.weight").to(self.torch_device, torch.float32)
        ln_b = weights.pop("blocks.0.ln0.bias").to(self.torch_device, torch.float32)
        emb = weights.pop("emb.weight").to(device=self.torch_device, dtype=torch.float32)
        emb = torch.nn.functional.layer_norm(emb, (emb.shape[1],), ln_w.squeeze(), ln_b.squeeze())
        keep = self.act if self.wdtype == "fp32" or self.torch_device.type != "cpu" else torch.bfloat16
        return emb.to(keep)

    # -- state -------------------------------------------------------------------------------------------
    def _zero_state(self) -> dict[str, Tensor]:
        """RWKV-5/6/7: per layer the last normed input of each mixer [C] and the WKV matrix [H,N,N] (fp32).
        RWKV-4 overrides this with its five vectors."""
        L, C, H, N = self.info.n_layer, self.info.n_embd, self.info.n_head, self.info.head_size
        z = dict(device=self.torch_device)
        return {
            "att_x": torch.zeros(L, C, dtype=self.act, **z),
            "wkv": torch.zeros(L, H, N, N, **z),
            "ffn_x": torch.zeros(L, C, dtype=self.act, **z),
        }

    def new_state(self) -> State:
        if self._initial is not None:
            return self._initial.copy()
        return State(self.info.version, self._zero_state())

    def set_initial_wkv(self, per_layer: Sequence[Tensor]) -> None:
        """Start every new sequence from these per-layer WKV states (tuned state file, in our layout)."""
        state = State(self.info.version, self._zero_state())
        for i, s in enumerate(per_layer):
            state.wkv[i].copy_(s)
        self._initial = state

    # -- forward -----------------------------------------------------------------------------------------
    def _forward_one(self, token: int, state: State) -> Tensor:
        raise NotImplementedError

    def _forward_seq(self, tokens: list[int], state: State) -> Tensor:
        raise NotImplementedError

    def forward(
        self, tokens: Sequence[int], state: State | None = None, *, inplace: bool = False
    ) -> tuple[Tensor, State]:
        """fp32 logits [V] after the last of `tokens`, and the state after it (a new one unless `inplace`)."""
        ids = [int(t) for t in tokens]
        if not ids:
            raise ValueError("forward() needs at least one token")
        if min(ids) < 0 or max(ids) >= self.vocab_size:
            raise ValueError(f"token id out of range 0..{self.vocab_size - 1}")
        if state is None:
            state = self.new_state()
        elif not inplace:
            state = state.copy()
        with torch.no_grad():  # not inference_mode: callers edit logits and states in place afterwards
            if len(ids) == 1:
                logits = self._forward_one(ids[0], state)
            else:
                for start in range(0, len(ids), self.chunk_len):
                    chunk = ids[start : start + self.chunk_len]
                    if len(chunk) == 1:
                        logits = self._forward_one(chunk[0], state)
                    else:
                        logits = self._forward_seq(chunk, state)
        return logits.float(), state

    def weight_bytes_per_token(self) -> int:
        """Bytes of weights one decode step reads (all projections and the head; one embedding row)."""
        raise NotImplementedError


def _resolve(device: str, dtype: str) -> tuple[torch.device, str]:
    if device not in ("auto", "cpu", "cuda") and not device.startswith("cuda:"):
        raise ModelLoadError(f"unknown device {device!r}", hint="Use auto, cpu or cuda.")
    if dtype not in ("auto", "fp32", "fp16", "bf16", "int8"):
        raise ModelLoadError(f"unknown dtype {dtype!r}", hint="Use auto, fp32, fp16, bf16 or int8.")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelLoadError(
            "CUDA was requested but no CUDA GPU is available to torch",
            hint="Choose the CPU device, or install a CUDA build of torch.",
        )
    if dtype == "auto":
        dtype = "fp16" if device.startswith("cuda") else "fp32"
    if device == "cpu" and dtype == "fp16":
        raise ModelLoadError("fp16 is not supported on the CPU", hint="Use fp32, bf16 or int8 on the CPU.")
    return torch.device(device), dtype


def _check_memory(info: CheckpointInfo, device: torch.device, dtype: str) -> None:
    need = info.memory_needed(dtype)
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        if need > free:
            raise ModelLoadError(
                f"the model needs {need / 2**30:.1f} GiB of GPU memory, {free / 2**30:.1f} GiB free",
                hint="Use int8, a smaller model, or the CPU.",
            )
        return
    try:
        avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return
    if need > avail * 1.5:  # page cache counts as used; refuse only what cannot fit
        raise ModelLoadError(
            f"the model needs {need / 2**30:.1f} GiB of memory, about {avail / 2**30:.1f} GiB free",
            hint="Use bf16 or int8, or a smaller model.",
        )


def _engine_class(version: str) -> type[RWKVModel]:
    if version == "7":
        from app.ai.v7 import RWKV7

        return RWKV7
    if version == "6":
        from app.ai.v6 import RWKV6

        return RWKV6
    if version == "5.2":
        from app.ai.v5 import RWKV5

        return RWKV5
    from app.ai.v4 import RWKV4

    return RWKV4


def build_model(
    weights: Mapping[str, Tensor],
    info: CheckpointInfo,
    *,
    device: str = "cpu",
    dtype: str = "fp32",
    progress: Progress | None = None,
) -> RWKVModel:
    """An engine from an already loaded state dict (tensors are consumed layer by layer)."""
    dev, dt = _resolve(device, dtype)
    return _engine_class(info.version)(dict(weights), info, dev, dt, progress)


def load_model(
    path: Path | str,
    *,
    device: str = "auto",
    dtype: str = "auto",
    threads: int = 0,
    state_file: Path | None = None,
    progress: Progress | None = None,
) -> RWKVModel:
    """Load an RWKV checkpoint for inference. dtype: auto|fp32|fp16|bf16|int8; device: auto|cpu|cuda."""
    path = Path(path)
    dev, dt = _resolve(device, dtype)
    if dev.type == "cpu" and threads > 0:
        torch.set_num_threads(threads)
    weights = load_weights(path)
    info = describe(weights, path)
    _check_memory(info, dev, dt)
    embedded = (
        [weights.pop(f"blocks.{i}.att.time_state") for i in range(info.n_layer)]
        if info.has_time_state
        else []
    )
    log.info(
        "loading RWKV-%s L%d C%d V%d (%s file) on %s as %s",
        info.version,
        info.n_layer,
        info.n_embd,
        info.vocab_size,
        info.file_dtype,
        dev,
        dt,
    )
    try:
        model = _engine_class(info.version)(weights, info, dev, dt, progress)
    except torch.cuda.OutOfMemoryError as exc:
        raise ModelLoadError(
            "out of GPU memory while loading the model", hint="Use int8 or the CPU."
        ) from exc
    del weights
    if state_file is not None:
        model.set_initial_wkv(_layout_time_state(load_time_state(state_file, info), info, dev))
    elif embedded:
        model.set_initial_wkv(_layout_time_state(embedded, info, dev))
    return model


def _layout_time_state(per_layer: list[Tensor], info: CheckpointInfo, device: torch.device) -> list[Tensor]:
    """Tuned states are stored [value,key]: v7 uses that layout as-is, v5/v6 keep S[key,value] (transpose)."""
    if info.version == "7":
        return [s.float().to(device) for s in per_layer]
    return [s.float().transpose(1, 2).contiguous().to(device) for s in per_layer]
