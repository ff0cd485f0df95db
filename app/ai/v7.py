"""RWKV-7 "Goose" inference: weights converted once, one-token decode and batched sequence prefill.

Shapes: C = n_embd, H heads of N, T tokens. State per layer: att_x [C], wkv S[h,value,key] [H,N,N] fp32, ffn_x [C].
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from functools import partial

import torch
import torch.nn.functional as F

from app.ai.checkpoint import CheckpointInfo
from app.ai.engine import RWKVModel
from app.ai.ops_lora import LoRAStack
from app.ai.ops_wkv7 import wkv7_chunked, wkv7_step
from app.ai.plan import Plan
from app.ai.quant import Projection
from app.ai.state import State
from app.ai.v7_native import NativeV7

log = logging.getLogger(__name__)
Tensor = torch.Tensor
_DECAY = 0.606531  # exp(-0.5), as in the reference implementation


@dataclass
class _Layer:
    ln1: tuple[Tensor, Tensor]
    ln2: tuple[Tensor, Tensor]
    maa: Tensor  # [nb+2,1,C] token-shift mixes, rows g×ng, w, a, v (the LoRA inputs), r, k
    lora: LoRAStack  # w, a, v-gate, g (layer 0 has no v map: v_first is taken there)
    k_k: Tensor
    k_a: Tensor
    k_a1: Tensor  # 1 − k_a
    r_k: Tensor  # [C] (H heads of N)
    r: Projection
    k: Projection
    v: Projection
    o: Projection
    ln_x: tuple[Tensor, Tensor]  # fp32: the group norm runs on the fp32 WKV output
    ffn_maa: Tensor  # [C]
    ffn_k: Projection  # [F,C]
    ffn_v: Projection  # [C,F]


class RWKV7(RWKVModel):
    def __init__(
        self,
        weights: MutableMapping[str, Tensor],
        info: CheckpointInfo,
        plan: Plan,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        super().__init__(info, plan)
        self.C, self.H, self.N = info.n_embd, info.n_head, info.head_size
        self.native: NativeV7 | None = None
        vec, lin = partial(self._vec, weights), partial(self._lin, weights)
        self.emb = self._embedding(weights)  # [V,C]
        self.layers: list[_Layer] = []
        # with 16-bit or 8/4-bit weights the native decode reads the low-rank maps in fp16 too (9-17 % of its bytes)
        half_lora = self.native_layout and self.wdtype in ("bf16", "int8", "int4")
        for i in range(info.n_layer):
            b, a, f = f"blocks.{i}.", f"blocks.{i}.att.", f"blocks.{i}.ffn."
            has_v = i > 0
            lora = LoRAStack(
                w=(vec(a + "w1"), vec(a + "w2")),
                a=(vec(a + "a1"), vec(a + "a2")),
                v=(vec(a + "v1"), vec(a + "v2")) if has_v else None,
                g=(vec(a + "g1"), vec(a + "g2")),
                bias=(vec(a + "w0"), vec(a + "a0"), vec(a + "v0") if has_v else None),
                half=half_lora,
            )
            mixes = {n: vec(a + f"x_{n}") for n in "rwkvag"}
            k_a = vec(a + "k_a")
            maa = torch.stack([mixes[n] for n in "g" * lora.ng + "wavrk"]).unsqueeze(1)
            layer = _Layer(
                ln1=(vec(b + "ln1.weight"), vec(b + "ln1.bias")),
                ln2=(vec(b + "ln2.weight"), vec(b + "ln2.bias")),
                maa=maa,
                lora=lora,
                k_k=vec(a + "k_k"),
                k_a=k_a,
                k_a1=1 - k_a,
                r_k=vec(a + "r_k").reshape(self.C),
                r=lin(a + "receptance.weight"),
                k=lin(a + "key.weight"),
                v=lin(a + "value.weight"),
                o=lin(a + "output.weight", scaled=True),
                ln_x=(self._f32(weights, a + "ln_x.weight"), self._f32(weights, a + "ln_x.bias")),
                ffn_maa=vec(f + "x_k"),
                ffn_k=lin(f + "key.weight"),
                ffn_v=lin(f + "value.weight", scaled=True),
            )
            for unused in ("v0", "v1", "v2"):  # layer 0 has them too, unused
                weights.pop(a + unused, None)
            self.layers.append(layer)
            if progress is not None:
                progress((i + 1) / (info.n_layer + 1))
        self._load_output(weights, progress)
        if (
            self.kern is not None
        ):  # the plan chose native kernels: bind them (a failure is a bug, not a fallback)
            self.native = NativeV7(self, self.kern)

    def weight_bytes_per_token(self) -> int:
        total = self.head.nbytes + self.C * self.emb.element_size()
        for ly in self.layers:
            total += sum(m.nbytes for m in (ly.r, ly.k, ly.v, ly.o, ly.ffn_k, ly.ffn_v)) + ly.lora.nbytes
        return total

    def _per_layer(self, state: State) -> Iterator[tuple[_Layer, Tensor, Tensor, Tensor]]:
        """Each layer with its state views att_x [C], S [H,N,N], ffn_x [C] (one unbind each, not L selects)."""
        views = (state.att_x.unbind(0), state.wkv.unbind(0), state.ffn_x.unbind(0))
        return zip(self.layers, *views, strict=True)

    # -- one token -----------------------------------------------------------------------------------------
    def _forward_one(self, token: int, state: State) -> Tensor:
        if self.native is not None:
            return self.native.decode(token, state)
        C, H, N = self.C, self.H, self.N
        x = self.emb[token].to(self.act)  # [C]
        v_first = x
        for i, (ly, att_x, S, ffn_x) in enumerate(self._per_layer(state)):
            xx = F.layer_norm(x, (C,), *ly.ln1)
            mixed = torch.addcmul(xx, att_x - xx, ly.maa)  # [nb+2,1,C]
            att_x.copy_(xx)
            nb = ly.lora.nb
            w, a, v_gate, g = (t.view(C) for t in ly.lora(mixed[:nb]))
            r, k, v = ly.r(mixed[nb, 0]), ly.k(mixed[nb + 1, 0]), ly.v(mixed[nb - 1, 0])
            kk = F.normalize((k * ly.k_k).view(H, N), dim=-1, p=2.0)  # [H,N]
            k = k * torch.addcmul(ly.k_a1, a, ly.k_a)  # k·(1 + (a−1)·k_a)
            if i == 0:
                v_first = v
            else:
                v = torch.lerp(v, v_first, v_gate)
            w = w.float().mul_(-_DECAY).exp_()  # [C]
            f32 = (t.float().view(H, N) for t in (r, w, k, v, kk, kk.view(C) * a))
            y = wkv7_step(S, *f32).view(1, C)
            y = F.group_norm(y, H, *ly.ln_x, eps=64e-5).view(H, N).to(self.act)
            y = torch.addcmul(y, (r * k * ly.r_k).view(H, N).sum(-1, keepdim=True), v.view(H, N)).view(C)
            x = x + ly.o(y * g)

            xx = F.layer_norm(x, (C,), *ly.ln2)
            kx = torch.addcmul(xx, ffn_x - xx, ly.ffn_maa)
            ffn_x.copy_(xx)
            x = x + ly.ffn_v(torch.relu(ly.ffn_k(kx)).square())
        x = F.layer_norm(x, (C,), *self.ln_out)
        return self.head(x)

    # -- a sequence ----------------------------------------------------------------------------------------
    def _forward_seq(self, tokens: list[int], state: State) -> Tensor:
        C, H, N, T = self.C, self.H, self.N, len(tokens)
        last_layer = len(self.layers) - 1 if T > 2 else -1
        mix_buf = torch.empty(6, T, C, dtype=self.act, device=self.torch_device)
        x = self.emb[torch.tensor(tokens, device=self.torch_device)].to(self.act)  # [T,C]
        v_first = x
        for i, (ly, att_x, S, ffn_x) in enumerate(self._per_layer(state)):
            xx = F.layer_norm(x, (C,), *ly.ln1)
            shifted = torch.cat((att_x.unsqueeze(0), xx[:-1]))  # [T,C]
            att_x.copy_(xx[-1])
            ng = ly.lora.ng
            # [6,T,C]: g, w, a, v, r, k once each, into one buffer for all layers (a fresh 12 MB each layer
            # cost more in page faults than the arithmetic)
            mixed = torch.addcmul(xx, shifted - xx, ly.maa[ng - 1 :], out=mix_buf)
            w, a, v_gate, g = ly.lora.seq(mixed[0], mixed[1], mixed[2], mixed[3])
            # The last layer feeds only the last token's logits and state: its attention output is needed for
            # the last two tokens (the FFN's token shift reads the one before), its FFN for the last alone.
            tail = slice(T - 2, T) if i == last_layer else slice(0, T)
            k, v = ly.k(mixed[5]), ly.v(mixed[3])
            r = ly.r(mixed[4][tail])
            if tail.start:
                r = F.pad(r, (0, 0, tail.start, 0))  # zero rows: their outputs are dropped
            kk = F.normalize((k * ly.k_k).view(T, H, N), dim=-1, p=2.0).view(T, C)
            k = k * torch.addcmul(ly.k_a1, a, ly.k_a)
            if i == 0:
                v_first = v
            else:
                v = torch.lerp(v, v_first, v_gate)
            if self.native is not None:  # the recurrence token by token in C: faster than the chunked form
                w = w.float().mul_(-_DECAY).exp_()
                inputs = [t.float().view(T, H, N) for t in (r, w, k, v, -kk, kk * a)]
                y = self.native.wkv_seq(S, *inputs).view(T, C)
            else:
                log_w = -_DECAY * w.float()  # [T,C]
                inputs = [t.float().view(T, H, N) for t in (r, log_w, k, v, -kk, kk * a)]
                y = wkv7_chunked(*inputs, S=S).view(T, C)
            r, k, v, y, g, x = r[tail], k[tail], v[tail], y[tail], g[tail], x[tail]
            n = y.shape[0]
            y = F.group_norm(y, H, *ly.ln_x, eps=64e-5).to(self.act)
            y = y + ((r * k * ly.r_k).view(n, H, N).sum(-1, keepdim=True) * v.view(n, H, N)).view(n, C)
            x = x + ly.o(y * g)

            xx = F.layer_norm(x, (C,), *ly.ln2)
            shifted = torch.cat((ffn_x.unsqueeze(0), xx[:-1]))
            ffn_x.copy_(xx[-1])
            kx = torch.addcmul(xx, shifted - xx, ly.ffn_maa)
            if tail.start:
                x, kx = x[-1:], kx[-1:]
            x = x + ly.ffn_v(ly.ffn_k(kx).relu_().square_())
        x = F.layer_norm(x[-1], (C,), *self.ln_out)
        return self.head(x)
