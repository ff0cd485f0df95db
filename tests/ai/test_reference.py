"""Logits of every RWKV generation match the rwkv pip package (0.8.32, cpu fp32) on random fp32 checkpoints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from app.ai import native_build
from app.ai.make_random import make_random_checkpoint
from app.ai.model import load_model

VERSIONS = ("4", "5.2", "6", "7")
# every kernel variant this CPU runs (the default plan is the first), then torch ops alone
KERNELS = [*native_build.runnable(), "torch"]
OTHER_PLANS = tuple(f"{v}-{k}" for k in KERNELS[1:] for v in VERSIONS)
VOCAB = 1000
PROMPT = [5, 17, 999, 3, 42, 7, 100, 250, 8, 1]
RTOL = 1e-4  # max|Δ| / max|ref|
ORACLE = Path(__file__).with_name("oracle_rwkv.py")


def _cases() -> dict:
    return {
        "seq": {"chunks": [PROMPT]},
        "one": {"chunks": [[t] for t in PROMPT]},
        "chunked": {"chunks": [PROMPT[:4], PROMPT[4:]]},
        "greedy": {"greedy": PROMPT, "n": 10},
    }


def _tuned_state_checkpoint(src: Path, dst: Path) -> Path:
    """The v6 checkpoint with a random `att.time_state` [H,N,N] per layer embedded (pip supports this for v5/v6)."""
    d = torch.load(src, weights_only=True)
    g = torch.Generator().manual_seed(7)
    h, n = d["blocks.0.att.time_faaaa"].shape
    for i in range(3):
        d[f"blocks.{i}.att.time_state"] = torch.randn(h, n, n, generator=g) * 0.3
    torch.save(d, dst)
    return dst


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    """Checkpoints of every generation (L3 C128 H2 V1000) and the oracle's answers, from two subprocesses."""
    root = tmp_path_factory.mktemp("rwkv_ref")
    ckpts = {
        v: make_random_checkpoint(root / f"v{v}", version=v, n_layer=3, n_embd=128, vocab_size=VOCAB, seed=11)
        for v in VERSIONS
    }
    ckpts["6-state"] = _tuned_state_checkpoint(ckpts["6"], root / "v6-state.pth")
    jobs = {
        name: {
            "checkpoint": str(p),
            "version": name.split("-")[0],
            "cases": _cases(),
            "out": str(root / f"{name}.npz"),
        }
        for name, p in ckpts.items()
    }
    for group in ([j for n, j in jobs.items() if j["version"] != "7"], [jobs["7"]]):
        job_file = root / f"jobs-{group[0]['version']}.json"
        job_file.write_text(json.dumps(group))
        proc = subprocess.run(
            [sys.executable, str(ORACLE), str(job_file)], capture_output=True, text=True, timeout=240
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
    return {name: (ckpts[name], dict(np.load(j["out"]))) for name, j in jobs.items()}


def _close(ours: torch.Tensor, ref: np.ndarray) -> float:
    return float(np.abs(ours.numpy() - ref).max() / np.abs(ref).max())


@pytest.fixture(scope="module")
def models(reference) -> dict:
    loaded = {name: load_model(path, device="cpu", dtype="fp32") for name, (path, _) in reference.items()}
    assert all(m.plan.engine == ("torch" if KERNELS[0] == "torch" else "native") for m in loaded.values())
    # every generation also through each other variant and torch ops alone (machines without the kernels)
    for k in KERNELS[1:]:
        for v in VERSIONS:
            model = load_model(reference[v][0], device="cpu", dtype="fp32", kernels=k)
            assert model.plan.engine == ("torch" if k == "torch" else "native") and model.plan.variant in (
                k,
                "",
            )
            loaded[f"{v}-{k}"] = model
    return loaded


def _ref(reference: dict, name: str) -> dict:
    return reference[name.split("-")[0] if name != "6-state" else name][1]


@pytest.mark.parametrize("version", [*VERSIONS, "6-state", *OTHER_PLANS])
def test_whole_prompt_matches(reference, models, version):
    logits, _ = models[version].forward(PROMPT)
    assert logits.dtype == torch.float32 and logits.shape == (VOCAB,)
    assert _close(logits, _ref(reference, version)["seq"]) < RTOL


@pytest.mark.parametrize("version", [*VERSIONS, "6-state", *OTHER_PLANS])
def test_token_by_token_matches(reference, models, version):
    state = None
    for t in PROMPT:
        logits, state = models[version].forward([t], state)
    assert _close(logits, _ref(reference, version)["one"]) < RTOL


@pytest.mark.parametrize("version", [*VERSIONS, *OTHER_PLANS])
def test_chunked_prefill_matches(reference, models, version):
    model = models[version]
    _, state = model.forward(PROMPT[:4])
    logits, _ = model.forward(PROMPT[4:], state)
    assert _close(logits, _ref(reference, version)["chunked"]) < RTOL
    before, model.chunk_len = model.chunk_len, 3  # the internal chunking: 3+3+3+1 tokens
    try:
        logits, _ = model.forward(PROMPT)
    finally:
        model.chunk_len = before
    assert _close(logits, _ref(reference, version)["seq"]) < RTOL


@pytest.mark.parametrize("version", [*VERSIONS, "6-state", *OTHER_PLANS])
def test_greedy_ids_match(reference, models, version):
    model = models[version]
    logits, state = model.forward(PROMPT)
    ids = []
    for _ in range(10):
        ids.append(int(torch.argmax(logits)))
        logits, state = model.forward([ids[-1]], state, inplace=True)
    assert ids == _ref(reference, version)["greedy"].tolist()


def test_safetensors_gives_the_same_logits(reference, models, tmp_path):
    path = make_random_checkpoint(
        tmp_path / "v7", version="7", n_layer=3, n_embd=128, vocab_size=VOCAB, seed=11, fmt="safetensors"
    )
    logits, _ = load_model(path, device="cpu", dtype="fp32").forward(PROMPT)
    assert _close(logits, reference["7"][1]["seq"]) < RTOL


@pytest.mark.parametrize("dtype", ["bf16", "int8"])
@pytest.mark.parametrize("version", VERSIONS)
def test_reduced_precision_stays_close(reference, version, dtype):
    path, ref = reference[version]
    logits, _ = load_model(path, device="cpu", dtype=dtype).forward(PROMPT)
    ref_seq = ref["seq"]
    assert _close(logits, ref_seq) < 0.08
    assert np.corrcoef(logits.numpy(), ref_seq)[0, 1] > 0.995
