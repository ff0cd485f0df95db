"""RWKV-4 inference (Pile, Raven, World): channel-wise WKV in the numerically stable (aa, bb, pp) form.

Shapes: C = n_embd, T tokens. State per layer: att_x [C], aa, bb, pp [C] fp32 (pp starts at −1e30), ffn_x [C].
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sequence
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
    maa: Tensor  # [3,1,C] for k, v, r  (1 − time_mix)
    w: Tensor  # [C] fp32, −exp(time_decay)
    u: Tensor  # [C] fp32, time_first
    r: Projection
    k: Projection
    v: Projection
    o: Projection
    ffn: ChannelMix


class RWKV4(RWKVModel):
    def __init__(
        self,
        weights: MutableMapping[str, Tensor],
        info: CheckpointInfo,
        plan: Plan,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        super().__init__(info, plan)
        self.C = info.n_embd
        vec, lin, f32 = (partial(m, weights) for m in (self._vec, self._lin, self._f32))

        def maa(key: str) -> Tensor:
            return 1.0 - vec(key)

        self.emb = self._embedding(weights)
        self.layers: list[_Layer] = []
        for i in range(info.n_layer):
            b, a = f"blocks.{i}.", f"blocks.{i}.att."
            ffn = self._channel_mix(weights, i, mix="time_mix")
            layer = _Layer(
                ln1=(vec(b + "ln1.weight"), vec(b + "ln1.bias")),
                maa=torch.stack([maa(a + f"time_mix_{n}") for n in "kvr"]).unsqueeze(1),
                w=-torch.exp(f32(a + "time_decay")),
                u=f32(a + "time_first"),
                r=lin(a + "receptance.weight"),
                k=lin(a + "key.weight"),
                v=lin(a + "value.weight"),
                o=lin(a + "output.weight", scaled=True, layer=i),
                ffn=ffn,
            )
            self.layers.append(layer)
            if progress is not None:
                progress((i + 1) / (info.n_layer + 1))
        self._load_output(weights, progress)

    def _zero_state(self) -> dict[str, Tensor]:
        L, C, dev = self.info.n_layer, self.C, self.torch_device
        return {
            "att_x": torch.zeros(L, C, dtype=self.act, device=dev),
            "aa": torch.zeros(L, C, device=dev),
            "bb": torch.zeros(L, C, device=dev),
            "pp": torch.full((L, C), -1e30, device=dev),
            "ffn_x": torch.zeros(L, C, dtype=self.act, device=dev),
        }

    def set_initial_wkv(self, per_layer: Sequence[Tensor]) -> None:
        raise NotImplementedError("RWKV-4 has no tuned-state files")

    def weight_bytes_per_token(self) -> int:
        total = self.head.nbytes + self.C * self.emb.element_size()
        for ly in self.layers:
            total += sum(m.nbytes for m in (ly.r, ly.k, ly.v, ly.o)) + ly.ffn.nbytes()
        return total

    def _time_mix(self, ly: _Layer, xx: Tensor, d: Tensor, state: State, i: int) -> Tensor:
        xk, xv, xr = torch.addcmul(xx, d, ly.maa).unbind(0)
        r = torch.sigmoid(ly.r(xr))
        k, v = ly.k(xk).float(), ly.v(xv).float()
        wkv_seq = self.kern.wkv4_seq if self.kern is not None else _wkv4_seq
        wkv = wkv_seq(state.aa[i], state.bb[i], state.pp[i], ly.w, ly.u, k, v)
        return ly.o(r * wkv.to(self.act))

    def _forward_one(self, token: int, state: State) -> Tensor:
        return self._forward_seq([token], state)

    def _forward_seq(self, tokens: list[int], state: State) -> Tensor:
        C = self.C
        x = self.emb[torch.tensor(tokens, device=self.torch_device)].to(self.act)  # [T,C]
        for i, ly in enumerate(self.layers):
            xx = F.layer_norm(x, (C,), *ly.ln1)
            d = shift_seq(xx, state.att_x[i])
            x = x + self._time_mix(ly, xx, d, state, i)
            x = self._rescaled(ly.ffn(x, state.ffn_x[i]), i)
        x = F.layer_norm(x[-1], (C,), *self.ln_out)
        return self.head(x)


def _wkv4_seq(aa: Tensor, bb: Tensor, pp: Tensor, w: Tensor, u: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """Stable RWKV-4 WKV over [T,C] fp32 k, v; aa/bb/pp [C] updated in place; returns wkv [T,C]."""
    out = torch.empty_like(k)
    for t in range(k.shape[0]):
        kt, vt = k[t], v[t]
        ww = u + kt
        p = torch.maximum(pp, ww)
        e1, e2 = torch.exp(pp - p), torch.exp(ww - p)
        torch.div(e1 * aa + e2 * vt, e1 * bb + e2, out=out[t])
        ww = w + pp
        p = torch.maximum(ww, kt)
        e1, e2 = torch.exp(ww - p), torch.exp(kt - p)
        aa.mul_(e1).add_(e2 * vt)
        bb.mul_(e1).add_(e2)
        pp.copy_(p)
    return out
