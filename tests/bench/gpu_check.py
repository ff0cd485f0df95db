"""The CUDA checks of issue 12 in one run (tests/bench/gpu_check.sh runs this; under 8 minutes on one GPU).

1. Reference: random L4 C256 V1000 checkpoints of every generation; ours on CUDA (fp16, bf16, int8) against the
   rwkv package 0.8.32 on CUDA (strategies cuda fp16 / cuda bf16 / cuda fp16i8), logits after a prompt and
   token by token; and against our own fp32 CPU forward.
2. Speed: RWKV-7 at the 1.5B (L24 C2048) and 7.2B (L32 C4096) shapes, random weights built in memory (no file):
   decode and 512-token prefill tokens/s, decode bytes/token x tokens/s as a fraction of the copy bandwidth
   measured here (a stand-in for the HBM bound).
Prints one JSON line per result and a summary; exit 1 if a reference check fails.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.ai.checkpoint import describe
from app.ai.make_random import make_random_checkpoint, random_state_dict
from app.ai.model import build_model, load_model

PROMPT = [5, 17, 999, 3, 42, 7, 100, 250, 8, 1]
STRATEGY = {"fp16": "cuda fp16", "bf16": "cuda bf16", "int8": "cuda fp16i8"}
TOL = {"fp16": 0.02, "bf16": 0.05, "int8": 0.08}  # max|Δ|/max|ref|, as the CPU reduced-precision tests


def say(**kw) -> None:
    print(json.dumps(kw), flush=True)


def reference(root: Path) -> bool:
    ok = True
    for version in ("7", "6", "5.2", "4"):
        path = make_random_checkpoint(
            root / f"v{version}", version=version, n_layer=4, n_embd=256, vocab_size=1000
        )
        cpu = load_model(path, device="cpu", dtype="fp32", kernels="torch").forward(PROMPT)[0].numpy()
        for dtype in ("fp16", "bf16", "int8"):
            ours = load_model(path, device="cuda", dtype=dtype)
            seq = ours.forward(PROMPT)[0].cpu().numpy()
            state = None
            for t in PROMPT:
                one, state = ours.forward([t], state)
            ref = _package(path, version, STRATEGY[dtype])
            err_ref = float(np.abs(seq - ref).max() / np.abs(ref).max())
            err_cpu = float(np.abs(seq - cpu).max() / np.abs(cpu).max())
            err_one = float(np.abs(one.cpu().numpy() - seq).max() / np.abs(seq).max())
            good = err_ref < TOL[dtype] and err_cpu < TOL[dtype] and err_one < TOL[dtype]
            ok &= good
            say(
                check="reference",
                version=version,
                dtype=dtype,
                vs_rwkv=err_ref,
                vs_cpu_fp32=err_cpu,
                one_vs_seq=err_one,
                ok=good,
            )
    return ok


def _package(path: Path, version: str, strategy: str) -> np.ndarray:
    import subprocess

    code = (
        "import os,sys,json;os.environ['RWKV_V7_ON']='1' if sys.argv[2]=='7' else '0';"
        "os.environ['RWKV_JIT_ON']='0';os.environ['RWKV_CUDA_ON']='0';import numpy as np;"
        "from rwkv.model import RWKV;p=sys.argv[1];"
        "m=RWKV(model=p[:-4] if sys.argv[2]=='7' else p,strategy=sys.argv[3]);"
        f"l,_=m.forward({PROMPT},None);np.save(sys.argv[4],l.float().cpu().numpy())"
    )
    out = path.with_suffix(f".{strategy.replace(' ', '_')}.npy")
    subprocess.run(
        [sys.executable, "-c", code, str(path), version, strategy, str(out)], check=True, timeout=300
    )
    return np.load(out)


def copy_bandwidth() -> float:
    x = torch.empty(2**30, dtype=torch.uint8, device="cuda")
    y = torch.empty_like(x)
    best = 0.0
    for _ in range(5):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        y.copy_(x)
        torch.cuda.synchronize()
        best = max(best, 2 * x.numel() / (time.perf_counter() - t0))
    return best


def speed(name: str, n_layer: int, n_embd: int, bw: float) -> None:
    weights = random_state_dict(version="7", n_layer=n_layer, n_embd=n_embd, vocab_size=65536)
    for k in weights:
        weights[k] = weights[k].to(torch.bfloat16)
    info = describe(weights, Path(f"random-{name}.pth"))
    for dtype in ("fp16", "int8"):
        model = build_model(dict(weights), info, device="cuda", dtype=dtype)
        prompt = [(i * 7919 + 13) % 65535 + 1 for i in range(512)]
        model.forward(prompt[:64])
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        logits, state = model.forward(prompt)
        torch.cuda.synchronize()
        prefill = 512 / (time.perf_counter() - t0)
        for _ in range(3):
            logits, _ = model.forward([int(torch.argmax(logits))], state, inplace=True)
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(32):
            logits, _ = model.forward([int(torch.argmax(logits))], state, inplace=True)
        torch.cuda.synchronize()
        decode = 32 / (time.perf_counter() - t0)
        nbytes = model.weight_bytes_per_token()
        say(
            check="speed",
            shape=name,
            dtype=dtype,
            decode_tok_s=decode,
            prefill_tok_s=prefill,
            bytes_per_token=nbytes,
            bandwidth_fraction=nbytes * decode / bw,
        )
        del model
        torch.cuda.empty_cache()
    del weights


def main() -> int:
    if not torch.cuda.is_available():
        print("no CUDA device: nothing to check")
        return 2
    say(device=torch.cuda.get_device_name(0), torch=torch.__version__)
    root = Path(os.environ.get("GPU_CHECK_DIR", "/tmp/hearth-gpu-check"))
    root.mkdir(parents=True, exist_ok=True)
    ok = reference(root)
    bw = copy_bandwidth()
    say(check="copy_bandwidth", gbps=bw / 1e9)
    speed("1.5b", 24, 2048, bw)
    speed("7.2b", 32, 4096, bw)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
