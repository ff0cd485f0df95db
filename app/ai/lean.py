"""Lean loading: a checkpoint's tensors handed to the engine one at a time, and the file's pages given back
as it goes, so a load peaks near the converted model instead of the file plus the model.

- `.pth` (torch.load with mmap): the file is mapped privately; every `pop` gives back (madvise DONTNEED)
  the pages of the tensors popped before it, which the engine has converted by then. Such pages are clean
  copies of the file: should anything read them again, the kernel reads them back from the file, so giving
  them back early costs time, never correctness.
- `.safetensors`: read tensor by tensor through `safe_open`, never the whole file at once.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import mmap
from collections.abc import Iterator, MutableMapping
from pathlib import Path

import torch

log = logging.getLogger(__name__)
Tensor = torch.Tensor
_MADV_DONTNEED = 4
_PAGE = mmap.PAGESIZE
_libc: list[ctypes.CDLL | None] = []


def _madvise() -> ctypes.CDLL | None:
    if not _libc:
        name = ctypes.util.find_library("c")
        try:
            lib = ctypes.CDLL(name, use_errno=True) if name else None
        except OSError:
            lib = None
        if lib is not None and not hasattr(lib, "madvise"):
            lib = None
        if lib is not None:
            lib.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
            lib.madvise.restype = ctypes.c_int
        _libc.append(lib)
    return _libc[0]


def give_back(t: Tensor) -> None:
    """Drop the resident pages under a memory-mapped tensor's bytes (no-op where unsupported)."""
    lib = _madvise()
    if lib is None or t.device.type != "cpu":
        return
    start = t.untyped_storage().data_ptr() + t.storage_offset() * t.element_size()
    end = start + t.numel() * t.element_size()
    lo, hi = start - start % _PAGE, -(-end // _PAGE) * _PAGE
    if hi > lo:
        lib.madvise(lo, hi - lo, _MADV_DONTNEED)


class MappedWeights(dict):
    """The state dict of a memory-mapped .pth: `pop` returns a tensor and gives back the ones popped before;
    `close()` gives back the rest."""

    def __init__(self, tensors: dict[str, Tensor]) -> None:
        super().__init__(tensors)
        self._popped: list[Tensor] = []

    def pop(self, key: str, *default: object):  # type: ignore[override]
        for t in self._popped:
            give_back(t)
        self._popped.clear()
        if key not in self and default:
            return default[0]
        t = super().pop(key)
        self._popped.append(t)
        return t

    def close(self) -> None:
        for t in [*self._popped, *self.values()]:
            give_back(t)
        self._popped.clear()
        self.clear()


class SafetensorsWeights(MutableMapping):
    """A .safetensors file read one tensor at a time (`pop` and `[]` read it; nothing is cached)."""

    def __init__(self, path: Path) -> None:
        from safetensors import safe_open

        self._file = safe_open(str(path), framework="pt", device="cpu")
        self._keys = set(self._file.keys())

    def __getitem__(self, key: str) -> Tensor:
        if key not in self._keys:
            raise KeyError(key)
        return self._file.get_tensor(key)

    def __setitem__(self, key: str, value: Tensor) -> None:
        raise TypeError("a checkpoint file is read-only")

    def __delitem__(self, key: str) -> None:
        self._keys.remove(key)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._keys))

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def close(self) -> None:
        self._keys.clear()
