"""RWKV-7's four low-rank maps (decay w, in-context rate a, value residual v, gate g) as two batched matmuls.

Each map is x_j ↦ f_j(x_j·A_j)·B_j with A_j [C,D_j], B_j [D_j,C]. The ranks are cut into blocks of one width
Db = max(D_w, D_a, D_v) (zero-padded), so the down and up projections stack into Aᵀ [nb,Db,C] and B [nb,Db,C]:
one bmm each instead of eight small GEMVs, which run far below the memory bandwidth on the CPU.
Block order: g (ng = ⌈D_g/Db⌉ blocks), then w, a, v — the caller's token-shift mix produces its inputs in that order.
"""

from __future__ import annotations

import math

import torch

Tensor = torch.Tensor


class LoRAStack:
    """w, a, v-gate and g of one RWKV-7 layer from the mixed inputs [nb,T,C] (rows g×ng, w, a, v).

    Returns (w_sig, a, v_gate, g), each [T,C]: w_sig = σ(w0 + tanh(x_w·A_w)·B_w), a = σ(a0 + x_a·A_a·B_a),
    v_gate = σ(v0 + x_v·A_v·B_v) (unused on layer 0, which has no v map: zero weights there), g = σ(x_g·A_g)·B_g.
    """

    def __init__(
        self,
        w: tuple[Tensor, Tensor],
        a: tuple[Tensor, Tensor],
        v: tuple[Tensor, Tensor] | None,
        g: tuple[Tensor, Tensor],
        bias: tuple[Tensor, Tensor, Tensor | None],
        *,
        half: bool = False,
        int8: bool = False,
    ) -> None:
        C = w[0].shape[0]
        ref = w[0]
        if v is None:
            v = (ref.new_zeros(C, 1), ref.new_zeros(1, C))
        db = max(m[0].shape[1] for m in (w, a, v))
        self.ng = math.ceil(g[0].shape[1] / db)
        self.nb = self.ng + 3
        down = ref.new_zeros(self.nb, db, C)  # [nb,Db,C]: row dot products (faster than x·A on the CPU)
        up = ref.new_zeros(self.nb, db, C)  # [nb,Db,C]
        blocks = [(g[0][:, j * db : (j + 1) * db], g[1][j * db : (j + 1) * db]) for j in range(self.ng)]
        for j, (A, B) in enumerate([*blocks, w, a, v]):
            down[j, : A.shape[1]] = A.t()
            up[j, : B.shape[0]] = B
        # `half`: keep the maps in fp16; `int8`: in int8 with one fp32 scale per row of C (down_s, up_s
        # [nb,Db,1]). The native decode kernel reads them so; torch widens them per call.
        self.down_s: Tensor | None = None
        self.up_s: Tensor | None = None
        if int8:
            self.down, self.down_s = _rows_int8(down)
            self.up, self.up_s = _rows_int8(up)
        else:
            self.down, self.up = (down.half(), up.half()) if half else (down, up)
        w0, a0, v0 = bias
        self.bias = torch.stack((w0, a0, v0 if v0 is not None else torch.zeros_like(w0))).unsqueeze(
            1
        )  # [3,1,C]

    @property
    def nbytes(self) -> int:
        scales = 0 if self.down_s is None or self.up_s is None else self.down_s.numel() + self.up_s.numel()
        return (self.down.numel() + self.up.numel()) * self.down.element_size() + scales * 4

    def _maps(self) -> tuple[Tensor, Tensor]:
        dtype = self.bias.dtype
        if self.down_s is not None and self.up_s is not None:
            return self.down.to(dtype) * self.down_s.to(dtype), self.up.to(dtype) * self.up_s.to(dtype)
        return self.down.to(dtype), self.up.to(dtype)

    def __call__(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        ng = self.ng
        down, up = self._maps()
        d = torch.bmm(down, x.transpose(1, 2)).transpose(1, 2)  # [nb,T,Db]
        d[:ng].sigmoid_()
        d[ng].tanh_()
        u = torch.bmm(d, up)  # [nb,T,C]
        g = u[:ng].sum(0) if ng > 1 else u[0]
        wav = u[ng:].add_(self.bias).sigmoid_()  # [3,T,C]
        w_sig, a, v_gate = wav.unbind(0)
        return w_sig, a, v_gate, g

    def seq(self, xg: Tensor, xw: Tensor, xa: Tensor, xv: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """The same maps for a sequence, each input [T,C] mixed once: one GEMM per map and direction (the g
        blocks' up-projection sums them); for long inputs this beats the padded bmm, whose g mix is repeated
        per block."""
        ng, db = self.ng, self.down.shape[1]
        C = self.down.shape[2]
        down, up = self._maps()
        dg = torch.sigmoid(xg @ down[:ng].reshape(ng * db, C).t())  # [T,ng·Db]
        g = dg @ up[:ng].reshape(ng * db, C)
        outs = []
        for j, (x, act) in enumerate(((xw, torch.tanh), (xa, None), (xv, None))):
            d = x @ down[ng + j].t()  # [T,Db]
            if act is not None:
                d = act(d)
            outs.append(torch.addmm(self.bias[j], d, up[ng + j]).sigmoid_())
        w_sig, a, v_gate = outs
        return w_sig, a, v_gate, g


def _rows_int8(t: Tensor) -> tuple[Tensor, Tensor]:
    """t [..., C] as int8 q and fp32 scales [..., 1] per row: t ≈ q·s, s = max |row| / 127 (zero rows: q = 0)."""
    s = t.abs().amax(-1, keepdim=True).clamp_(min=1e-30) / 127.0
    return torch.round(t / s).clamp_(-127, 127).to(torch.int8), s.float().contiguous()
