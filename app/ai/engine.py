"""The Model protocol and the shared engine base of every RWKV generation (state handling, chunked prefill,
weight layout by the plan); app/ai/model.py picks the generation and loads the file."""

from __future__ import annotations

import logging
from collections.abc import Callable, MutableMapping, Sequence
from functools import partial
from typing import Generic, Protocol, TypeVar

import torch

from app.ai.checkpoint import CheckpointInfo
from app.ai.lean import give_back
from app.ai.ops_mix import ChannelMix
from app.ai.plan import Plan
from app.ai.quant import Int8Rows, Projection, make_linear
from app.ai.state import State

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


LayerT = TypeVar("LayerT")


class RWKVModel(Generic[LayerT]):
    """Shared engine: loads the weights layer by layer, owns the initial state and chunking; a generation
    subclass supplies the math.

    Subclasses implement `_load_layer(weights, i) -> layer`, `_forward_one(token, state) -> logits [V]` and
    `_forward_seq(tokens, state) -> logits [V]` (last token), both updating `state` in place, and may override
    `_zero_state() -> dict[str, Tensor]`.
    """

    def __init__(
        self,
        weights: MutableMapping[str, Tensor],
        info: CheckpointInfo,
        plan: Plan,
        progress: Progress | None = None,
    ) -> None:
        self._setup(info, plan)
        self.C, self.H, self.N = info.n_embd, info.n_head, info.head_size
        self.emb = self._embedding(weights)  # [V,C]
        self.layers: list[LayerT] = []
        for i in range(info.n_layer):
            self.layers.append(self._load_layer(weights, i))
            if progress is not None:
                progress((i + 1) / (info.n_layer + 1))
        self._load_output(weights, progress)
        self._loaded()

    def _loaded(self) -> None:
        """Called once every weight is in place (a fast path binds its kernels to them here)."""

    def _load_layer(self, weights: MutableMapping[str, Tensor], i: int) -> LayerT:
        """Layer i's weights, converted for the plan (each raw tensor popped from `weights`)."""
        raise NotImplementedError

    def _setup(self, info: CheckpointInfo, plan: Plan) -> None:
        self.info = info
        self.plan = plan
        device = plan.torch_device
        self.device = str(device)
        self.dtype = plan.dtype
        self.vocab_size = info.vocab_size
        self.torch_device = device
        self.wdtype = plan.dtype  # weight storage: fp32 / fp16 / bf16 / int8 / int4
        # Activations: fp32 on CPU (bf16/int8/int4 only change how weights are stored); the weight dtype on CUDA.
        if device.type == "cpu":
            self.act = torch.float32
        else:
            self.act = torch.float16 if plan.dtype in ("fp16", "int8", "int4") else _DTYPES[plan.dtype]
        self.chunk_len = CHUNK_LEN
        self._initial: State | None = None
        # fp16 activations overflow in RWKV-4/5/6 residual streams (as in the rwkv package): halve x after
        # every RESCALE_EVERY layers and pre-divide those layers' output/value weights; LayerNorm hides it.
        self.rescale_every = self._rescale_policy()
        # the plan's native CPU kernels (None: torch ops): they set the weights' layout
        self.kern = plan.kern
        self.native_layout = self.kern is not None
        self.native_reason = (
            ""
            if self.kern is not None
            else next((w for w in plan.why if w.startswith("kernels:")), "not on the CPU")
        )

    def _rescale_policy(self) -> int:
        return RESCALE_EVERY if self.act == torch.float16 and self.info.version != "7" else 0

    # -- weight conversion helpers (each pops the raw tensor so peak memory stays near one copy) -----------
    def _vec(self, weights: MutableMapping[str, Tensor], key: str) -> Tensor:
        """A small tensor, squeezed, in the activation dtype (a copy: nothing keeps the file mapped)."""
        return weights.pop(key).to(device=self.torch_device, dtype=self.act).squeeze().clone()

    def _lin(
        self,
        weights: MutableMapping[str, Tensor],
        key: str,
        *,
        scaled: bool = False,
        layer: int = -1,
        wdtype: str = "",
    ) -> Projection:
        """A [out,in] projection in the run's weight dtype, or `wdtype` (`scaled`: its input may exceed the fp16
        range; `layer`: an output/value projection of that layer, pre-divided when fp16 rescaling is on)."""
        w = weights.pop(key)
        if layer >= 0 and self.rescale_every:
            w = w.float() / 2 ** (layer // self.rescale_every)
        return make_linear(
            w,
            wdtype=wdtype or self.wdtype,
            act_dtype=self.act,
            device=self.torch_device,
            scaled=scaled,
            kern=self.kern,
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
        # int4 quantises the head too (tests/ai/test_int4.py bounds the logits' error against fp32)
        self.head = self._lin(weights, "head.weight")
        if progress is not None:
            progress(1.0)

    def _embedding(self, weights: MutableMapping[str, Tensor]) -> Tensor | Int8Rows:
        """emb [V,C] with blocks.0.ln0 folded in (computed in fp32, 8192 rows at a time so no full fp32 copy is
        made); int8 rows with an fp32 scale each for the int4 plan (a decode step reads one row), else bf16
        storage unless running fp32 on CPU."""
        ln_w = weights.pop("blocks.0.ln0.weight").to(self.torch_device, torch.float32).squeeze()
        ln_b = weights.pop("blocks.0.ln0.bias").to(self.torch_device, torch.float32).squeeze()
        src = weights.pop("emb.weight")
        keep = self.act if self.wdtype == "fp32" or self.torch_device.type != "cpu" else torch.bfloat16
        emb: Tensor | Int8Rows
        if self.wdtype == "int4":
            emb = Int8Rows(src.shape[0], src.shape[1], self.act, self.torch_device)
        else:
            emb = torch.empty(src.shape, dtype=keep, device=self.torch_device)
        for i in range(0, src.shape[0], 8192):
            rows = src[i : i + 8192].to(device=self.torch_device, dtype=torch.float32)
            rows = torch.nn.functional.layer_norm(rows, (src.shape[1],), ln_w, ln_b)
            if isinstance(emb, Int8Rows):
                emb.set_rows(i, rows)
            else:
                emb[i : i + 8192] = rows
            give_back(src[i : i + 8192])  # the file's pages of these rows (a no-op unless memory-mapped)
        return emb

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

    def resident_weight_bytes(self) -> int:
        """Bytes of weights held: what a decode step reads with the whole embedding in place of one row (the
        per-channel vectors, a few C floats per layer, aside)."""
        return self.weight_bytes_per_token() - self.C * self.emb.element_size() + self.emb.nbytes
