"""Issue 12's CPU targets in one run, rounds alternating (the machine is shared: compare ratios, not figures).

usage: python tests/bench/bench_cpu_targets.py [--dir DIR] [--rounds 2] [--old-tree DIR]
- the plan shown for this machine;
- 0.4B (L24 C1024) int8 decode: native avx2 kernels vs the torch path run with ATEN_CPU_CAPABILITY=avx2;
- int4 vs int8 decode at C2048 (the 1.5B width; --wide-layers layers, fewer than 1.5B's 24 to keep the random
  checkpoint small) and the int4 group size by matvec speed (32, 64, 128);
- peak load RSS (VmHWM of a fresh process) for int8 from the fp32 .pth, this tree vs --old-tree (a checkout
  of an earlier commit), against 1.25 x resident weights + 300 MB.
Each figure comes from a fresh subprocess.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VOCAB = 65536


def _status(field: str) -> int:
    """VmHWM / VmRSS of this process in bytes (VmHWM starts afresh at exec, unlike ru_maxrss)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def child(path: str, dtype: str, kernels: str, what: str) -> None:
    import torch

    from app.ai.model import load_model

    base = _status("VmHWM")  # torch and the app imported
    t0 = time.perf_counter()
    try:
        model = load_model(path, device="cpu", dtype=dtype, kernels=kernels)
    except TypeError:  # an older tree without `kernels`
        model = load_model(path, device="cpu", dtype=dtype)
    load_s = time.perf_counter() - t0
    peak = _status("VmHWM")
    resident = 0
    seen = set()
    for obj in _tensors(model):
        key = obj.untyped_storage().data_ptr()
        if key not in seen:
            seen.add(key)
            resident += obj.untyped_storage().nbytes()
    out = {
        "load_s": load_s,
        "peak_rss": peak,
        "base_rss": base,
        "rss_after": _status("VmRSS"),
        "resident": resident,
    }
    if what == "decode":
        logits, state = model.forward([1, 2, 3, 4])
        tok = int(torch.argmax(logits))
        for _ in range(4):
            logits, _ = model.forward([tok], state, inplace=True)
        best = 0.0
        for _ in range(3):
            t0 = time.perf_counter()
            for _ in range(12):
                logits, _ = model.forward([int(torch.argmax(logits))], state, inplace=True)
            best = max(best, 12 / (time.perf_counter() - t0))
        out["decode"] = best
        out["plan"] = getattr(getattr(model, "plan", None), "summary", lambda: "")()
    print(json.dumps(out))


def _tensors(model):
    import torch

    stack, seen = [model], set()
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, torch.Tensor):
            yield obj
        elif isinstance(obj, (list, tuple)):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif hasattr(obj, "__dict__") and type(obj).__module__.startswith("app."):
            stack.extend(vars(obj).values())


def run(path: Path, dtype: str, kernels: str, what: str, env: dict | None = None, tree: Path = ROOT) -> dict:
    e = {**os.environ, **(env or {}), "PYTHONPATH": str(tree)}
    cmd = [sys.executable, __file__, "--child", str(path), dtype, kernels, what]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=e, cwd=tree, timeout=1800)
    if proc.returncode:
        raise SystemExit(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def group_speed() -> dict:
    import torch

    from app.ai import native_build, native_ops
    from app.ai.quant import Int4Linear

    kern = native_ops.kernels(native_build.runnable()[0])
    w = torch.randn(8192, 2048) / 45
    x = torch.randn(2048)
    out = {}
    for g in (64, 128, 256):
        lins = [Int4Linear(w, torch.float32, torch.bfloat16, group=g, kern=kern) for _ in range(8)]
        best = 0.0
        for _ in range(5):
            t0 = time.perf_counter()
            for lin in lins:
                lin(x)
            best = max(best, sum(lin.nbytes for lin in lins) / (time.perf_counter() - t0) / 1e9)
        err = float((lins[0].dequantized(torch.float32) - w).pow(2).mean().sqrt() / w.pow(2).mean().sqrt())
        out[g] = {"gbps": best, "weights_per_s_g": best / (lins[0].nbytes / w.numel()), "rel_rms_err": err}
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", type=Path, default=Path("/tmp/hearth-bench"))
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--wide-layers", type=int, default=6)
    ap.add_argument("--old-tree", type=Path)
    ap.add_argument("--threads", type=int, default=0, help="OMP_NUM_THREADS for the runs (0: all cores)")
    ap.add_argument("--no-rss", action="store_true")
    ap.add_argument("--child", nargs=4)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return 0
    sys.path.insert(0, str(ROOT))
    from app.ai.make_random import make_random_checkpoint

    args.dir.mkdir(parents=True, exist_ok=True)
    small = args.dir / "rwkv7-random-0.4b.pth"
    wide = args.dir / f"rwkv7-random-L{args.wide_layers}C2048.pth"
    for p, (n_layer, c) in ((small, (24, 1024)), (wide, (args.wide_layers, 2048))):
        if not p.exists():
            make_random_checkpoint(p, version="7", n_layer=n_layer, n_embd=c, vocab_size=VOCAB)
    res: dict = {"groups": group_speed()}
    print("int4 group sizes (matvec):", json.dumps(res["groups"]), flush=True)
    print("plan here:", run(small, "int8", "auto", "decode").get("plan"), flush=True)
    rows: dict = {}
    for _ in range(args.rounds):
        for name, (path, dtype, kern, env) in {
            "0.4b int8 avx2": (small, "int8", "avx2", None),
            "0.4b int8 torch(aten avx2)": (small, "int8", "torch", {"ATEN_CPU_CAPABILITY": "avx2"}),
            "wide int8 auto": (wide, "int8", "auto", None),
            "wide int4 auto": (wide, "int4", "auto", None),
        }.items():
            if args.threads:
                env = {**(env or {}), "OMP_NUM_THREADS": str(args.threads)}
            r = run(path, dtype, kern, "decode", env)
            if name not in rows or r["decode"] > rows[name]["decode"]:
                rows[name] = r
            print(name, json.dumps(r), flush=True)
    res["decode"] = rows
    res["avx2_vs_torch"] = rows["0.4b int8 avx2"]["decode"] / rows["0.4b int8 torch(aten avx2)"]["decode"]
    res["int4_vs_int8"] = rows["wide int4 auto"]["decode"] / rows["wide int8 auto"]["decode"]
    if args.no_rss:
        print(json.dumps(res, indent=1))
        return 0
    rss = {"new": run(small, "int8", "auto", "load")}
    if args.old_tree:
        rss["old"] = run(small, "int8", "auto", "load", tree=args.old_tree)
    for r in rss.values():
        r["limit"] = 1.25 * r["resident"] + 300 * 2**20
    res["rss_0.4b_int8_from_fp32"] = rss
    print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
