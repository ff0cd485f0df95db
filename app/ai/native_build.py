"""Builds and loads Hearth's native CPU kernels (C, compiled on the user's machine for its own processor).

The source ships in `app/ai/native/`. On first use it is compiled with the system C compiler (`cc -O3
-march=native -fopenmp`) into the user cache, keyed by the source, the compiler and the processor's flags,
and loaded with ctypes after torch, so that it shares torch's OpenMP runtime (one thread pool). Nothing is
required: without a compiler, on another OS or on a processor without AVX-512 VNNI, `load()` says why and
the engines run their torch path. `HEARTH_NATIVE=0` turns the kernels off; `HEARTH_NATIVE_DIR` moves the cache.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SOURCE_DIR = Path(__file__).resolve().parent / "native"
FLAGS = ["-O3", "-march=native", "-fopenmp", "-shared", "-fPIC", "-std=gnu11", "-Wall"]
_lock = threading.Lock()
_loaded: dict[str, Native] = {}


@dataclass(frozen=True)
class Native:
    """A loaded kernel library, or why there is none (`lib` None, `reason` says what to do)."""

    name: str
    lib: ctypes.CDLL | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.lib is not None


def enabled() -> bool:
    return os.environ.get("HEARTH_NATIVE", "1").strip().lower() not in ("0", "false", "no", "off")


def cache_dir() -> Path:
    override = os.environ.get("HEARTH_NATIVE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("Hearth", appauthor=False)) / "native"


def _compiler() -> str | None:
    for name in (os.environ.get("CC", ""), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return name
    return None


def _cpu_flags() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _key(source: bytes, cc: str, extra: list[str]) -> str:
    try:
        version = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        version = cc
    h = hashlib.sha256(source)
    for part in (version, _cpu_flags(), " ".join(FLAGS + extra)):
        h.update(part.encode())
    return h.hexdigest()[:16]


def build(name: str, *, extra_flags: list[str] | None = None, directory: Path | None = None) -> Path:
    """Compile app/ai/native/<name>.c to a shared library (cached); raises RuntimeError saying why not."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        raise RuntimeError(f"native kernels are built for Linux on x86-64 only (this is {platform.system()})")
    cc = _compiler()
    if cc is None:
        raise RuntimeError("no C compiler found (install gcc to enable the fast CPU kernels)")
    src = SOURCE_DIR / f"{name}.c"
    source = src.read_bytes()
    extra = list(extra_flags or [])
    out_dir = directory or cache_dir()
    target = out_dir / f"{name}-{_key(source, cc, extra)}.so"
    if target.exists():
        return target
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=out_dir)
    os.close(fd)
    try:
        proc = subprocess.run(
            [cc, *FLAGS, *extra, str(src), "-o", tmp, "-lm"], capture_output=True, text=True, timeout=300
        )
        if proc.returncode != 0:
            first = next((ln for ln in proc.stderr.splitlines() if "error" in ln), proc.stderr.strip()[:300])
            raise RuntimeError(f"the C compiler refused {src.name}: {first}")
        os.replace(tmp, target)  # atomic: a concurrent builder never loads a half-written library
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    log.info("built native kernel %s", target)
    return target


def load(name: str) -> Native:
    """The named kernel library, built if needed (once per process), unless HEARTH_NATIVE=0 says not to."""
    if not enabled():
        return Native(name, None, "turned off by HEARTH_NATIVE=0")
    with _lock:
        if name in _loaded:
            return _loaded[name]
        import torch  # noqa: F401  (load torch's libgomp first: the kernel must share its thread pool)

        try:
            native = Native(name, ctypes.CDLL(str(build(name))))
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            native = Native(name, None, str(exc))
            log.info("native kernel %s unavailable: %s", name, exc)
        _loaded[name] = native
        return native
