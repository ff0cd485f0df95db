"""Sampling speed over RWKV World's full 65,536-entry vocabulary: Hearth's Sampler against a plain
torch softmax + top-p (sort) + multinomial, measured in the same run.

    python tests/bench/bench_sampler.py [--runs 5] [--tokens 50]

Moved here from tests/ai/test_sampler.py, which asserted `< 10 ms` per token: a wall-clock threshold
on a shared machine. Prints ms per token (best of runs) for peaked and flat logits.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from app.ai.sampler import Sampler, SamplingParams  # noqa: E402

VOCAB = 65536


def hearth_ms(logits: torch.Tensor, tokens: int, runs: int) -> float:
    sampler = Sampler(SamplingParams(seed=0), VOCAB)
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(tokens):
            sampler.observe(sampler.sample(logits))
        best = min(best, (time.perf_counter() - start) / tokens)
    return best * 1e3


def plain_torch_ms(logits: torch.Tensor, tokens: int, runs: int, top_p: float) -> float:
    g = torch.Generator().manual_seed(0)
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(tokens):
            probs = torch.softmax(logits, dim=-1)
            sorted_probs, order = torch.sort(probs, descending=True)
            keep = torch.cumsum(sorted_probs, dim=-1) - sorted_probs < top_p
            pick = torch.multinomial(sorted_probs * keep, 1, generator=g)
            int(order[pick])
        best = min(best, (time.perf_counter() - start) / tokens)
    return best * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=50)
    args = parser.parse_args()
    top_p = SamplingParams().top_p
    g = torch.Generator().manual_seed(0)
    for name, scale in (("peaked", 8.0), ("flat", 0.5)):
        logits = torch.randn(VOCAB, generator=g) * scale
        ours = hearth_ms(logits, args.tokens, args.runs)
        peer = plain_torch_ms(logits, args.tokens, args.runs, top_p)
        print(
            f"{name:>6} logits: Hearth Sampler {ours:.3f} ms/token, plain torch sort+multinomial "
            f"{peer:.3f} ms/token (ratio {ours / peer:.2f})"
        )


if __name__ == "__main__":
    main()
