"""RWKV-7 WKV (generalised delta rule): one step, the loop of steps, and a chunked parallel form of the loop.

Per head, S [N(value),N(key)]:  S_t = S_{t−1}·diag(w_t) + (S_{t−1}·a_t) b_tᵀ + v_t k_tᵀ ;  y_t = S_t·r_t.
The chunked form (as in flash-linear-attention's DPLR delta rule) solves each chunk of L steps with batched
matmuls and a unit-triangular solve, leaving only two small matmuls per chunk sequential. RWKV-7 bounds the
decay (w ≥ exp(−e^{−0.5}) ≈ 0.545 per step), so with L = 16 the cumulative decay stays ≥ 6e−5: safe in fp32.
"""

from __future__ import annotations

import torch

Tensor = torch.Tensor
CHUNK = 16


def wkv7_step(S: Tensor, r: Tensor, w: Tensor, k: Tensor, v: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """One step of the recurrence, the only place it is written in Python: S ← S·diag(w) + (S·a) bᵀ + v kᵀ;
    y = S·r. S [H,N(value),N(key)] fp32 updated in place; the rest [H,N]; returns y [H,N].

    S·a and S·r run as row-vector products aᵀ·Sᵀ (faster on the CPU than a batched GEMV or multiply+sum); the
    rank-1 updates as broadcast addcmul.
    """
    ST = S.transpose(1, 2)
    sa = torch.bmm(a.unsqueeze(1), ST).transpose(1, 2)  # S·a [H,N,1]
    S.mul_(w.unsqueeze(1))
    S.addcmul_(sa, b.unsqueeze(1))
    S.addcmul_(v.unsqueeze(-1), k.unsqueeze(1))
    return torch.bmm(r.unsqueeze(1), ST).view_as(r)


def wkv7_loop(S: Tensor, r: Tensor, w: Tensor, k: Tensor, v: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """The recurrence step by step. S [H,N,N] updated in place; r, w, k, v, a, b [T,H,N]; returns y [T,H,N]."""
    return torch.stack([wkv7_step(S, *(x[t] for x in (r, w, k, v, a, b))) for t in range(r.shape[0])])


def wkv7_chunked(
    r: Tensor, log_w: Tensor, k: Tensor, v: Tensor, a: Tensor, b: Tensor, *, S: Tensor, chunk: int = CHUNK
) -> Tensor:
    """Same result as `wkv7_loop` with w = exp(log_w). S [H,N,N] updated in place; inputs [T,H,N]; y [T,H,N]."""
    T, H, N = r.shape
    L = chunk
    pad = (-T) % L
    if pad:  # padded steps have w = 1 and zero inputs: they leave S unchanged
        r, log_w, k, v, a, b = (
            torch.nn.functional.pad(x, (0, 0, 0, 0, 0, pad)) for x in (r, log_w, k, v, a, b)
        )
    n = (T + pad) // L

    def chunks(x: Tensor) -> Tensor:  # [T,H,N] -> [n,H,L,N]
        return x.view(n, L, H, N).transpose(1, 2)

    r, log_w, k, v, a, b = map(chunks, (r, log_w, k, v, a, b))
    cum = torch.cumsum(log_w, dim=2)  # log Γ_t (inclusive)
    gamma = torch.exp(cum)  # Γ_t
    a_hat = a * torch.exp(cum - log_w)  # Γ_{t−1}·a_t
    r_hat = r * gamma  # Γ_t·r_t
    inv = torch.exp(-cum)
    b_til, k_til = b * inv, k * inv  # b_s/Γ_s, k_s/Γ_s
    g_last = gamma[:, :, -1:, :]  # Γ_L [n,H,1,N]

    strict = torch.ones(L, L, dtype=torch.bool, device=S.device).tril(-1)
    incl = torch.ones(L, L, dtype=torch.bool, device=S.device).tril(0)
    P = (a_hat @ b_til.transpose(-1, -2)).masked_fill_(~strict, 0.0)  # [n,H,L,L]
    Qm = (a_hat @ k_til.transpose(-1, -2)).masked_fill_(~strict, 0.0)
    Rb = (r_hat @ b_til.transpose(-1, -2)).masked_fill_(~incl, 0.0)
    Rk = (r_hat @ k_til.transpose(-1, -2)).masked_fill_(~incl, 0.0)
    eye = torch.eye(L, dtype=S.dtype, device=S.device)
    rhs = torch.cat((a_hat, Qm @ v), dim=-1)  # [n,H,L,2N]
    sol = torch.linalg.solve_triangular(eye - P, rhs, upper=False, unitriangular=True)
    Wa, Uv = sol[..., :N], sol[..., N:]  # U = Wa·S0ᵀ + Uv
    Gy = r_hat + Rb @ Wa  # Y = Gy·S0ᵀ + Yc
    Yc = Rb @ Uv + Rk @ v
    b_bar = b_til * g_last
    # S ← S·diag(Γ_L) + (S·Waᵀ)·b̄ + Cs, Cs = Uvᵀ·b̄ + vᵀ·k̄: the [N,N] transition S·(diag(Γ_L) + Waᵀ·b̄) is
    # never built (it cost more than the two thin per-chunk matmuls).
    Cs = torch.cat((Uv, v), 2).transpose(-1, -2) @ torch.cat((b_bar, k_til * g_last), 2)  # [n,H,N,N]
    WaT = Wa.transpose(-1, -2)  # [n,H,N,L]

    y = torch.empty(n, H, L, N, dtype=S.dtype, device=S.device)
    for c in range(n):
        torch.baddbmm(Yc[c], Gy[c], S.transpose(1, 2), out=y[c])
        Cs[c].baddbmm_(S @ WaT[c], b_bar[c])
        S.mul_(g_last[c]).add_(Cs[c])
    return y.transpose(1, 2).reshape(n * L, H, N)[:T].contiguous()
