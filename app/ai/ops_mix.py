"""Pieces shared by RWKV-4/5.2/6: token shift and the channel mix with a receptance gate."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from app.ai.quant import Projection

Tensor = torch.Tensor


def shift_one(xx: Tensor, prev: Tensor) -> Tensor:
    """d = prev − xx for one token [C]; stores xx as the new prev."""
    d = prev - xx
    prev.copy_(xx)
    return d


def shift_seq(xx: Tensor, prev: Tensor) -> Tensor:
    """d[t] = xx[t−1] − xx[t] for [T,C] (xx[−1] := prev); stores xx[-1] as the new prev."""
    d = torch.cat((prev.unsqueeze(0), xx[:-1])) - xx
    prev.copy_(xx[-1])
    return d


@dataclass
class ChannelMix:
    """RWKV-4/5/6 FFN: sigmoid(Wr·xr) ⊙ Wv·relu(Wk·xk)², with x_f = xx + (prev − xx)·maa_f."""

    ln: tuple[Tensor, Tensor]
    maa_k: Tensor  # [C]  (v4/v5 files store time_mix m; maa = 1 − m)
    maa_r: Tensor
    key: Projection  # [F,C]
    receptance: Projection  # [C,C]
    value: Projection  # [C,F]

    def __call__(self, x: Tensor, prev: Tensor) -> Tensor:
        """x: residual [C] or [T,C]; returns the residual after the block (prev updated in place)."""
        xx = F.layer_norm(x, (x.shape[-1],), *self.ln)
        d = shift_one(xx, prev) if x.dim() == 1 else shift_seq(xx, prev)
        kx = torch.addcmul(xx, d, self.maa_k)
        rx = torch.addcmul(xx, d, self.maa_r)
        r = torch.sigmoid(self.receptance(rx))
        return x + r * self.value(torch.relu(self.key(kx)).square())

    def nbytes(self) -> int:
        return self.key.nbytes + self.receptance.nbytes + self.value.nbytes
