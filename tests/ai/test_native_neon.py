"""The Arm NEON kernels, cross-compiled for aarch64 and run under qemu-user on this machine: every kernel
(matvec in each weight layout, the RWKV-7/6/4 recurrences, the whole RWKV-7 decode step) on fixed
pseudo-random inputs (tests/ai/native_driver.c) must print what the portable kernels print natively, within
TOLERANCE. Built with native_build's own flags for each variant, so what is tested is what ships. Both NEON
int8 paths run: the plain-NEON one (the shipped baseline Armv8-A build) and vdotq_s32 (+dotprod).

No real Arm machine runs this; qemu emulates the instructions (its `max` CPU has the dot-product extension).
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from app.ai import native_build

ROOT = Path(__file__).resolve().parents[2]
DRIVER = ROOT / "tests" / "ai" / "native_driver.c"
CROSS = "aarch64-linux-gnu-gcc"
SYSROOT = Path("/usr/aarch64-linux-gnu")
ON_ARM = native_build.variants() == native_build.ARM_VARIANTS
# Summation order differs (4 lanes against 8, fused multiply-adds), integer dot products are exact: the two
# builds agree to ~3e-7 of each output's largest magnitude here (after two layers and three tokens of decode);
# a wrong lane, nibble or scale moves outputs by a large fraction of it.
TOLERANCE = 1e-5
EM_AARCH64 = 183

needs_cross = pytest.mark.skipif(
    not ON_ARM
    and (shutil.which(CROSS) is None or shutil.which("qemu-aarch64") is None or not SYSROOT.is_dir()),
    reason="needs the aarch64 cross compiler and qemu-user (apt-get install gcc-aarch64-linux-gnu qemu-user)",
)
needs_cc = pytest.mark.skipif(native_build.compiler() is None, reason="needs a C compiler")


def _build(variant: str, machine: str, out: Path, extra: list[str]) -> Path:
    cc = native_build.compiler(machine)
    assert cc is not None
    flags = [f for f in native_build.flags_for(variant, machine) if f not in ("-shared", "-fPIC")]
    cmd = [cc, *flags, *extra, f"-I{native_build.SOURCE_DIR}", str(DRIVER), "-o", str(out), "-lm"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return out


def _run(exe: Path, emulate: bool) -> str:
    cmd = ["qemu-aarch64", "-L", str(SYSROOT), str(exe)] if emulate else [str(exe)]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "2"}
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _parse(text: str) -> tuple[str, dict[str, np.ndarray]]:
    """The driver's header line and {label: values}; a label is every token before the first number."""
    lines = text.strip().splitlines()
    out: dict[str, np.ndarray] = {}
    for line in lines[1:]:
        toks = line.split()
        first = next(i for i, t in enumerate(toks) if "=" not in t and t[0] in "-0123456789in")
        label = " ".join(toks[:first])
        assert label not in out, label
        out[label] = np.array([float(t) for t in toks[first:]], dtype=np.float64)
    return lines[0], out


@pytest.fixture(scope="module")
def portable(tmp_path_factory) -> dict[str, np.ndarray]:
    exe = _build("portable", platform.machine(), tmp_path_factory.mktemp("portable") / "driver", [])
    header, results = _parse(_run(exe, emulate=False))
    assert header.startswith("variant portable ")
    return results


@needs_cc
@needs_cross
@pytest.mark.parametrize("dotprod", [False, True], ids=["plain-neon", "vdotq_s32"])
def test_every_neon_kernel_matches_the_portable_kernels(portable, tmp_path, dotprod):
    extra = ["-march=armv8.2-a+dotprod"] if dotprod else []
    exe = _build("neon", "aarch64", tmp_path / "driver", extra)
    header, neon = _parse(_run(exe, emulate=not ON_ARM))
    assert header == f"variant neon dotprod={int(dotprod)} supported=1"
    assert list(neon) == list(portable)
    kinds = {label.split()[0] for label in neon}
    assert kinds == {"matvec", "wkv7", "wkv6", "wkv4", "decode"}
    assert sum(label.startswith("decode") for label in neon) == 16  # 4 layouts x (3 tokens + the state)
    for label, ref in portable.items():
        got = neon[label]
        assert got.shape == ref.shape, label
        assert np.isfinite(ref).all() and np.isfinite(got).all(), label
        scale = np.abs(ref).max()
        assert scale > 0, label
        worst = np.abs(got - ref).max() / scale
        assert worst <= TOLERANCE, f"{label}: off by {worst:.2e} of its largest value"


@needs_cross
def test_the_prebuild_cross_compiles_the_aarch64_libraries(tmp_path):
    assert native_build.main(["--prebuild", str(tmp_path), "--machine", "aarch64"]) == 0
    for variant in ("neon", "portable"):
        lib = tmp_path / f"rwkv_cpu-{variant}-linux-aarch64.so"
        head = lib.read_bytes()[:20]
        assert head[:4] == b"\x7fELF" and int.from_bytes(head[18:20], "little") == EM_AARCH64, variant
        assert f"{variant}\0".encode() in lib.read_bytes()  # its rwkv_variant() string


def test_aarch64_offers_neon_first_and_x86_never_does():
    assert native_build.variants("aarch64") == ("neon", "portable")
    assert native_build.variants("arm64") == ("neon", "portable")
    assert "neon" not in native_build.variants("x86_64")
    assert native_build.library_name("neon", "aarch64").endswith("-neon-linux-aarch64.so")
    assert "-DHEARTH_NEON" in native_build.flags_for("neon", "aarch64")
    with pytest.raises(RuntimeError, match="no 'neon' kernels for x86_64"):
        native_build.flags_for("neon", "x86_64")
    with pytest.raises(RuntimeError, match="no 'avx2' kernels for aarch64"):
        native_build.flags_for("avx2", "aarch64")
