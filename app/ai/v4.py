"""RWKV-4 inference (Pile, Raven, World): the shared block (app/ai/ops_block.py) with a channel-wise WKV in
the numerically stable (aa, bb, pp) form.

Shapes: C = n_embd, T tokens. State per layer: att_x [C], aa, bb, pp [C] fp32 (pp starts at −1e30), ffn_x [C].
Time mix, per channel: x{k,v,r} = xx + d·(1 − time_mix), k = Wk·xk, v = Wv·xv, and with w = −exp(time_decay),
u = time_first:  wkv_t = (Σ_{s<t} e^{(t−1−s)w + k_s} v_s + e^{u + k_t} v_t) / (the same sums without v);
out = Wo(σ(Wr·xr) ⊙ wkv).
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass

import torch

from app.ai.ops_block import Block, BlockModel
from app.ai.state import State

Tensor = torch.Tensor


@dataclass
class V4Block(Block):
    maa: Tensor  # [3,1,C] for k, v, r  (1 − time_mix)
    w: Tensor  # [C] fp32, −exp(time_decay)
    u: Tensor  # [C] fp32, time_first


class RWKV4(BlockModel[V4Block]):
    def _load_layer(self, weights: MutableMapping[str, Tensor], i: int) -> V4Block:
        a = f"blocks.{i}.att."
        return V4Block(
            **self._block_weights(weights, i),
            maa=torch.stack([1.0 - self._vec(weights, a + f"time_mix_{n}") for n in "kvr"]).unsqueeze(1),
            w=-torch.exp(self._f32(weights, a + "time_decay")),
            u=self._f32(weights, a + "time_first"),
        )

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

    def _time_mix(self, ly: V4Block, xx: Tensor, d: Tensor, state: State, i: int) -> Tensor:
        xk, xv, xr = torch.addcmul(xx, d, ly.maa).unbind(0)
        r = torch.sigmoid(ly.r(xr))
        k, v = ly.k(xk).float(), ly.v(xv).float()
        wkv_seq = self.kern.wkv4_seq if self.kern is not None else wkv4_seq
        wkv = wkv_seq(state.aa[i], state.bb[i], state.pp[i], ly.w, ly.u, k, v)
        return ly.o(r * wkv.to(self.act))


def wkv4_seq(aa: Tensor, bb: Tensor, pp: Tensor, w: Tensor, u: Tensor, k: Tensor, v: Tensor) -> Tensor:
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
