"""Issue 12 at the real shapes: int4 vs int8 decode at 1.5B (L24 C2048) and peak load RSS at 1.5B / 2.9B.

usage: python tests/bench/bench_big_shapes.py [--dir DIR] [--shapes 1.5b,2.9b] [--formats pth,safetensors]
       [--dtypes int8,int4] [--decode] [--rounds 1]
Random RWKV-7 checkpoints in bf16 (the dtype of the released files) are written to DIR once and kept. To fit
a shared machine they are built without an fp32 copy of the whole model: the random tensors of a two-layer
model at the same width, converted to bf16, stand in for every layer (block 0 and blocks 1..L-1 copies of
block 1); weights' values do not change bytes read or resident memory. Each figure is a fresh subprocess
(tests/bench/bench_cpu_targets.py `--child`): peak RSS is its VmHWM, the limit is 1.25 x the resident
weights + 300 MB (issue 12), decode is the best of three 12-token windows (rounds alternate int8 / int4).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SHAPES = {"1.5b": (24, 2048), "2.9b": (32, 2560)}
VOCAB = 65536


def build(path: Path, n_layer: int, n_embd: int, fmt: str) -> Path:
    import torch

    from app.ai.make_random import random_state_dict

    if path.exists():
        return path
    small = random_state_dict(version="7", n_layer=2, n_embd=n_embd, vocab_size=VOCAB, seed=3)
    small = {k: v.to(torch.bfloat16) for k, v in small.items()}
    d: dict[str, torch.Tensor] = {}
    for key, t in small.items():
        if not key.startswith("blocks."):
            d[key] = t
    for i in range(n_layer):
        src = f"blocks.{min(i, 1)}."
        for key, t in small.items():
            if key.startswith(src):
                d[f"blocks.{i}." + key[len(src) :]] = t.clone()
    tmp = path.with_name(path.name + ".part")
    if fmt == "safetensors":
        from safetensors.torch import save_file

        save_file(d, str(tmp))
    else:
        torch.save(d, tmp)
    tmp.rename(path)
    return path


def main() -> int:
    from bench_cpu_targets import run

    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", type=Path, default=Path("/tmp/hearth-bench"))
    ap.add_argument("--shapes", default="1.5b")
    ap.add_argument("--formats", default="pth")
    ap.add_argument("--dtypes", default="int8,int4")
    ap.add_argument("--decode", action="store_true", help="also time decode (else load only)")
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    for shape in args.shapes.split(","):
        n_layer, n_embd = SHAPES[shape]
        for fmt in args.formats.split(","):
            path = build(args.dir / f"rwkv7-random-{shape}-bf16.{fmt}", n_layer, n_embd, fmt)
            for _ in range(args.rounds):
                for dtype in args.dtypes.split(","):
                    r = run(path, dtype, "auto", "decode" if args.decode else "load")
                    r["limit"] = 1.25 * r["resident"] + 300 * 2**20
                    r["peak_over_limit"] = r["peak_rss"] / r["limit"]
                    key = f"{shape} {fmt} {dtype}"
                    if key not in results or r.get("decode", 0) > results[key].get("decode", 0):
                        results[key] = r
                    gib = {
                        k: f"{v / 2**30:.2f} GiB"
                        for k, v in r.items()
                        if k in ("peak_rss", "resident", "limit")
                    }
                    print(key, json.dumps({**r, **gib}), flush=True)
            int8, int4 = results.get(f"{shape} {fmt} int8"), results.get(f"{shape} {fmt} int4")
            if args.decode and int8 and int4:
                ratio = int4["decode"] / int8["decode"]
                results[f"{shape} {fmt} int4/int8"] = ratio
                print(f"{shape} {fmt} int4 / int8 decode: {ratio:.2f}x", flush=True)
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
