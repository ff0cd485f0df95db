"""RWKV-6 "Finch" inference: the shared block (app/ai/ops_block.py) with a data-dependent token shift (maa
LoRA) and a per-channel data-dependent decay in the multi-head matrix WKV.

Shapes: C = n_embd, H heads of N, T tokens. State per layer: att_x [C], wkv S[h,key,value] [H,N,N] fp32, ffn_x [C].
Time mix: m = tanh((xx + d·maa_x)·W1)·W2 (five low-rank maps), x{w,k,v,r,g} = xx + d·(maa + m),
w = exp(−exp(decay + tanh(xw·Dw1)·Dw2)), then the matrix WKV of `MatrixBlockModel._heads`.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass

import torch

from app.ai.ops_block import MatrixBlock, MatrixBlockModel
from app.ai.state import State

Tensor = torch.Tensor


@dataclass
class V6Block(MatrixBlock):
    maa_x: Tensor  # [C]
    maa: Tensor  # [5,C] for w, k, v, r, g
    maa_w1: Tensor  # [C,5*D]
    maa_w2: Tensor  # [5,D,C]
    decay: Tensor  # [C] fp32
    decay_w1: Tensor  # [C,Dd]
    decay_w2: Tensor  # [Dd,C]

    def nbytes(self) -> int:
        small = (self.maa_w1, self.maa_w2, self.decay_w1, self.decay_w2)
        return super().nbytes() + sum(t.numel() * t.element_size() for t in small)


class RWKV6(MatrixBlockModel[V6Block]):
    ffn_mix = "time_maa"

    def _load_layer(self, weights: MutableMapping[str, Tensor], i: int) -> V6Block:
        a = f"blocks.{i}.att."
        vec = self._vec
        maa_w2 = weights.pop(a + "time_maa_w2").to(device=self.torch_device, dtype=self.act).clone()
        return V6Block(
            **self._matrix_weights(weights, i, self._f32(weights, a + "time_faaaa")),
            maa_x=vec(weights, a + "time_maa_x"),
            maa=torch.stack([vec(weights, a + f"time_maa_{n}") for n in "wkvrg"]),
            maa_w1=vec(weights, a + "time_maa_w1"),
            maa_w2=maa_w2,  # [5,D,C]
            decay=self._f32(weights, a + "time_decay"),
            decay_w1=vec(weights, a + "time_decay_w1"),
            decay_w2=vec(weights, a + "time_decay_w2"),
        )

    def _time_mix(self, ly: V6Block, xx: Tensor, d: Tensor, state: State, i: int) -> Tensor:
        T = xx.shape[0]
        m = torch.tanh(torch.addcmul(xx, d, ly.maa_x) @ ly.maa_w1)  # [T,5D]
        m = torch.bmm(m.view(T, 5, -1).transpose(0, 1), ly.maa_w2)  # [5,T,C]
        xw, xk, xv, xr, xg = torch.addcmul(xx, d, ly.maa.unsqueeze(1) + m).unbind(0)
        w = torch.exp(-torch.exp(ly.decay + (torch.tanh(xw @ ly.decay_w1) @ ly.decay_w2).float()))  # [T,C]
        return self._heads(ly, xr, xk, xv, xg, w, state.wkv[i])
