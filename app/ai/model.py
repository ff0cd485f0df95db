"""`load_model`: a file's generation picks its engine (app/ai/v4.py ... v7.py, all built on app/ai/engine.py;
RWKV-7 with native kernels in the plan: its fast path, app/ai/v7_native.py).

A load resolves the settings into one execution plan (app/ai/plan.py) before any weight is read; the engine
then lays out its weights and runs exactly that plan."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import torch

from app.ai.checkpoint import CheckpointInfo, load_time_state, open_weights
from app.ai.engine import CHUNK_LEN, RESCALE_EVERY, Model, Progress, RWKVModel, Tensor
from app.ai.plan import Plan, plan_for
from app.errors import ModelLoadError

__all__ = ["CHUNK_LEN", "RESCALE_EVERY", "Model", "RWKVModel", "build_model", "load_model"]

log = logging.getLogger(__name__)


def _engine_class(version: str, plan: Plan | None = None) -> type[RWKVModel]:
    # RWKV-7 with native kernels in the plan: the fast path (native decode and recurrence)
    if version == "7" and plan is not None and plan.kern is not None:
        from app.ai.v7_native import NativeRWKV7

        return NativeRWKV7
    if version == "7":
        from app.ai.v7 import RWKV7

        return RWKV7
    if version == "6":
        from app.ai.v6 import RWKV6

        return RWKV6
    if version == "5.2":
        from app.ai.v5 import RWKV5

        return RWKV5
    from app.ai.v4 import RWKV4

    return RWKV4


def build_model(
    weights: Mapping[str, Tensor],
    info: CheckpointInfo,
    *,
    device: str = "cpu",
    dtype: str = "fp32",
    kernels: str = "auto",
    progress: Progress | None = None,
) -> RWKVModel:
    """An engine from an already loaded state dict (tensors are consumed layer by layer)."""
    plan = plan_for(info, device, dtype, kernels)
    return _engine_class(info.version, plan)(dict(weights), info, plan, progress)


def load_model(
    path: Path | str,
    *,
    device: str = "auto",
    dtype: str = "auto",
    kernels: str = "auto",
    threads: int = 0,
    state_file: Path | None = None,
    progress: Progress | None = None,
    context: str = "cli",
) -> RWKVModel:
    """Load an RWKV checkpoint for inference. dtype: auto|fp32|fp16|bf16|int8|int4; device: auto|cpu|cuda;
    kernels: auto|avx512|avx2|portable|torch (see app/ai/plan.py). The file is read tensor by tensor and its
    pages are given back as each is converted (app/ai/checkpoint.py), so the peak stays near the result."""
    path = Path(path)
    weights, info = open_weights(path)
    plan = plan_for(info, device, dtype, kernels, threads, context)  # context "gui": the window's thread rule
    if plan.device == "cpu" and torch.get_num_threads() != plan.threads:
        torch.set_num_threads(plan.threads)  # this thread runs the model; new threads start from it too
    embedded = (
        [weights.pop(f"blocks.{i}.att.time_state").clone() for i in range(info.n_layer)]
        if info.has_time_state
        else []
    )
    log.info(
        "loading RWKV-%s L%d C%d V%d (%s file): %s",
        info.version,
        info.n_layer,
        info.n_embd,
        info.vocab_size,
        info.file_dtype,
        plan.summary(),
    )
    try:
        model = _engine_class(info.version, plan)(weights, info, plan, progress)
    except torch.cuda.OutOfMemoryError as exc:
        raise ModelLoadError(
            "out of GPU memory while loading the model", hint="Use int8 or the CPU."
        ) from exc
    finally:
        weights.close()  # the file's remaining pages go back now, not when the garbage collector gets to them
    dev = plan.torch_device
    if state_file is not None:
        model.set_initial_wkv(_layout_time_state(load_time_state(state_file, info), info, dev))
    elif embedded:
        model.set_initial_wkv(_layout_time_state(embedded, info, dev))
    return model


def _layout_time_state(per_layer: list[Tensor], info: CheckpointInfo, device: torch.device) -> list[Tensor]:
    """Tuned states are stored [value,key]: v7 uses that layout as-is, v5/v6 keep S[key,value] (transpose)."""
    if info.version == "7":
        return [s.float().to(device) for s in per_layer]
    return [s.float().transpose(1, 2).contiguous().to(device) for s in per_layer]
