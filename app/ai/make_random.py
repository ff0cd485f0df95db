"""Random RWKV-4/5.2/6/7 checkpoints with the official key names and shapes (fp32), for tests and benchmarks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

Tensor = torch.Tensor


def _lora_dim(c: int, factor: float, power: float = 0.5) -> int:
    return max(32, round(factor * (c**power) / 32) * 32)


class _Gen:
    """Seeded tensor factory with scales that keep activations and logits in realistic ranges."""

    def __init__(self, seed: int) -> None:
        self.g = torch.Generator().manual_seed(seed)

    def normal(self, *shape: int, std: float = 1.0, mean: float = 0.0) -> Tensor:
        return torch.randn(*shape, generator=self.g) * std + mean

    def uniform(self, *shape: int, lo: float = 0.0, hi: float = 1.0) -> Tensor:
        return torch.rand(*shape, generator=self.g) * (hi - lo) + lo

    def linear(self, out: int, inp: int, gain: float = 1.0) -> Tensor:
        return self.normal(out, inp, std=gain / inp**0.5)

    def ln(self, d: dict[str, Tensor], prefix: str, c: int) -> None:
        d[prefix + ".weight"] = self.normal(c, std=0.1, mean=1.0)
        d[prefix + ".bias"] = self.normal(c, std=0.1)


def _common(g: _Gen, d: dict[str, Tensor], n_layer: int, c: int, vocab: int) -> None:
    d["emb.weight"] = g.normal(vocab, c)
    g.ln(d, "blocks.0.ln0", c)
    for i in range(n_layer):
        g.ln(d, f"blocks.{i}.ln1", c)
        g.ln(d, f"blocks.{i}.ln2", c)
    g.ln(d, "ln_out", c)
    d["head.weight"] = g.linear(vocab, c, gain=2.0)


def _v4(g: _Gen, d: dict[str, Tensor], n_layer: int, c: int, head_size: int) -> None:
    f = 4 * c
    for i in range(n_layer):
        a, m = f"blocks.{i}.att.", f"blocks.{i}.ffn."
        d[a + "time_decay"] = g.uniform(c, lo=-5.0, hi=1.5)
        d[a + "time_first"] = g.normal(c, std=0.5, mean=-0.5)
        for x in "kvr":
            d[a + f"time_mix_{x}"] = g.uniform(1, 1, c)
        for x in ("key", "value", "receptance"):
            d[a + f"{x}.weight"] = g.linear(c, c)
        d[a + "output.weight"] = g.linear(c, c, gain=0.5)
        for x in "kr":
            d[m + f"time_mix_{x}"] = g.uniform(1, 1, c)
        d[m + "key.weight"] = g.linear(f, c)
        d[m + "receptance.weight"] = g.linear(c, c)
        d[m + "value.weight"] = g.linear(c, f, gain=0.5)


def _v5_ffn(g: _Gen, d: dict[str, Tensor], m: str, c: int, mix: str) -> None:
    f = int(c * 3.5) // 32 * 32
    for x in "kr":
        d[m + f"{mix}_{x}"] = g.uniform(1, 1, c)
    d[m + "key.weight"] = g.linear(f, c)
    d[m + "receptance.weight"] = g.linear(c, c)
    d[m + "value.weight"] = g.linear(c, f, gain=0.5)


def _v5(g: _Gen, d: dict[str, Tensor], n_layer: int, c: int, head_size: int) -> None:
    h = c // head_size
    for i in range(n_layer):
        a = f"blocks.{i}.att."
        for x in "kvrg":
            d[a + f"time_mix_{x}"] = g.uniform(1, 1, c)
        d[a + "time_decay"] = g.uniform(h, head_size, lo=-6.0, hi=0.5)
        d[a + "time_faaaa"] = g.normal(h, head_size, std=0.3, mean=0.5)
        for x in ("key", "value", "receptance", "gate"):
            d[a + f"{x}.weight"] = g.linear(c, c)
        d[a + "output.weight"] = g.linear(c, c, gain=0.5)
        g.ln(d, a + "ln_x", c)
        _v5_ffn(g, d, f"blocks.{i}.ffn.", c, "time_mix")


def _v6(g: _Gen, d: dict[str, Tensor], n_layer: int, c: int, head_size: int) -> None:
    h, dm, dd = c // head_size, 32, 64
    for i in range(n_layer):
        a = f"blocks.{i}.att."
        for x in "xwkvrg":
            d[a + f"time_maa_{x}"] = g.uniform(1, 1, c)
        d[a + "time_maa_w1"] = g.normal(c, 5 * dm, std=0.1)
        d[a + "time_maa_w2"] = g.normal(5, dm, c, std=0.1)
        d[a + "time_decay"] = g.uniform(1, 1, c, lo=-6.0, hi=0.5)
        d[a + "time_decay_w1"] = g.normal(c, dd, std=0.1)
        d[a + "time_decay_w2"] = g.normal(dd, c, std=0.1)
        d[a + "time_faaaa"] = g.normal(h, head_size, std=0.3, mean=0.5)
        for x in ("key", "value", "receptance", "gate"):
            d[a + f"{x}.weight"] = g.linear(c, c)
        d[a + "output.weight"] = g.linear(c, c, gain=0.5)
        g.ln(d, a + "ln_x", c)
        _v5_ffn(g, d, f"blocks.{i}.ffn.", c, "time_maa")


def _v7(g: _Gen, d: dict[str, Tensor], n_layer: int, c: int, head_size: int) -> None:
    h = c // head_size
    dw, da = _lora_dim(c, 1.8), _lora_dim(c, 1.8)
    dv, dg = _lora_dim(c, 1.3), _lora_dim(c, 0.6, 0.8)
    for i in range(n_layer):
        a, m = f"blocks.{i}.att.", f"blocks.{i}.ffn."
        for x in "rwkvag":
            d[a + f"x_{x}"] = g.uniform(1, 1, c)
        d[a + "w0"] = g.uniform(1, 1, c, lo=-3.0, hi=2.0)
        d[a + "w1"] = g.normal(c, dw, std=0.1)
        d[a + "w2"] = g.normal(dw, c, std=0.1)
        d[a + "a0"] = g.normal(1, 1, c, std=0.5)
        d[a + "a1"] = g.normal(c, da, std=0.1)
        d[a + "a2"] = g.normal(da, c, std=0.1)
        if i > 0:
            d[a + "v0"] = g.normal(1, 1, c, std=0.5, mean=0.5)
            d[a + "v1"] = g.normal(c, dv, std=0.1)
            d[a + "v2"] = g.normal(dv, c, std=0.1)
        d[a + "g1"] = g.normal(c, dg, std=0.1)
        d[a + "g2"] = g.normal(dg, c, std=0.1)
        d[a + "k_k"] = g.normal(1, 1, c, std=0.1, mean=0.85)
        d[a + "k_a"] = g.normal(1, 1, c, std=0.1, mean=1.0)
        d[a + "r_k"] = g.normal(h, head_size, std=0.3)
        for x in ("receptance", "key", "value"):
            d[a + f"{x}.weight"] = g.linear(c, c)
        d[a + "output.weight"] = g.linear(c, c, gain=0.5)
        g.ln(d, a + "ln_x", c)
        d[m + "x_k"] = g.uniform(1, 1, c)
        d[m + "key.weight"] = g.linear(4 * c, c)
        d[m + "value.weight"] = g.linear(c, 4 * c, gain=0.5)


_BUILDERS: dict[str, Callable[[_Gen, dict[str, Tensor], int, int, int], None]] = {
    "4": _v4,
    "5.2": _v5,
    "6": _v6,
    "7": _v7,
}


def random_state_dict(
    *, version: str, n_layer: int, n_embd: int, vocab_size: int = 65536, head_size: int = 64, seed: int = 0
) -> dict[str, Tensor]:
    """The tensors of a random checkpoint, as `make_random_checkpoint` writes them."""
    if version not in _BUILDERS:
        raise ValueError(f"unknown RWKV version {version!r} (use one of {sorted(_BUILDERS)})")
    if version != "4" and n_embd % head_size:
        raise ValueError(f"n_embd {n_embd} is not a multiple of head_size {head_size}")
    g = _Gen(seed)
    d: dict[str, Tensor] = {}
    _common(g, d, n_layer, n_embd, vocab_size)
    _BUILDERS[version](g, d, n_layer, n_embd, head_size)
    return d


def make_random_checkpoint(
    out: Path,
    *,
    version: str,
    n_layer: int,
    n_embd: int,
    vocab_size: int = 65536,
    head_size: int = 64,
    seed: int = 0,
    fmt: str = "pth",
) -> Path:
    """Write a random fp32 checkpoint with official key names; `out` gets the .pth/.safetensors suffix if missing."""
    out = Path(out)
    d = random_state_dict(
        version=version, n_layer=n_layer, n_embd=n_embd, vocab_size=vocab_size, head_size=head_size, seed=seed
    )
    suffix = {"pth": ".pth", "safetensors": ".safetensors"}.get(fmt)
    if suffix is None:
        raise ValueError(f"unknown format {fmt!r} (use 'pth' or 'safetensors')")
    if out.suffix != suffix:
        out = out.with_name(out.name + suffix)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "pth":
        torch.save(d, out)
    else:
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in d.items()}, str(out))
    return out
