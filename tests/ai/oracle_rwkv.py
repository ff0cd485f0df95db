"""Reference logits from the `rwkv` pip package (0.8.32, `cpu fp32`), run as a subprocess by the tests.

usage: python oracle_rwkv.py CHECKPOINT.pth VERSION CASES.json OUT.npz
Cases: {"name": {"chunks": [[ids], [ids], ...]}}  -> logits after the last chunk (state carried across chunks);
       {"name": {"greedy": [prompt ids], "n": 10}} -> ids of n argmax steps.
The environment is set before the import because the package picks its classes at import time.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    ckpt, version, cases_path, out_path = sys.argv[1:5]
    os.environ["RWKV_JIT_ON"] = os.environ.get("RWKV_JIT_ON", "0")
    os.environ["RWKV_CUDA_ON"] = "0"
    if version == "7":
        os.environ["RWKV_V7_ON"] = "1"
    import numpy as np
    import torch

    torch.set_num_threads(1)
    from rwkv.model import RWKV

    model_path = ckpt[: -len(".pth")] if ckpt.endswith(".pth") else ckpt  # the v7 loader appends .pth
    model = (
        RWKV(model=model_path if version == "7" else ckpt, strategy="cpu fp32", verbose=False)
        if version != "7"
        else RWKV(model=model_path, strategy="cpu fp32")
    )
    with open(cases_path) as f:
        cases = json.load(f)
    out = {}
    for name, case in cases.items():
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
    np.savez(out_path, **out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
