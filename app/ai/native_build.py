"""Hearth's native CPU kernels: which variant this CPU runs, where its library comes from, how it is built.

One C source (`app/ai/native/`) builds as four variants: `avx512` (AVX-512 F/BW/VL + VNNI), `avx2`
(AVX2 + FMA + F16C) on x86-64, `neondot` (NEON + the Armv8.2 dot product) and `neon` (Armv8-A NEON) on
aarch64, and `portable` (plain C, any CPU). A library is found, in order:

1. prebuilt, in `app/ai/native/prebuilt/` (in a PyInstaller bundle the same path under `sys._MEIPASS`),
   compiled at install by setup.py's build hook (`pip install .` and `pip install -e .`), or ahead of time by
   `python3 -m app.ai.native_build --prebuild DIR` (`--machine aarch64` cross-compiles the aarch64 variants
   with `aarch64-linux-gnu-gcc`), as packaging/build.py does for the bundle;
2. in the user cache (`HEARTH_NATIVE_DIR` moves it), from an earlier build on this machine;
3. compiled there on first use with the system C compiler, as a fallback.

Every library says which variant and which source it was built from and checks the CPU itself
(`rwkv_cpu_supported`), so a stale or foreign file is skipped, never run. The variant is chosen from the CPU's
features (`/proc/cpuinfo` on Linux, else the library's own probe); `ai.kernels` overrides the choice
(see app/ai/plan.py). Libraries are loaded after torch so that they share its OpenMP runtime.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

LIBRARY = "rwkv_cpu"
ABI = 3002  # rwkv_abi() in rwkv_cpu.c
SOURCE_DIR = Path(__file__).resolve().parent / "native"
PREBUILT = Path("app") / "ai" / "native" / "prebuilt"
BASE_FLAGS = ["-O3", "-fopenmp", "-shared", "-fPIC", "-std=gnu11", "-Wall"]
X86_VARIANTS = ("avx512", "avx2", "portable")  # fastest first
ARM_VARIANTS = ("neondot", "neon", "portable")
_FLAGS = {
    "avx512": [
        "-DHEARTH_AVX512",
        "-mavx512f",
        "-mavx512bw",
        "-mavx512vl",
        "-mavx512vnni",
        "-mavx2",
        "-mfma",
        "-mf16c",
    ],
    "avx2": ["-DHEARTH_AVX2", "-mavx2", "-mfma", "-mf16c"],
    # one NEON source: int8/int4 rows through vdotq_s32 where the target has the dot product, else vmull_s8
    "neondot": ["-DHEARTH_NEON", "-march=armv8.2-a+dotprod"],
    "neon": ["-DHEARTH_NEON", "-march=armv8-a"],
    "portable": ["-Wno-psabi"],
}
# /proc/cpuinfo flags each variant needs
NEEDS = {
    "avx512": ("avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx2", "fma", "f16c"),
    "avx2": ("avx2", "fma", "f16c"),
    "neondot": ("asimd", "asimddp"),  # /proc/cpuinfo "Features" on aarch64
    "neon": ("asimd",),
    "portable": (),
}
_lock = threading.Lock()
_loaded: dict[str, Native] = {}
_STARTED = time.time()


@dataclass(frozen=True)
class Native:
    """A loaded kernel library of one variant, or why there is none (`lib` None, `reason` says why)."""

    variant: str
    lib: ctypes.CDLL | None
    reason: str = ""
    origin: str = ""  # "prebuilt", "cache" or "built"
    path: str = ""

    @property
    def ok(self) -> bool:
        return self.lib is not None


def _machine(machine: str | None = None) -> str:
    """The architecture's canonical name ("x86_64", "aarch64", ...), this machine's when None."""
    name = (machine or platform.machine()).lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(name, name)


def _is_x86(machine: str | None = None) -> bool:
    return _machine(machine) == "x86_64"


def variants(machine: str | None = None) -> tuple[str, ...]:
    """The variants an architecture (this machine's when None) has, fastest first."""
    arch = _machine(machine)
    if arch == "x86_64":
        return X86_VARIANTS
    return ARM_VARIANTS if arch == "aarch64" else ("portable",)


def cpu_flags() -> set[str] | None:
    """The CPU's feature flags from /proc/cpuinfo, or None where there is no such file (then each library's
    own probe decides)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return set(line.split(":", 1)[1].split())
    return None


def missing_features(variant: str) -> list[str]:
    """CPU features `variant` needs that this CPU lacks (empty when it can run, or when unknown)."""
    flags = cpu_flags()
    if flags is None or variant == "portable":
        return []
    return [f for f in NEEDS[variant] if f not in flags]


def runnable() -> list[str]:
    """Variants this CPU can run, fastest first."""
    return [v for v in variants() if not missing_features(v)]


def source_id() -> str:
    """A hash of the kernel source (every file in app/ai/native/): a library built from other source is stale."""
    h = hashlib.sha256()
    for p in sorted(SOURCE_DIR.glob("*.[ch]")):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    override = os.environ.get("HEARTH_NATIVE_DIR")
    if override:
        return Path(override)
    from app.config import platform_paths

    return platform_paths().cache_dir / "native"  # Linux: $XDG_CACHE_HOME/hearth/native


def prebuilt_dirs() -> list[Path]:
    roots = [Path(__file__).resolve().parents[2]]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        roots.insert(0, Path(bundle))
    return [root / PREBUILT for root in roots]


def library_name(variant: str, machine: str | None = None) -> str:
    """The file name of a prebuilt library, e.g. rwkv_cpu-avx2-linux-x86_64.so."""
    return f"{LIBRARY}-{variant}-{sys.platform}-{_machine(machine)}.so"


def compiler(machine: str | None = None) -> str | None:
    """The C compiler for `machine`: the system one for this machine, `<machine>-linux-gnu-gcc` for another."""
    if machine is not None and _machine(machine) != _machine():
        cross = f"{_machine(machine)}-linux-gnu-gcc"
        return cross if shutil.which(cross) else None
    for name in (os.environ.get("CC", ""), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return name
    return None


def flags_for(variant: str, machine: str | None = None) -> list[str]:
    arch = _machine(machine)
    if variant not in _FLAGS or variant not in variants(arch):
        raise RuntimeError(f"no {variant!r} kernels for {arch} ({arch} has {', '.join(variants(arch))})")
    extra = ["-march=x86-64", "-mtune=generic"] if _is_x86(arch) else []
    return [*BASE_FLAGS, *extra, *_FLAGS[variant], f'-DHEARTH_SOURCE_ID="{source_id()}"']


def compile_to(
    variant: str, target: Path, *, extra_flags: list[str] | None = None, machine: str | None = None
) -> Path:
    """Compile the `variant` library for `machine` (this one when None) to `target` (atomically);
    RuntimeError saying why not."""
    if platform.system() != "Linux":
        raise RuntimeError(f"the native kernels are built on Linux only (this is {platform.system()})")
    cc = compiler(machine)
    if cc is None:
        if machine is not None and _machine(machine) != _machine():
            raise RuntimeError(
                f"no {_machine(machine)}-linux-gnu-gcc found (install gcc-{_machine(machine)}-linux-gnu)"
            )
        raise RuntimeError("no C compiler found (install gcc to build the fast CPU kernels)")
    flags = [*flags_for(variant, machine), *(extra_flags or [])]
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=target.parent)
    os.close(fd)
    try:
        cmd = [cc, *flags, str(SOURCE_DIR / f"{LIBRARY}.c"), "-o", tmp, "-lm"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            first = next((ln for ln in proc.stderr.splitlines() if "error" in ln), proc.stderr.strip()[:300])
            raise RuntimeError(f"the C compiler refused the {variant} kernels: {first}")
        os.replace(tmp, target)  # atomic: a concurrent builder never loads a half-written library
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    log.info("built native kernels %s", target)
    return target


def build(variant: str, *, extra_flags: list[str] | None = None, directory: Path | None = None) -> Path:
    """The cached library of `variant` (compiled if missing), keyed by source, compiler and flags."""
    cc = compiler() or "cc"
    try:
        version = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        version = cc
    key = hashlib.sha256(" ".join([version, *flags_for(variant), *(extra_flags or [])]).encode()).hexdigest()[
        :12
    ]
    target = (directory or cache_dir()) / f"{LIBRARY}-{variant}-{key}.so"
    if target.exists():
        return target
    return compile_to(variant, target, extra_flags=extra_flags)


def prebuild(directory: Path, machine: str | None = None) -> dict[str, str]:
    """Compile every variant of `machine` (this one when None; another through its cross compiler) into
    `directory` under its prebuilt name; returns {variant: path or the reason it failed}."""
    out: dict[str, str] = {}
    for variant in variants(machine):
        try:
            target = Path(directory) / library_name(variant, machine)
            out[variant] = str(compile_to(variant, target, machine=machine))
        except RuntimeError as exc:
            out[variant] = f"failed: {exc}"
    return out


def _open(path: Path, variant: str) -> ctypes.CDLL:
    """Load and check a library: variant, ABI, source, and that this CPU runs it; OSError/ValueError if not."""
    lib = ctypes.CDLL(str(path))
    for name, res in (("rwkv_variant", ctypes.c_char_p), ("rwkv_source_id", ctypes.c_char_p)):
        getattr(lib, name).restype = res
        getattr(lib, name).argtypes = []
    got = (lib.rwkv_variant() or b"").decode()
    if got != variant:
        raise ValueError(f"{path.name} holds the {got} kernels, not {variant}")
    if lib.rwkv_abi() != ABI:
        raise ValueError(f"{path.name} was built for another interface")
    if SOURCE_DIR.joinpath(f"{LIBRARY}.c").exists() and (lib.rwkv_source_id() or b"").decode() != source_id():
        raise ValueError(f"{path.name} was built from other source")
    if not lib.rwkv_cpu_supported():
        raise ValueError(f"this CPU cannot run the {variant} kernels")
    return lib


def _find(variant: str) -> Native:
    for directory in prebuilt_dirs():
        path = directory / library_name(variant)
        if path.exists():
            try:
                return Native(variant, _open(path, variant), origin="prebuilt", path=str(path))
            except (OSError, ValueError) as exc:
                log.info("skipping prebuilt %s: %s", path, exc)
    try:
        target = build(variant)
        origin = "cache" if target.stat().st_mtime < _STARTED else "built"
        return Native(variant, _open(target, variant), origin=origin, path=str(target))
    except (RuntimeError, OSError, ValueError, subprocess.SubprocessError) as exc:
        return Native(variant, None, str(exc))


def load(variant: str) -> Native:
    """The library of `variant` for this process (found or built once), or why it cannot run here."""
    with _lock:
        if variant in _loaded:
            return _loaded[variant]
        missing = missing_features(variant) if variant in variants() else []
        if variant not in variants():
            native = Native(variant, None, f"no {variant} kernels on {platform.machine()}")
        elif missing:
            native = Native(variant, None, f"this CPU lacks {', '.join(missing)} for the {variant} kernels")
        else:
            import torch  # noqa: F401  (load torch's libgomp first: the kernels must share its thread pool)

            native = _find(variant)
        if not native.ok:
            log.info("native %s kernels unavailable: %s", variant, native.reason)
        _loaded[variant] = native
        return native


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m app.ai.native_build", description=__doc__.split("\n")[0])
    ap.add_argument(
        "--prebuild", type=Path, metavar="DIR", required=True, help="compile every variant into DIR"
    )
    ap.add_argument(
        "--machine",
        metavar="ARCH",
        help="build for another architecture (e.g. aarch64) with its cross compiler",
    )
    args = ap.parse_args(argv)
    results = prebuild(args.prebuild, args.machine)
    for variant, where in results.items():
        print(f"{variant:9} {where}")
    return 0 if any(not w.startswith("failed") for w in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
