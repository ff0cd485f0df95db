"""Reference logits from the `rwkv` pip package (0.8.32, `cpu fp32`), run as a subprocess by the tests.

usage: python oracle_rwkv.py JOBS.json
JOBS.json: [{"checkpoint": ".../x.pth", "version": "7", "cases": {...}, "out": ".../x.npz"}, ...]; all jobs are
RWKV-7 or all are RWKV-4/5.2/6, because the package picks its model class from the environment at import time.
Cases: {"name": {"chunks": [[ids], ...]}}          -> fp32 logits after the last chunk (state carried over);
       {"name": {"greedy": [prompt ids], "n": 10}} -> the ids of n argmax steps.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    v7 = {job["version"] == "7" for job in jobs}
    if len(v7) != 1:
        raise SystemExit("mix of RWKV-7 and older jobs: run them in separate processes")
    os.environ["RWKV_JIT_ON"] = os.environ.get("RWKV_JIT_ON", "0")
    os.environ["RWKV_CUDA_ON"] = "0"
    if v7.pop():
        os.environ["RWKV_V7_ON"] = "1"
    import numpy as np
    import torch

    torch.set_num_threads(1)
    from rwkv.model import RWKV

    for job in jobs:
        ckpt = job["checkpoint"]
        if job["version"] == "7":  # the v7 loader appends .pth itself
            model = RWKV(model=ckpt[: -len(".pth")], strategy="cpu fp32")
        else:
            model = RWKV(model=ckpt, strategy="cpu fp32", verbose=False)
        out = {}
        for name, case in job["cases"].items():
            if "chunks" in case:
                state = None
                for chunk in case["chunks"]:
                    logits, state = model.forward(list(chunk), state)
                out[name] = logits.float().numpy()
            else:
                logits, state = model.forward(list(case["greedy"]), None)
                ids = []
                for _ in range(int(case["n"])):
                    nxt = int(torch.argmax(logits))
                    ids.append(nxt)
                    logits, state = model.forward([nxt], state)
                out[name] = np.array(ids, dtype=np.int64)
        np.savez(job["out"], **out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
