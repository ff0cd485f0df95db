"""The block RWKV-4, RWKV-5.2 and RWKV-6 share; each generation supplies only its time mix.

One layer, residual x [T,C] (state: att_x, ffn_x [C] per layer, plus the generation's WKV state):

    xx = LN1(x);  d = xx₋₁ − xx                   token shift (att_x holds the previous token's xx)
    x  = x + TimeMix(xx, d, state)                v4: channel-wise WKV; v5.2, v6: multi-head matrix WKV
    x  = x + σ(Wr·xr) ⊙ Wv·relu(Wk·xk)²          the channel mix (app/ai/ops_mix.py) on LN2(x)
    x  = x / 2 after every RESCALE_EVERY layers   fp16 only (RWKVModel._rescaled)

logits = head(LN_out(x_last)); the embedding has blocks.0.ln0 folded in. For v5.2 and v6 the time mix ends in
the same head-wise part (`MatrixBlockModel._heads`): with r, k, v, g = W·x{r,k,v,g} and per-head decay w,

    y = r·S + (r ⊙ u ⊙ k)·v   (bonus summed per head);   S ← diag(w)·S + kᵀv;   out = Wo(GroupNorm(y) ⊙ silu(g))
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.nn.functional as F

from app.ai.engine import RWKVModel
from app.ai.ops_mix import ChannelMix, shift_seq
from app.ai.quant import Projection
from app.ai.state import State

Tensor = torch.Tensor


@dataclass
class Block:
    """The weights every RWKV-4/5.2/6 layer has; a generation's layer adds its time-mix parameters."""

    ln1: tuple[Tensor, Tensor]
    r: Projection  # receptance [C,C]
    k: Projection  # key [C,C]
    v: Projection  # value [C,C]
    o: Projection  # output [C,C]
    ffn: ChannelMix

    def nbytes(self) -> int:
        """Weight bytes one decode step reads in this layer."""
        return sum(m.nbytes for m in (self.r, self.k, self.v, self.o)) + self.ffn.nbytes()


@dataclass
class MatrixBlock(Block):
    """RWKV-5.2/6: the gate, the per-head group norm and the bonus u of the matrix WKV."""

    g: Projection  # gate [C,C]
    ln_x: tuple[Tensor, Tensor]  # fp32: the group norm runs on the fp32 WKV output
    u: Tensor  # [C] fp32 bonus (time_faaaa)

    def nbytes(self) -> int:
        return super().nbytes() + self.g.nbytes


LayerT = TypeVar("LayerT", bound=Block)
MatrixT = TypeVar("MatrixT", bound=MatrixBlock)


class BlockModel(RWKVModel[LayerT]):
    """The RWKV-4/5.2/6 engine: runs the shared block; subclasses load their layers and run the time mix."""

    ffn_mix = "time_mix"  # how the file stores the channel mix's lerp weights (see RWKVModel._channel_mix)

    def _block_weights(self, weights: MutableMapping[str, Tensor], i: int) -> dict:
        """Layer i's shared fields of `Block`, as keyword arguments for the generation's layer class."""
        b, a = f"blocks.{i}.", f"blocks.{i}.att."
        lin = self._lin
        return {
            "ln1": (self._vec(weights, b + "ln1.weight"), self._vec(weights, b + "ln1.bias")),
            "r": lin(weights, a + "receptance.weight"),
            "k": lin(weights, a + "key.weight"),
            "v": lin(weights, a + "value.weight"),
            "o": lin(weights, a + "output.weight", scaled=True, layer=i),
            "ffn": self._channel_mix(weights, i, mix=self.ffn_mix),
        }

    def _time_mix(self, ly: LayerT, xx: Tensor, d: Tensor, state: State, i: int) -> Tensor:
        """xx, d [T,C] -> the attention output [T,C]; layer i's WKV state updated in place."""
        raise NotImplementedError

    def weight_bytes_per_token(self) -> int:
        return self.head.nbytes + self.C * self.emb.element_size() + sum(ly.nbytes() for ly in self.layers)

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


class MatrixBlockModel(BlockModel[MatrixT]):
    """RWKV-5.2/6: the time mix ends in the multi-head matrix WKV (state wkv S[h,key,value] [H,N,N] fp32)."""

    def _matrix_weights(self, weights: MutableMapping[str, Tensor], i: int, u: Tensor) -> dict:
        """`_block_weights` plus MatrixBlock's own fields (the bonus `u` [C] fp32, as the generation reads it)."""
        a = f"blocks.{i}.att."
        return {
            **self._block_weights(weights, i),
            "g": self._lin(weights, a + "gate.weight"),
            "ln_x": (self._f32(weights, a + "ln_x.weight"), self._f32(weights, a + "ln_x.bias")),
            "u": u,
        }

    def _heads(
        self, ly: MatrixT, xr: Tensor, xk: Tensor, xv: Tensor, xg: Tensor, w: Tensor, S: Tensor
    ) -> Tensor:
        """The mixed inputs [T,C] and the decay w [T,C] fp32 -> the attention output [T,C]; S updated in place."""
        T, H, N = xr.shape[0], self.H, self.N
        r, k, v = ly.r(xr).float(), ly.k(xk).float(), ly.v(xv).float()
        g = F.silu(ly.g(xg))
        bonus = (r * ly.u * k).view(T, H, N).sum(-1, keepdim=True) * v.view(T, H, N)  # [T,H,N]
        wkv = self.kern.wkv6_seq if self.kern is not None else wkv_matrix_seq
        y = wkv(S, r, w, k, v, H, N) + bonus.view(T, H * N)
        y = F.group_norm(y, H, *ly.ln_x, eps=64e-5).to(self.act)
        return ly.o(y * g)


def wkv_matrix_seq(S: Tensor, r: Tensor, w: Tensor, k: Tensor, v: Tensor, H: int, N: int) -> Tensor:
    """y_t = r_t·S ; S ← diag(w_t)·S + k_t v_tᵀ  (S [H,key,value] in place; inputs [T,C] fp32; y [T,C])."""
    T = r.shape[0]
    r4, w4, k4, v4 = r.view(T, H, 1, N), w.view(T, H, N, 1), k.view(T, H, N, 1), v.view(T, H, 1, N)
    y = torch.empty(T, H, 1, N, dtype=torch.float32, device=S.device)
    for t in range(T):
        torch.bmm(r4[t], S, out=y[t])
        S.mul_(w4[t])
        S.baddbmm_(k4[t], v4[t])
    return y.view(T, H * N)
