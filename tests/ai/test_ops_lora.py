"""LoRAStack (RWKV-7's w, a, v, g low-rank maps as two batched matmuls) equals the four maps done one by one."""

from __future__ import annotations

import pytest
import torch

from app.ai.ops_lora import LoRAStack


@pytest.mark.parametrize(
    ("ranks", "with_v", "T"),
    [
        ((64, 64, 32, 128), True, 1),  # 0.1B/0.4B shapes: g spans two blocks, v padded
        ((96, 96, 64, 256), True, 5),  # g not a multiple of the block width (3 blocks, padded)
        ((64, 64, 32, 64), False, 3),  # layer 0: no v map
    ],
)
@pytest.mark.parametrize("half", [False, True])
def test_stack_equals_separate_maps(ranks, with_v, T, half):
    g = torch.Generator().manual_seed(sum(ranks) + T)
    C = 48
    dw, da, dv, dg = ranks

    def pair(d: int) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.randn(C, d, generator=g) * 0.2, torch.randn(d, C, generator=g) * 0.2

    w, a, v, gate = pair(dw), pair(da), pair(dv), pair(dg)
    w0, a0, v0 = (torch.randn(C, generator=g) for _ in range(3))
    if half:  # maps stored in fp16: compare with the same weights rounded to fp16
        w, a, v, gate = (tuple(t.half().float() for t in m) for m in (w, a, v, gate))
    stack = LoRAStack(
        w=w, a=a, v=v if with_v else None, g=gate, bias=(w0, a0, v0 if with_v else None), half=half
    )
    assert stack.down.dtype == (torch.float16 if half else torch.float32)
    xw, xa, xv, xg = (torch.randn(T, C, generator=g) for _ in range(4))
    x = torch.stack([xg] * stack.ng + [xw, xa, xv])  # [nb,T,C]

    def close(got: torch.Tensor, want: torch.Tensor) -> None:
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)

    # the batched form (decode) and the per-map GEMMs (prefill) give the same maps
    for w_sig, a_out, v_gate, g_out in (stack(x), stack.seq(xg, xw, xa, xv)):
        close(w_sig, torch.sigmoid(w0 + torch.tanh(xw @ w[0]) @ w[1]))
        close(a_out, torch.sigmoid(a0 + (xa @ a[0]) @ a[1]))
        close(g_out, torch.sigmoid(xg @ gate[0]) @ gate[1])
        if with_v:
            close(v_gate, torch.sigmoid(v0 + (xv @ v[0]) @ v[1]))
