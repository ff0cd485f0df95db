"""RWKV-7 "Goose" inference, the reference forward: weights converted once, one form for a token and a sequence.

Shapes: C = n_embd, H heads of N, T tokens. State per layer: att_x [C], wkv S[h,value,key] [H,N,N] fp32, ffn_x [C].
One layer on the residual x [T,C] (xx₋₁: the previous token's normed input, kept in att_x / ffn_x):

    xx = LN1(x);  x_f = xx + (xx₋₁ − xx)·x_f for f in r, w, k, v, a, g
    w = exp(−e^{−0.5}·σ(w0 + tanh(x_w·W1)·W2)),  a = σ(a0 + x_a·A1·A2),  g = σ(x_g·G1)·G2   (app/ai/ops_lora.py)
    r, k, v = W{r,k,v}·x{r,k,v};  kk = normalize_per_head(k ⊙ k_k);  k ← k ⊙ (1 + (a − 1) ⊙ k_a)
    v ← lerp(v, v_first, σ(v0 + x_v·V1·V2))   (layer 0: v_first = v)
    S ← S·diag(w) − (S·kk)(kk ⊙ a)ᵀ + v kᵀ;  y = S·r   (app/ai/ops_wkv7.py, the one recurrence)
    x = x + Wo((GroupNorm(y) + (Σ_head r ⊙ k ⊙ r_k)·v) ⊙ g)
    x = x + Wv·relu(Wk·(xx' + (xx'₋₁ − xx')·x_k))²   with xx' = LN2(x)

The native CPU decode (app/ai/v7_native.py) is a fast path of this forward, compared with it in the tests.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from app.ai.engine import RWKVModel
from app.ai.ops_lora import LoRAStack
from app.ai.ops_wkv7 import CHUNK, wkv7_chunked, wkv7_loop
from app.ai.quant import Projection
from app.ai.state import State

log = logging.getLogger(__name__)
Tensor = torch.Tensor
DECAY = 0.606531  # exp(-0.5), as in the reference implementation


@dataclass
class V7Layer:
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


class RWKV7(RWKVModel[V7Layer]):
    # the bound native kernels of the fast path (app/ai/v7_native.py); None on this reference class
    native: object | None = None

    def _load_layer(self, weights: MutableMapping[str, Tensor], i: int) -> V7Layer:
        vec, lin = self._vec, self._lin
        b, a, f = f"blocks.{i}.", f"blocks.{i}.att.", f"blocks.{i}.ffn."
        has_v = i > 0
        # with 16-bit or 8/4-bit weights the native decode reads the low-rank maps in fp16 (9-17 % of its bytes)
        lora = LoRAStack(
            w=(vec(weights, a + "w1"), vec(weights, a + "w2")),
            a=(vec(weights, a + "a1"), vec(weights, a + "a2")),
            v=(vec(weights, a + "v1"), vec(weights, a + "v2")) if has_v else None,
            g=(vec(weights, a + "g1"), vec(weights, a + "g2")),
            bias=(vec(weights, a + "w0"), vec(weights, a + "a0"), vec(weights, a + "v0") if has_v else None),
            half=self.native_layout and self.wdtype in ("bf16", "int8", "int4"),
            int8=self.native_layout and self.wdtype == "int4",
        )
        mixes = {n: vec(weights, a + f"x_{n}") for n in "rwkvag"}
        k_a = vec(weights, a + "k_a")
        layer = V7Layer(
            ln1=(vec(weights, b + "ln1.weight"), vec(weights, b + "ln1.bias")),
            ln2=(vec(weights, b + "ln2.weight"), vec(weights, b + "ln2.bias")),
            maa=torch.stack([mixes[n] for n in "g" * lora.ng + "wavrk"]).unsqueeze(1),
            lora=lora,
            k_k=vec(weights, a + "k_k"),
            k_a=k_a,
            k_a1=1 - k_a,
            r_k=vec(weights, a + "r_k").reshape(self.C),
            r=lin(weights, a + "receptance.weight"),
            k=lin(weights, a + "key.weight"),
            v=lin(weights, a + "value.weight"),
            o=lin(weights, a + "output.weight", scaled=True),
            ln_x=(self._f32(weights, a + "ln_x.weight"), self._f32(weights, a + "ln_x.bias")),
            ffn_maa=vec(weights, f + "x_k"),
            ffn_k=lin(weights, f + "key.weight"),
            ffn_v=lin(weights, f + "value.weight", scaled=True),
        )
        for unused in ("v0", "v1", "v2"):  # layer 0 has them too, unused
            weights.pop(a + unused, None)
        return layer

    def weight_bytes_per_token(self) -> int:
        total = self.head.nbytes + self.C * self.emb.element_size()
        for ly in self.layers:
            total += sum(m.nbytes for m in (ly.r, ly.k, ly.v, ly.o, ly.ffn_k, ly.ffn_v)) + ly.lora.nbytes
        return total

    def _per_layer(self, state: State) -> Iterator[tuple[V7Layer, Tensor, Tensor, Tensor]]:
        """Each layer with its state views att_x [C], S [H,N,N], ffn_x [C] (one unbind each, not L selects)."""
        views = (state.att_x.unbind(0), state.wkv.unbind(0), state.ffn_x.unbind(0))
        return zip(self.layers, *views, strict=True)

    def _wkv(self, S: Tensor, r: Tensor, w: Tensor, k: Tensor, v: Tensor, kk: Tensor, a: Tensor) -> Tensor:
        """The recurrence over [T,C] inputs (w: the LoRA's σ output) -> y [T,C]; S updated in place. A short
        input runs step by step, a long one in the chunked parallel form (the same result, see ops_wkv7)."""
        T, H, N = r.shape[0], self.H, self.N
        if T < CHUNK:
            w = w.float().mul_(-DECAY).exp_()
            inputs = [t.float().view(T, H, N) for t in (r, w, k, v, -kk, kk * a)]
            return wkv7_loop(S, *inputs).view(T, -1)
        log_w = -DECAY * w.float()
        inputs = [t.float().view(T, H, N) for t in (r, log_w, k, v, -kk, kk * a)]
        return wkv7_chunked(*inputs, S=S).view(T, -1)

    def _forward_one(self, token: int, state: State) -> Tensor:
        return self._forward_seq([token], state)

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
            k = k * torch.addcmul(ly.k_a1, a, ly.k_a)  # k·(1 + (a−1)·k_a)
            if i == 0:
                v_first = v
            else:
                v = torch.lerp(v, v_first, v_gate)
            y = self._wkv(S, r, w, k, v, kk, a)
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
