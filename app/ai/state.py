"""The recurrent state of one sequence: a few preallocated tensors with a leading layer axis, updated in place.

v5/v6/v7: att_x [L,C], wkv [L,H,N,N] fp32, ffn_x [L,C]  (wkv is S[h,key,value] for v5/v6, S[h,value,key] for v7,
the layouts of the rwkv pip package).  v4: att_x, aa, bb, pp [L,C] fp32, ffn_x [L,C].
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import torch

from app.errors import ModelError

_FORMAT = "hearth-rwkv-state/1"


@dataclass
class State:
    """Tensors of one sequence's state; `copy` forks it, `to_bytes`/`from_bytes` persist it."""

    version: str
    tensors: dict[str, torch.Tensor]

    def __getattr__(self, name: str) -> torch.Tensor:
        tensors = self.__dict__.get("tensors")
        if tensors is not None and name in tensors:
            return tensors[name]
        raise AttributeError(name)

    @property
    def device(self) -> torch.device:
        return next(iter(self.tensors.values())).device

    def copy(self) -> State:
        return State(self.version, {k: v.clone() for k, v in self.tensors.items()})

    def copy_from(self, other: State) -> None:
        """Overwrite this state's tensors in place with `other`'s values."""
        for k, v in self.tensors.items():
            v.copy_(other.tensors[k])

    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.tensors.values())

    def to(self, device: str | torch.device) -> State:
        return State(self.version, {k: v.to(device) for k, v in self.tensors.items()})

    def compacted(self) -> State:
        """A copy with each float32 tensor rounded through float16 (what `to_bytes(compact=True)` keeps); a
        tensor float16 cannot hold (too large) stays exact."""
        return State(self.version, {k: _rounded(v) for k, v in self.tensors.items()})

    def to_bytes(self, *, compact: bool = False) -> bytes:
        """`compact`: float32 tensors stored as float16 (about half the bytes) and widened again on load."""
        buf = io.BytesIO()
        tensors, widen = {}, []
        for k, v in self.tensors.items():
            t = v.detach().cpu().contiguous()
            if compact and t.dtype == torch.float32 and _fits_half(t):
                t, widen = t.to(torch.float16), [*widen, k]
            tensors[k] = t
        payload = {"format": _FORMAT, "version": self.version, "tensors": tensors, "widen": widen}
        torch.save(payload, buf)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, device: str | torch.device = "cpu") -> State:
        try:
            payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        except (
            Exception
        ) as exc:  # any unreadable blob: pickle, zip and EOF errors all mean "not a saved state"
            raise ModelError(
                "saved model state is unreadable", hint="Clear the cached state and retry."
            ) from exc
        if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
            raise ModelError(
                "saved model state has an unknown format", hint="Clear the cached state and retry."
            )
        widen = set(payload.get("widen") or ())
        tensors = {
            k: (v.to(torch.float32) if k in widen else v).to(device) for k, v in payload["tensors"].items()
        }
        return cls(str(payload["version"]), tensors)

    def matches(self, other: State) -> bool:
        """Same generation and tensor shapes/dtypes (so one can be copied into the other)."""
        return self.version == other.version and all(
            k in other.tensors and v.shape == other.tensors[k].shape and v.dtype == other.tensors[k].dtype
            for k, v in self.tensors.items()
        )


_HALF_MAX = 65504.0


def _fits_half(t: torch.Tensor) -> bool:
    return t.numel() == 0 or (bool(torch.isfinite(t).all()) and float(t.abs().max()) <= _HALF_MAX)


def _rounded(t: torch.Tensor) -> torch.Tensor:
    if t.dtype == torch.float32 and _fits_half(t):
        return t.to(torch.float16).to(torch.float32)
    return t.clone()
