"""RWKV checkpoint files (.pth / .safetensors): read keys and shapes safely, detect the generation, refuse the rest.

A `.pth` is a pickle, so it is only ever opened with `torch.load(weights_only=True, mmap=True)`: nothing in it runs.
"""

from __future__ import annotations

import logging
import pickle
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch

from app.ai.lean import ST_DTYPES, MappedWeights, SafetensorsWeights
from app.errors import ModelFormatError, ModelLoadError

log = logging.getLogger(__name__)

SUPPORTED_VERSIONS = ("4", "5.2", "6", "7")
_DTYPE_NAMES = {torch.float32: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16"}
_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2}
_BLOCK_RE = re.compile(r"^blocks\.(\d+)\.")
_HINT_OFFICIAL = "Use an official BlinkDL RWKV-4/5.2/6/7 .pth (or the same tensors as .safetensors)."

# Per-layer keys each generation needs; checked for every layer so a partial file fails here, not mid-forward.
_ATT_V7 = (
    "x_r",
    "x_w",
    "x_k",
    "x_v",
    "x_a",
    "x_g",
    "w0",
    "w1",
    "w2",
    "a0",
    "a1",
    "a2",
    "g1",
    "g2",
    "k_k",
    "k_a",
    "r_k",
    "receptance.weight",
    "key.weight",
    "value.weight",
    "output.weight",
    "ln_x.weight",
    "ln_x.bias",
)
_ATT_V6 = (
    "time_maa_x",
    "time_maa_w",
    "time_maa_k",
    "time_maa_v",
    "time_maa_r",
    "time_maa_g",
    "time_maa_w1",
    "time_maa_w2",
    "time_decay",
    "time_decay_w1",
    "time_decay_w2",
    "time_faaaa",
    "receptance.weight",
    "key.weight",
    "value.weight",
    "gate.weight",
    "output.weight",
    "ln_x.weight",
    "ln_x.bias",
)
_ATT_V5 = (
    "time_mix_k",
    "time_mix_v",
    "time_mix_r",
    "time_mix_g",
    "time_decay",
    "receptance.weight",
    "key.weight",
    "value.weight",
    "gate.weight",
    "output.weight",
    "ln_x.weight",
    "ln_x.bias",
)
_ATT_V4 = (
    "time_mix_k",
    "time_mix_v",
    "time_mix_r",
    "time_decay",
    "time_first",
    "receptance.weight",
    "key.weight",
    "value.weight",
    "output.weight",
)
_FFN = {
    "4": ("time_mix_k", "time_mix_r", "key.weight", "receptance.weight", "value.weight"),
    "5.2": ("time_mix_k", "time_mix_r", "key.weight", "receptance.weight", "value.weight"),
    "6": ("time_maa_k", "time_maa_r", "key.weight", "receptance.weight", "value.weight"),
    "7": ("x_k", "key.weight", "value.weight"),
}
_ATT = {"4": _ATT_V4, "5.2": _ATT_V5, "6": _ATT_V6, "7": _ATT_V7}


@dataclass(frozen=True)
class CheckpointInfo:
    """What a checkpoint holds, read from its keys and shapes only."""

    path: Path
    version: str  # "4", "5.2", "6", "7"
    n_layer: int
    n_embd: int
    n_head: int  # 0 for v4 (channel-wise, no heads)
    head_size: int  # 0 for v4
    vocab_size: int
    ffn_dim: int
    lora: dict[str, int]  # LoRA dims from the shapes: v7 {"w","a","v","g"}, v6 {"maa","decay"}
    params: int
    file_dtype: str  # "bf16", "fp16", "fp32"
    tokenizer: str  # "world" or "neox"
    has_time_state: bool
    matrix_params: int = 0  # parameters in 2-D projection matrices (what int8 quantises)
    extra: dict[str, str] = field(default_factory=dict)

    def memory_needed(self, dtype: str) -> int:
        """Bytes to hold the weights in `dtype` ("fp32", "fp16", "bf16", "int8", "int4"), state and activations aside."""
        if dtype == "int8":
            # int8 matrices + one bf16 scale per row; the embedding and small vectors stay 16-bit.
            rest = self.params - self.matrix_params
            return self.matrix_params + rest * 2 + 2 * (self.n_layer * 8 * max(self.ffn_dim, self.n_embd))
        if dtype == "int4":
            # nibbles + one fp16 scale per 64 inputs, the head included; the embedding int8 with one fp32 scale
            # per row; the rest 16-bit (an upper bound: RWKV-7's low-rank maps are int8 in the native layout)
            emb = self.vocab_size * self.n_embd
            rest = self.params - self.matrix_params - emb
            return int(self.matrix_params * (0.5 + 2 / 64)) + emb + 4 * self.vocab_size + rest * 2
        if dtype not in _BYTES:
            raise ValueError(f"unknown dtype {dtype!r}")
        return self.params * _BYTES[dtype]


def _torch_load(path: Path) -> object:
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except RuntimeError as exc:
        if "mmap" not in str(exc):
            raise
    # Legacy (pre-zip) torch.save files cannot be memory-mapped; still never unpickle code.
    return torch.load(path, map_location="cpu", weights_only=True)


def _holds_code(exc: pickle.UnpicklingError) -> bool:
    """torch's weights-only unpickler met something other than tensors and containers (a global to call)."""
    text = str(exc)
    return "Weights only load failed" in text or "Unsupported global" in text or "Unsupported operand" in text


def _unreadable(path: Path, exc: BaseException) -> ModelFormatError:
    detail = " ".join(str(exc).split())[:160]  # one line, whatever torch's formatting
    return ModelFormatError(
        f"{path.name} is not a readable PyTorch checkpoint ({type(exc).__name__}: {detail})",
        hint=_HINT_OFFICIAL + " The file may be truncated: download it again.",
    )


def _is_safetensors(path: Path) -> bool:
    if path.suffix == ".safetensors":
        return True
    with path.open("rb") as f:
        head = f.read(9)
    return len(head) == 9 and head[8:9] == b"{"


def _load_safetensors(path: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    size = path.stat().st_size
    with path.open("rb") as f:
        header_len = int.from_bytes(f.read(8), "little")
    if header_len <= 0 or header_len + 8 > size:
        raise ModelFormatError(
            f"{path.name} is not a valid safetensors file (truncated header)", hint=_HINT_OFFICIAL
        )
    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFormatError(
            f"{path.name} is not a valid safetensors file: {exc}", hint=_HINT_OFFICIAL
        ) from exc


def load_weights(path: Path | str) -> MappedWeights:
    """All tensors of a checkpoint (memory-mapped where the format allows), keyed as in the file."""
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"model file not found: {path}", hint="Check the path in Settings → AI.")
    if path.stat().st_size < 16:
        raise ModelFormatError(f"{path.name} is empty or truncated", hint=_HINT_OFFICIAL)
    if _is_safetensors(path):
        obj: object = _load_safetensors(path)
    else:
        try:
            obj = _torch_load(path)
        except OSError as exc:
            raise ModelLoadError(
                f"cannot read {path.name}: {exc}", hint="Check the file permissions."
            ) from exc
        except pickle.UnpicklingError as exc:
            if not _holds_code(exc):
                raise _unreadable(path, exc) from exc
            log.info("refused %s: %s", path, exc)
            raise ModelFormatError(
                f"{path.name} holds program code as well as weights. Hearth will not run it.",
                hint="A model file should hold weights only: use the model's .safetensors file, or an official"
                " RWKV .pth from BlinkDL, downloaded from a source you trust.",
            ) from None
        except Exception as exc:  # torch.load raises many types (zip, EOF, unicode) on a bad file
            raise _unreadable(path, exc) from exc
    if not isinstance(obj, Mapping) or not all(
        isinstance(k, str) and torch.is_tensor(v) for k, v in obj.items()
    ):
        raise ModelFormatError(f"{path.name} is not a state dict of tensors", hint=_HINT_OFFICIAL)
    return MappedWeights(dict(obj), path)


def open_weights(path: Path | str) -> tuple[MappedWeights | SafetensorsWeights, CheckpointInfo]:
    """The checkpoint for a load, read lean (app/ai/lean.py): a .safetensors file tensor by tensor, a .pth
    memory-mapped with its pages given back as tensors are taken; and what it holds. Call `close()` after."""
    path = Path(path)
    if path.is_file() and path.stat().st_size >= 16 and _is_safetensors(path):
        info = describe(_safetensors_meta(path), path)
        from safetensors import SafetensorError

        try:
            return SafetensorsWeights(path), info
        except (SafetensorError, OSError, ValueError) as exc:
            raise ModelFormatError(
                f"{path.name} is not a valid safetensors file: {exc}", hint=_HINT_OFFICIAL
            ) from exc
    weights = load_weights(path)
    return weights, describe(weights, path)


def _fail(path: Path, what: str) -> ModelFormatError:
    return ModelFormatError(f"{path.name}: {what}", hint=_HINT_OFFICIAL)


def detect_version(weights: Mapping[str, torch.Tensor], path: Path) -> str:
    """The RWKV generation of a state dict ("4", "5.2", "6", "7"), or ModelFormatError."""
    keys = list(weights)
    if "_strategy" in weights:
        raise _fail(
            path, "this file was converted by the rwkv pip package for one strategy; use the original .pth"
        )
    if "emb.weight" not in weights or "head.weight" not in weights or "blocks.0.ln1.weight" not in weights:
        raise _fail(path, "not an RWKV checkpoint (no emb.weight / head.weight / blocks.0.ln1.weight)")
    if any(
        k.endswith(("ffn.s_emb.weight", "ffn.s0", "ffn.s1", "ffn.s2", "ffn.s_emb_x.weight")) for k in keys
    ):
        raise _fail(path, "RWKV-7 DeepEmbed (rwkv7a) checkpoints are not supported")
    if any(re.match(r"^blocks\.\d+\.(att\.)?qkv\.", k) for k in keys):
        raise _fail(path, "RWKV-7 DEA (rwkv7b) checkpoints are not supported")
    if "blocks.0.att.x_r" in weights:
        return "7"
    if any(".time_maa" in k for k in keys):
        return "6"
    if any(".ln_x." in k for k in keys):
        decay = weights.get("blocks.0.att.time_decay")
        if (
            "blocks.0.att.gate.weight" in weights
            and decay is not None
            and decay.dim() == 2
            and decay.shape[1] > 1
        ):
            return "5.2"
        raise _fail(path, "RWKV-5.0/5.1 checkpoints are not supported (only 5.2 and later)")
    if "blocks.0.att.time_first" in weights:
        return "4"
    raise _fail(path, "unrecognised RWKV variant (no time_first, ln_x, time_maa or x_r keys)")


def _shape(weights: Mapping[str, torch.Tensor], key: str) -> tuple[int, ...]:
    return tuple(weights[key].shape)


def describe(weights: Mapping[str, torch.Tensor], path: Path) -> CheckpointInfo:
    """CheckpointInfo from a loaded (memory-mapped) state dict; validates every layer's keys and main shapes."""
    version = detect_version(weights, path)
    emb = weights["emb.weight"]
    if emb.dim() != 2:
        raise _fail(path, f"emb.weight has shape {tuple(emb.shape)}, expected [vocab, n_embd]")
    vocab, n_embd = emb.shape
    layers = {int(m.group(1)) for k in weights if (m := _BLOCK_RE.match(k))}
    n_layer = max(layers) + 1
    if layers != set(range(n_layer)):
        raise _fail(path, f"layers are missing (found {sorted(layers)[:8]}...)")
    required = ["blocks.0.ln0.weight", "blocks.0.ln0.bias", "ln_out.weight", "ln_out.bias"]
    for i in range(n_layer):
        b = f"blocks.{i}."
        required += [b + "ln1.weight", b + "ln1.bias", b + "ln2.weight", b + "ln2.bias"]
        required += [b + "att." + s for s in _ATT[version]]
        required += [b + "ffn." + s for s in _FFN[version]]
        if version == "5.2" and b + "att.time_faaaa" not in weights and b + "att.time_first" not in weights:
            required.append(b + "att.time_faaaa")
        if version == "7" and i > 0:
            required += [b + "att.v0", b + "att.v1", b + "att.v2"]
    missing = [k for k in required if k not in weights]
    if missing:
        raise _fail(path, f"incomplete RWKV-{version} checkpoint, missing {missing[:3]}")
    if _shape(weights, "head.weight") != (vocab, n_embd):
        raise _fail(
            path, f"head.weight shape {_shape(weights, 'head.weight')} does not match emb {(vocab, n_embd)}"
        )
    if _shape(weights, "blocks.0.att.key.weight")[1] != n_embd:
        raise _fail(path, "att.key.weight does not match n_embd")
    ffn_dim = _shape(weights, "blocks.0.ffn.key.weight")[0]
    lora: dict[str, int] = {}
    if version == "7":
        n_head, head_size = _shape(weights, "blocks.0.att.r_k")
        lora = {
            "w": _shape(weights, "blocks.0.att.w1")[1],
            "a": _shape(weights, "blocks.0.att.a1")[1],
            "v": _shape(weights, "blocks.1.att.v1")[1] if n_layer > 1 else 0,
            "g": _shape(weights, "blocks.0.att.g1")[1],
        }
    elif version in ("6", "5.2"):
        first = (
            "blocks.0.att.time_faaaa" if "blocks.0.att.time_faaaa" in weights else "blocks.0.att.time_first"
        )
        n_head, head_size = _shape(weights, first)
        if version == "6":
            lora = {
                "maa": _shape(weights, "blocks.0.att.time_maa_w1")[1] // 5,
                "decay": _shape(weights, "blocks.0.att.time_decay_w1")[1],
            }
    else:
        n_head, head_size = 0, 0
    if version != "4" and n_head * head_size != n_embd:
        raise _fail(path, f"heads {n_head}x{head_size} do not match n_embd {n_embd}")
    params = sum(t.numel() for t in weights.values())
    matrix_params = sum(
        t.numel() for k, t in weights.items() if k.endswith(".weight") and t.dim() == 2 and k != "emb.weight"
    )
    file_dtype = _DTYPE_NAMES.get(emb.dtype)
    if file_dtype is None:
        raise _fail(path, f"unsupported tensor dtype {emb.dtype}")
    tokenizer = "neox" if version == "4" and 50254 <= vocab < 60000 else "world"
    has_time_state = any(k.endswith("att.time_state") for k in weights)
    return CheckpointInfo(
        path=path,
        version=version,
        n_layer=n_layer,
        n_embd=n_embd,
        n_head=n_head,
        head_size=head_size,
        vocab_size=vocab,
        ffn_dim=ffn_dim,
        lora=lora,
        params=params,
        file_dtype=file_dtype,
        tokenizer=tokenizer,
        has_time_state=has_time_state,
        matrix_params=matrix_params,
    )


_ST_DTYPES = ST_DTYPES


def _safetensors_meta(path: Path) -> dict[str, torch.Tensor]:
    """Shapes and dtypes from a safetensors header as meta tensors (no tensor data is read)."""
    import json

    size = path.stat().st_size
    with path.open("rb") as f:
        header_len = int.from_bytes(f.read(8), "little")
        if header_len <= 0 or header_len + 8 > size:
            raise ModelFormatError(
                f"{path.name} is not a valid safetensors file (truncated header)", hint=_HINT_OFFICIAL
            )
        try:
            header = json.loads(f.read(header_len))
        except ValueError as exc:
            raise ModelFormatError(
                f"{path.name} has a corrupt safetensors header", hint=_HINT_OFFICIAL
            ) from exc
    out = {}
    end = 0
    for key, meta in header.items():
        if key == "__metadata__":
            continue
        dtype = _ST_DTYPES.get(meta.get("dtype"), torch.uint8)
        out[key] = torch.empty(meta["shape"], dtype=dtype, device="meta")
        end = max(end, meta["data_offsets"][1])
    if 8 + header_len + end > size:
        raise ModelFormatError(
            f"{path.name} is truncated ({size} bytes, needs {8 + header_len + end})",
            hint="Download the model again.",
        )
    return out


def inspect_checkpoint(path: Path | str) -> CheckpointInfo:
    """Generation, shapes, parameter count and file dtype; reads only keys and shapes (memory-mapped)."""
    path = Path(path)
    if path.is_file() and path.stat().st_size >= 16 and _is_safetensors(path):
        return describe(_safetensors_meta(path), path)
    weights = load_weights(path)
    return describe(weights, path)


def load_time_state(path: Path | str, info: CheckpointInfo) -> list[torch.Tensor]:
    """A state-tuning file's per-layer `att.time_state` [H,N,N] (stored [value,key]), checked against `info`."""
    path = Path(path)
    weights = load_weights(path)
    if info.version == "4":
        raise _fail(path, "tuned state files are supported for RWKV-5.2/6/7 models, not RWKV-4")
    out = []
    for i in range(info.n_layer):
        key = f"blocks.{i}.att.time_state"
        if key not in weights:
            raise _fail(path, f"not a state file for this model (missing {key})")
        t = weights[key]
        if tuple(t.shape) != (info.n_head, info.head_size, info.head_size):
            raise _fail(
                path,
                f"{key} has shape {tuple(t.shape)}, the model needs "
                f"{(info.n_head, info.head_size, info.head_size)}",
            )
        out.append(t.float())
    return out
