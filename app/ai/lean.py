"""Lean loading: a checkpoint's tensors handed to the engine one at a time, and the file's pages given back
as it goes, so a load peaks near the converted model instead of the file plus the model.

- `.pth` (torch.load with mmap): the file is mapped privately; every `pop` gives back (madvise DONTNEED)
  the pages of the tensors popped before it, which the engine has converted by then. Such pages are clean
  copies of the file: should anything read them again, the kernel reads them back from the file, so giving
  them back early costs time, never correctness.
- `.safetensors`: read tensor by tensor with plain reads into fresh tensors (no mapping), never the whole file.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import logging
import mmap
import os
from collections.abc import Iterator, MutableMapping
from pathlib import Path

import torch

log = logging.getLogger(__name__)
Tensor = torch.Tensor
_MADV_DONTNEED = 4
TRIM_EVERY = 32 * 2**20  # bytes of file converted between heap trims
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


def trim_heap() -> None:
    """Give the heap's free pages back (glibc malloc_trim): the conversion's temporaries (a few MB each) land
    on the heap once glibc's dynamic mmap threshold has risen, and freed heap blocks stay resident
    (measured: +650 MB RSS left after an int8 load of the 0.4B shape without this)."""
    lib = _madvise()
    if lib is not None and hasattr(lib, "malloc_trim"):
        lib.malloc_trim(0)


_mapped: list[tuple[int, int]] = []  # address ranges of the checkpoint files open MappedWeights have mapped


def _file_ranges(path: Path) -> list[tuple[int, int]]:
    """Where `path` is mapped in this process (from /proc/self/maps; empty where there is none)."""
    target = str(Path(path).resolve())
    out = []
    try:
        lines = Path("/proc/self/maps").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        parts = line.split(maxsplit=5)
        if len(parts) == 6 and parts[5] == target:
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            out.append((lo, hi))
    return out


def give_back(t: Tensor) -> None:
    """Drop the resident pages under a tensor's bytes where they lie in a mapped checkpoint file (and only
    there: anonymous memory would lose its contents). A no-op for any other tensor."""
    lib = _madvise()
    if lib is None or not _mapped or t.device.type != "cpu" or t.numel() == 0:
        return
    start = t.untyped_storage().data_ptr() + t.storage_offset() * t.element_size()
    end = start + t.numel() * t.element_size()
    for a, b in list(_mapped):
        lo, hi = max(start, a), min(end, b)
        lo, hi = lo - lo % _PAGE, min(b, -(-hi // _PAGE) * _PAGE)
        if hi > lo >= a:
            lib.madvise(lo, hi - lo, _MADV_DONTNEED)


class MappedWeights(dict):
    """The state dict of a memory-mapped .pth: `pop` returns a tensor and gives back the ones popped before;
    `close()` gives back the rest. Converters may give back a tensor's rows as they go (`give_back`)."""

    def __init__(self, tensors: dict[str, Tensor], path: Path | None = None) -> None:
        super().__init__(tensors)
        self._popped: list[Tensor] = []
        self._since_trim = 0
        self._ranges = _file_ranges(path) if path is not None else []
        _mapped.extend(self._ranges)

    def pop(self, key: str, *default: object):  # type: ignore[override]
        for t in self._popped:
            give_back(t)
            self._since_trim += t.numel() * t.element_size()
        self._popped.clear()
        if self._since_trim > TRIM_EVERY:
            trim_heap()
            self._since_trim = 0
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
        trim_heap()
        for r in self._ranges:
            if r in _mapped:
                _mapped.remove(r)
        self._ranges = []


ST_DTYPES = {
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "F64": torch.float64,
    "I64": torch.int64,
    "I32": torch.int32,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}


class SafetensorsWeights(MutableMapping):
    """A .safetensors file read one tensor at a time (`pop` and `[]` read it; nothing is cached).

    Each tensor is read with plain reads into a fresh tensor, and the file is never mapped: a mapping (as
    `safe_open` makes) keeps every page read in this process's resident memory until it is closed, which made a
    1.5B bf16 load peak at the file plus the model. The page cache is told the bytes are done with
    (posix_fadvise DONTNEED) so the load does not push other programs' pages out either. ValueError for a header
    this reader cannot use."""

    def __init__(self, path: Path) -> None:
        self._f = Path(path).open("rb", buffering=0)  # noqa: SIM115 - open until close(), like a mapping
        try:
            header_len = int.from_bytes(self._f.read(8), "little")
            header = json.loads(self._f.read(header_len))
        except (ValueError, MemoryError) as exc:
            self._f.close()
            raise ValueError(f"unreadable safetensors header: {exc}") from exc
        self._base = 8 + header_len
        self._meta: dict[str, tuple[torch.dtype, list[int], int, int]] = {}
        for key, meta in header.items():
            if key == "__metadata__":
                continue
            if meta.get("dtype") not in ST_DTYPES:
                self._f.close()
                raise ValueError(f"tensor {key} has the unsupported dtype {meta.get('dtype')}")
            start, end = meta["data_offsets"]
            self._meta[key] = (ST_DTYPES[meta["dtype"]], list(meta["shape"]), int(start), int(end))

    def __getitem__(self, key: str) -> Tensor:
        dtype, shape, start, end = self._meta[key]
        t = torch.empty(shape, dtype=dtype)
        n = end - start
        if n != t.numel() * t.element_size():
            raise ValueError(f"tensor {key}: {n} bytes in the file for shape {shape}")
        buf = memoryview(t.view(-1).view(torch.uint8).numpy())
        done, fd = 0, self._f.fileno()
        while done < n:
            got = os.preadv(fd, [buf[done:]], self._base + start + done)
            if got <= 0:
                raise ValueError(f"tensor {key}: the file ends early")
            done += got
        if hasattr(os, "posix_fadvise") and n:
            os.posix_fadvise(fd, self._base + start, n, os.POSIX_FADV_DONTNEED)
        return t

    def __setitem__(self, key: str, value: Tensor) -> None:
        raise TypeError("a checkpoint file is read-only")

    def __delitem__(self, key: str) -> None:
        del self._meta[key]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._meta))

    def __len__(self) -> int:
        return len(self._meta)

    def __contains__(self, key: object) -> bool:
        return key in self._meta

    def close(self) -> None:
        self._meta.clear()
        self._f.close()
