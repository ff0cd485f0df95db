"""RWKV-5.2 "Eagle" inference: the shared block (app/ai/ops_block.py) with a multi-head matrix WKV whose
decay is fixed per channel.

Shapes: C = n_embd, H heads of N, T tokens. State per layer: att_x [C], wkv S[h,key,value] [H,N,N] fp32, ffn_x [C].
Time mix: x{k,v,r,g} = xx + d·(1 − time_mix), w = exp(−exp(time_decay)) for every token, then the matrix
WKV with bonus u, group norm and gate of `MatrixBlockModel._heads`.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass

import torch

from app.ai.ops_block import MatrixBlock, MatrixBlockModel
from app.ai.state import State

Tensor = torch.Tensor


@dataclass
class V5Block(MatrixBlock):
    maa: Tensor  # [4,1,C] for k, v, r, g  (1 − time_mix)
    w: Tensor  # [C] fp32 decay exp(−exp(time_decay))


class RWKV5(MatrixBlockModel[V5Block]):
    def _load_layer(self, weights: MutableMapping[str, Tensor], i: int) -> V5Block:
        a = f"blocks.{i}.att."
        f32 = self._f32
        # time_faaaa is u itself; older 5.2 files store time_first = log(u)
        first = a + "time_faaaa" in weights
        u = f32(weights, a + "time_faaaa") if first else torch.exp(f32(weights, a + "time_first"))
        return V5Block(
            **self._matrix_weights(weights, i, u),
            maa=torch.stack([1.0 - self._vec(weights, a + f"time_mix_{n}") for n in "kvrg"]).unsqueeze(1),
            w=torch.exp(-torch.exp(f32(weights, a + "time_decay"))),
        )

    def _time_mix(self, ly: V5Block, xx: Tensor, d: Tensor, state: State, i: int) -> Tensor:
        xk, xv, xr, xg = torch.addcmul(xx, d, ly.maa).unbind(0)
        return self._heads(ly, xr, xk, xv, xg, ly.w.expand(xx.shape[0], -1), state.wkv[i])
