"""RWKV-6 "Finch" inference: data-dependent token shift (maa LoRA) and per-channel data-dependent decay.

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

Tensor = torch.Tensor


@dataclass
class _Layer:
    ln1: tuple[Tensor, Tensor]
    maa_x: Tensor  # [C]
    maa: Tensor  # [5,C] for w, k, v, r, g
    maa_w1: Tensor  # [C,5*D]
    maa_w2: Tensor  # [5,D,C]
    decay: Tensor  # [C] fp32
    decay_w1: Tensor  # [C,Dd]
    decay_w2: Tensor  # [Dd,C]
    u: Tensor  # [H,N] fp32 (time_faaaa, used raw)
    r: Projection
    k: Projection
    v: Projection
    g: Projection
    o: Projection
    ln_x: tuple[Tensor, Tensor]  # fp32
    ffn: ChannelMix


class RWKV6(RWKVModel):
    def __init__(
        self,
        weights: MutableMapping[str, Tensor],
        info: CheckpointInfo,
        plan: Plan,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        super().__init__(info, plan)
        self.C, self.H, self.N = info.n_embd, info.n_head, info.head_size
        vec, lin = partial(self._vec, weights), partial(self._lin, weights)

        def f32(key: str) -> Tensor:
            return weights.pop(key).to(device=self.torch_device, dtype=torch.float32).squeeze().clone()

        self.emb = self._embedding(weights)
        self.layers: list[_Layer] = []
        for i in range(info.n_layer):
            b, a = f"blocks.{i}.", f"blocks.{i}.att."
            maa_w2 = (
                weights.pop(a + "time_maa_w2").to(device=self.torch_device, dtype=self.act).clone()
            )  # [5,D,C]
            ffn = self._channel_mix(weights, i, mix="time_maa")
            layer = _Layer(
                ln1=(vec(b + "ln1.weight"), vec(b + "ln1.bias")),
                maa_x=vec(a + "time_maa_x"),
                maa=torch.stack([vec(a + f"time_maa_{n}") for n in "wkvrg"]),
                maa_w1=vec(a + "time_maa_w1"),
                maa_w2=maa_w2,
                decay=f32(a + "time_decay"),
                decay_w1=vec(a + "time_decay_w1"),
                decay_w2=vec(a + "time_decay_w2"),
                u=f32(a + "time_faaaa").view(self.H, self.N),
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
            small = (ly.maa_w1, ly.maa_w2, ly.decay_w1, ly.decay_w2)
            total += sum(t.numel() * t.element_size() for t in small)
        return total

    def _mix(self, ly: _Layer, xx: Tensor, d: Tensor) -> tuple[Tensor, ...]:
        """Data-dependent token shift: xx, d [T,C] -> xw, xk, xv, xr, xg [T,C]."""
        T = xx.shape[0]
        m = torch.tanh(torch.addcmul(xx, d, ly.maa_x) @ ly.maa_w1)  # [T,5D]
        m = torch.bmm(m.view(T, 5, -1).transpose(0, 1), ly.maa_w2)  # [5,T,C]
        return torch.addcmul(xx, d, ly.maa.unsqueeze(1) + m).unbind(0)

    def _time_mix(self, ly: _Layer, xx: Tensor, d: Tensor, S: Tensor) -> Tensor:
        """xx, d [T,C] -> attention output [T,C]; S [H,key,value] updated in place."""
        T, H, N = xx.shape[0], self.H, self.N
        xw, xk, xv, xr, xg = self._mix(ly, xx, d)
        r, k, v = ly.r(xr).float(), ly.k(xk).float(), ly.v(xv).float()
        g = F.silu(ly.g(xg))
        w = torch.exp(-torch.exp(ly.decay + (torch.tanh(xw @ ly.decay_w1) @ ly.decay_w2).float()))  # [T,C]
        bonus = (r * ly.u.view(-1) * k).view(T, H, N).sum(-1, keepdim=True) * v.view(T, H, N)  # [T,H,N]
        wkv = self.kern.wkv6_seq if self.kern is not None else _wkv6_seq
        y = wkv(S, r, w, k, v, H, N) + bonus.view(T, H * N)
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


def _wkv6_seq(S: Tensor, r: Tensor, w: Tensor, k: Tensor, v: Tensor, H: int, N: int) -> Tensor:
    """y_t = r_t·S ; S ← diag(w_t)·S + k_t v_tᵀ  (S [H,key,value] in place; inputs [T,C] fp32; y [T,C])."""
    T = r.shape[0]
    r4, w4, k4, v4 = r.view(T, H, 1, N), w.view(T, H, N, 1), k.view(T, H, N, 1), v.view(T, H, 1, N)
    y = torch.empty(T, H, 1, N, dtype=torch.float32, device=S.device)
    for t in range(T):
        torch.bmm(r4[t], S, out=y[t])
        S.mul_(w4[t])
        S.baddbmm_(k4[t], v4[t])
    return y.view(T, H * N)
