"""The recommended official RWKV checkpoints (resources/catalog/models.json) and what each needs.

No torch here: the model manager lists the catalog without loading anything.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from app.config import resources_dir

GIB = 1024**3


@dataclass(frozen=True, slots=True)
class CatalogModel:
    id: str
    name: str
    repo: str
    filename: str
    size: int | None  # bytes of the official (bf16) file, when known
    params_b: float  # billions of parameters
    layers: int
    width: int
    context: int
    note: str = ""
    sha256: str | None = None

    def url(self, base: str) -> str:
        return f"{base.rstrip('/')}/{self.repo}/resolve/main/{self.filename}"

    @property
    def approx_size(self) -> int:
        return self.size or int(self.params_b * 1e9 * 2)

    def memory_needed(self, dtype: str) -> int:
        """Bytes to hold the weights: fp32 doubles the bf16 file, int8 halves it; plus ~10% for state and work."""
        per_param = {"fp32": 4.0, "fp16": 2.0, "bf16": 2.0, "int8": 1.0}[dtype]
        return int(self.approx_size / 2 * per_param * 1.1)


@cache
def load_catalog(path: Path | None = None) -> tuple[CatalogModel, ...]:
    path = path or resources_dir() / "catalog" / "models.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    fields = CatalogModel.__dataclass_fields__
    return tuple(CatalogModel(**{k: v for k, v in m.items() if k in fields}) for m in data["models"])


def system_memory() -> int:
    """Physical memory in bytes (0 if unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def fits(model: CatalogModel, *, ram: int, vram: int = 0) -> str:
    """'gpu' when it fits the GPU in fp16, 'cpu' when it fits RAM in fp32 (or bf16), else ''."""
    if vram and model.memory_needed("fp16") <= vram * 0.9:
        return "gpu"
    if ram and model.memory_needed("fp32") <= ram * 0.6:
        return "cpu"
    if ram and model.memory_needed("bf16") <= ram * 0.6:
        return "cpu-bf16"
    return ""
