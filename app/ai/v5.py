"""RWKV-5.2 "Eagle" inference: multi-head matrix state with a fixed per-channel decay and a gate.

Shapes: C = n_embd, H heads of N, T tokens. State per layer: att_x [C], wkv S[h,key,value] [H,N,N] fp32, ffn_x [C].
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from functools import partial

import torch
import torch.nn.functional as F

from app.ai.checkpoint import CheckpointInfo
from app.ai.engine import RWKVModel
from app.ai.ops_mix import ChannelMix, shift_seq
from app.ai.plan import Plan
from app.ai.quant import Projection
from app.ai.state import State
from app.ai.v6 import _wkv6_seq

Tensor = torch.Tensor


@dataclass
class _Layer:
    ln1: tuple[Tensor, Tensor]
    maa: Tensor  # [4,1,C] for k, v, r, g  (1 − time_mix)
    w: Tensor  # [C] fp32 decay exp(−exp(time_decay))
    u: Tensor  # [C] fp32 bonus
    r: Projection
    k: Projection
    v: Projection
    g: Projection
    o: Projection
    ln_x: tuple[Tensor, Tensor]  # fp32
    ffn: ChannelMix


class RWKV5(RWKVModel):
    def __init__(
        self,
        weights: MutableMapping[str, Tensor],
        info: CheckpointInfo,
        plan: Plan,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        super().__init__(info, plan)
        self.C, self.H, self.N = info.n_embd, info.n_head, info.head_size
        vec, lin, f32 = (partial(m, weights) for m in (self._vec, self._lin, self._f32))

        def maa(key: str) -> Tensor:
            return 1.0 - vec(key)

        self.emb = self._embedding(weights)
        self.layers: list[_Layer] = []
        for i in range(info.n_layer):
            b, a = f"blocks.{i}.", f"blocks.{i}.att."
            # time_faaaa is u itself; older 5.2 files store time_first = log(u)
            u = f32(a + "time_faaaa") if a + "time_faaaa" in weights else torch.exp(f32(a + "time_first"))
            ffn = self._channel_mix(weights, i, mix="time_mix")
            layer = _Layer(
                ln1=(vec(b + "ln1.weight"), vec(b + "ln1.bias")),
                maa=torch.stack([maa(a + f"time_mix_{n}") for n in "kvrg"]).unsqueeze(1),
                w=torch.exp(-torch.exp(f32(a + "time_decay"))),
                u=u,
                r=lin(a + "receptance.weight"),
                k=lin(a + "key.weight"),
                v=lin(a + "value.weight"),
                g=lin(a + "gate.weight"),
                o=lin(a + "output.weight", scaled=True, layer=i),
                ln_x=(f32(a + "ln_x.weight"), f32(a + "ln_x.bias")),
                ffn=ffn,
            )
            self.layers.append(layer)
            if progress is not None:
                progress((i + 1) / (info.n_layer + 1))
        self._load_output(weights, progress)

    def weight_bytes_per_token(self) -> int:
        total = self.head.nbytes + self.C * self.emb.element_size()
        for ly in self.layers:
            total += sum(m.nbytes for m in (ly.r, ly.k, ly.v, ly.g, ly.o)) + ly.ffn.nbytes()
        return total

    def _time_mix(self, ly: _Layer, xx: Tensor, d: Tensor, S: Tensor) -> Tensor:
        """xx, d [T,C] -> attention output [T,C]; S [H,key,value] updated in place."""
        T, H, N = xx.shape[0], self.H, self.N
        xk, xv, xr, xg = torch.addcmul(xx, d, ly.maa).unbind(0)
        r, k, v = ly.r(xr).float(), ly.k(xk).float(), ly.v(xv).float()
        g = F.silu(ly.g(xg))
        bonus = (r * ly.u * k).view(T, H, N).sum(-1, keepdim=True) * v.view(T, H, N)
        wkv = self.kern.wkv6_seq if self.kern is not None else _wkv6_seq
        y = wkv(S, r, ly.w.expand(T, -1), k, v, H, N) + bonus.view(T, H * N)
        y = F.group_norm(y, H, *ly.ln_x, eps=64e-5).to(self.act)
        return ly.o(y * g)

    def _forward_one(self, token: int, state: State) -> Tensor:
        return self._forward_seq([token], state)

    def _forward_seq(self, tokens: list[int], state: State) -> Tensor:
        C = self.C
        x = self.emb[torch.tensor(tokens, device=self.torch_device)].to(self.act)  # [T,C]
        for i, ly in enumerate(self.layers):
            xx = F.layer_norm(x, (C,), *ly.ln1)
            d = shift_seq(xx, state.att_x[i])
            x = x + self._time_mix(ly, xx, d, state.wkv[i])
            x = self._rescaled(ly.ffn(x, state.ffn_x[i]), i)
        x = F.layer_norm(x[-1], (C,), *self.ln_out)
        return self.head(x)
