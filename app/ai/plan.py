"""The execution plan: where and how a model runs, chosen once at load and shown to the user.

`plan_for(info, device, dtype, kernels)` resolves the settings `ai.device`, `ai.dtype` and `ai.kernels`
against this machine and the checkpoint, and returns a `Plan`: the device, the weight precision, the engine
(native CPU kernels of one variant, torch ops on the CPU, or CUDA) and, in `why`, the reason for each choice.
The engines take the plan as given: nothing below it decides again.

`auto` precision (see docs/ENGINE.md): on CUDA fp16 (int8 when fp16 does not fit in free GPU memory); on
the CPU int8 when it fits in free memory with room to spare, else int4. int8 rather than the faster int4 by
default because its logits stay within 1-4 % of fp32 (relative L2) while int4's move by 12-34 % (random-weight
checkpoints, tests/ai/test_int4.py); bf16/fp32 are never chosen on the CPU by `auto`, since they read 2-4x the bytes per token and decode
is bound by memory bandwidth.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import torch

from app.ai import native_build
from app.ai.checkpoint import CheckpointInfo
from app.ai.native_ops import Kernels, kernels
from app.errors import ModelLoadError
from app.sizes import format_size

log = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("auto", "fp32", "fp16", "bf16", "int8", "int4")
KERNELS = ("auto", "avx512", "avx2", "neondot", "neon", "portable", "torch")
ROOM = 1.25  # `auto` wants this many times the weights free, plus HEADROOM bytes
HEADROOM = 300 * 2**20
CONTEXTS = ("cli", "gui")  # who loads the model: a command (or the feed server alone), or the window
CORES = torch.get_num_threads()  # torch's default at import: one thread per physical core


def logical_cpus() -> int:
    """Hardware threads this process may run on (its CPU affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def thread_rule(setting: int, context: str = "cli", cores: int = 0, logical: int = 0) -> tuple[int, str]:
    """(CPU threads for the model, why): `ai.threads` when set (> 0); else every core for a command; for the
    window (context "gui") every core but one unless SMT leaves hardware threads to spare, so the GUI thread
    always finds a free core while the model decodes. The native kernels' OpenMP threads spin-wait at each
    layer's barrier (libgomp: ~300k iterations before sleeping): with a thread on every core the window's
    event loop waits for time slices, and on a busy machine the spinning threads also slow each other. Measured
    on 2 cores (tests/bench/bench_gui_latency.py --engine, 1.5B int8, docs/ENGINE.md): 1 thread decoded at
    3.7-4.8 tok/s with event-loop p95 lateness 5-6 ms, 2 threads at 0.8-1.2 tok/s with 9-14 ms. With SMT the
    window runs on a free sibling thread and the model keeps every core. `cores` and `logical` default to this
    machine's."""
    if context not in CONTEXTS:
        raise ValueError(f"unknown context {context!r} (one of {', '.join(CONTEXTS)})")
    if setting > 0:
        return setting, "ai.threads"
    cores, logical = cores or CORES, logical or logical_cpus()
    every = f"all {cores} cores" if cores > 1 else "the one core"
    if context == "cli":
        return cores, every
    if logical > cores:
        return cores, f"GUI: {every}, the window on a spare hardware thread"
    if cores > 1:
        return cores - 1, "GUI: 1 core left for the window"
    return cores, f"GUI: {every} (none to leave)"


@dataclass(frozen=True)
class Plan:
    device: str  # "cpu", "cuda", "cuda:1"
    dtype: str  # weight precision: fp32, fp16, bf16, int8, int4
    engine: str  # "native" (CPU kernels of `variant`), "torch" (torch ops on the CPU) or "cuda"
    variant: str = ""  # avx512, avx2 (x86-64), neondot, neon (aarch64), portable (engine "native" only)
    threads: int = 0
    why: tuple[str, ...] = ()
    kern: Kernels | None = field(default=None, compare=False, repr=False)
    threads_why: str = ""  # thread_rule's reason, shown beside the count

    @property
    def torch_device(self) -> torch.device:
        return torch.device(self.device)

    def summary(self) -> str:
        """One line for the user, e.g. "cpu · int8 · native avx2 kernels (prebuilt) · 2 threads"."""
        if self.engine == "native":
            origin = f" ({self.kern.origin})" if self.kern is not None and self.kern.origin else ""
            how = f"native {self.variant} kernels{origin}"
        elif self.engine == "torch":
            how = "torch ops"
        else:
            how = "CUDA (torch)"
        threads = (
            f" · {self.threads} thread{'s' if self.threads != 1 else ''}" if self.device == "cpu" else ""
        )
        if threads and self.threads_why.startswith("GUI"):
            threads += f" ({self.threads_why})"
        return f"{self.device} · {self.dtype} · {how}{threads}"

    def as_dict(self) -> dict:
        return {
            "device": self.device,
            "dtype": self.dtype,
            "engine": self.engine,
            "variant": self.variant,
            "threads": self.threads,
            "threads_why": self.threads_why,
            "summary": self.summary(),
            "why": list(self.why),
        }


def free_memory(device: torch.device) -> int | None:
    """Free bytes on the device (CPU: available pages), or None when unknown."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _device(device: str) -> torch.device:
    if device not in DEVICES and not device.startswith("cuda:"):
        raise ModelLoadError(f"unknown device {device!r}", hint="Use auto, cpu or cuda.")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelLoadError(
            "CUDA was requested but no CUDA GPU is available to torch",
            hint="Choose the CPU device, or install a CUDA build of torch.",
        )
    return torch.device(device)


def _fits(info: CheckpointInfo, dtype: str, free: int | None) -> bool:
    return free is None or info.memory_needed(dtype) * ROOM + HEADROOM <= free


def _auto_dtype(info: CheckpointInfo, dev: torch.device, why: list[str]) -> str:
    free = free_memory(dev)
    gib = f"{format_size(free, 'GiB')} free" if free is not None else "free memory unknown"
    order = ("fp16", "int8") if dev.type == "cuda" else ("int8", "int4")
    for dtype in order:
        if _fits(info, dtype, free):
            why.append(
                f"precision auto: {dtype} ({format_size(info.memory_needed(dtype), 'GiB')} of weights, {gib})"
            )
            return dtype
    raise ModelLoadError(
        f"the model needs {format_size(info.memory_needed(order[-1]), 'GiB')} even as {order[-1]}, {gib}",
        hint="Choose a smaller model, or close other programs.",
    )


def _check_memory(info: CheckpointInfo, dev: torch.device, dtype: str) -> None:
    need, free = info.memory_needed(dtype), free_memory(dev)
    if free is None:
        return
    slack = 1.0 if dev.type == "cuda" else 1.5  # page cache counts as used on the CPU: refuse what cannot fit
    if need > free * slack:
        where = "GPU memory" if dev.type == "cuda" else "memory"
        raise ModelLoadError(
            f"the model needs {format_size(need, 'GiB')} of {where} as {dtype}, {format_size(free, 'GiB')} free",
            hint="Use int8 or int4, or a smaller model.",
        )


def shape_reason(info: CheckpointInfo) -> str:
    """Why the native kernels cannot run this checkpoint's shapes ("" when they can)."""
    if info.n_embd % 64 or info.ffn_dim % 64:
        return "the native kernels need widths in multiples of 64"
    if info.version != "4" and (info.head_size % 16 or info.head_size > 256):
        return "the native kernels need heads of 16 to 256 in steps of 16"
    return ""


def _native(kernels_setting: str, info: CheckpointInfo, why: list[str]) -> tuple[str, Kernels | None]:
    """(variant, kernels) for the CPU, or ("", None) for torch ops; reasons appended to `why`."""
    if kernels_setting == "torch":
        why.append("kernels: torch ops (ai.kernels = torch)")
        return "", None
    reason = shape_reason(info)
    if reason:
        if kernels_setting != "auto":
            raise ModelLoadError(
                f"the {kernels_setting} kernels cannot run this model: {reason}",
                hint="Set ai.kernels to auto.",
            )
        why.append(f"kernels: torch ops ({reason})")
        return "", None
    wanted = [kernels_setting] if kernels_setting != "auto" else list(native_build.variants())
    refused = []
    for variant in wanted:
        kern = kernels(variant)
        if kern is not None:
            chosen = "ai.kernels" if kernels_setting != "auto" else "the fastest this CPU runs"
            why.append(f"kernels: native {variant} ({chosen}; {kern.origin} library)")
            return variant, kern
        refused.append(f"{variant}: {native_build.load(variant).reason}")
    if kernels_setting != "auto":
        raise ModelLoadError(
            f"the {kernels_setting} kernels cannot run here ({refused[0]})",
            hint="Set ai.kernels to auto (or torch).",
        )
    why.append("kernels: torch ops (" + "; ".join(refused) + ")")
    return "", None


def plan_for(
    info: CheckpointInfo,
    device: str = "auto",
    dtype: str = "auto",
    kernels: str = "auto",
    threads: int = 0,
    context: str = "cli",
) -> Plan:
    """The plan for this checkpoint on this machine; ModelLoadError with a hint for what cannot run. `context`
    says who loads it ("cli" or "gui"), for the thread count (`thread_rule`)."""
    if dtype not in DTYPES:
        raise ModelLoadError(f"unknown dtype {dtype!r}", hint="Use " + ", ".join(DTYPES) + ".")
    if kernels not in KERNELS:
        raise ModelLoadError(f"unknown kernels {kernels!r}", hint="Use " + ", ".join(KERNELS) + ".")
    dev = _device(device)
    why: list[str] = [
        f"device: {dev} ({'ai.device' if device != 'auto' else 'auto: ' + ('a CUDA GPU is present' if dev.type == 'cuda' else 'no CUDA GPU')})"
    ]
    if dtype == "auto":
        dtype = _auto_dtype(info, dev, why)
    else:
        why.append(f"precision: {dtype} (ai.dtype)")
        _check_memory(info, dev, dtype)
    if dev.type == "cpu" and dtype == "fp16":
        raise ModelLoadError(
            "fp16 is not supported on the CPU", hint="Use fp32, bf16, int8 or int4 on the CPU."
        )
    if dev.type == "cuda":
        if kernels not in ("auto", "torch"):
            raise ModelLoadError(f"the {kernels} kernels run on the CPU only", hint="Set ai.kernels to auto.")
        if dtype == "int4":
            why.append("int4 on CUDA widens the weights per call (no CUDA int4 kernel): slow")
        return Plan(str(dev), dtype, "cuda", why=tuple(why))
    n_threads, threads_why = thread_rule(threads, context)
    variant, kern = _native(kernels, info, why)
    why.append(f"threads: {n_threads} ({threads_why})")
    plan = Plan(
        "cpu", dtype, "native" if kern else "torch", variant, n_threads, tuple(why), kern, threads_why
    )
    log.info("plan: %s (%s)", plan.summary(), "; ".join(plan.why))
    return plan
