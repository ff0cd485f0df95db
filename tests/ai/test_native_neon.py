"""The Arm NEON kernels, cross-compiled for aarch64 and run under qemu-user on this machine: every kernel
(matvec in each weight layout, the RWKV-7/6/4 recurrences, the whole RWKV-7 decode step) on fixed
pseudo-random inputs (tests/ai/native_driver.c) must print what the portable kernels print natively, within
TOLERANCE. Built with native_build's own flags for each variant, so what is tested is what ships: `neon`
(baseline Armv8-A, int8/int4 rows through vmull_s8) and `neondot` (+dotprod, through vdotq_s32).

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
from app.ai.checkpoint import inspect_checkpoint
from app.ai.make_random import make_random_checkpoint
from app.ai.plan import plan_for
from app.errors import ModelLoadError

ROOT = Path(__file__).resolve().parents[2]
DRIVER = ROOT / "tests" / "ai" / "native_driver.c"
PROBE = ROOT / "tests" / "ai" / "native_probe.c"
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


# qemu's CPU models: "max" has the dot product, a Cortex-A72 (Raspberry Pi 4) has plain NEON only
CPU = {"neondot": "max", "neon": "cortex-a72"}


def _run(exe: Path, emulate: bool, *args: str, cpu: str = "max") -> str:
    cmd = ["qemu-aarch64", "-cpu", cpu, "-L", str(SYSROOT), str(exe)] if emulate else [str(exe)]
    cmd += args
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
@pytest.mark.parametrize("variant", ["neon", "neondot"])
def test_every_neon_kernel_matches_the_portable_kernels(portable, tmp_path, variant):
    exe = _build(variant, "aarch64", tmp_path / "driver", [])
    header, neon = _parse(_run(exe, emulate=not ON_ARM, cpu=CPU[variant]))
    assert header == f"variant {variant} dotprod={int(variant == 'neondot')} supported=1"
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
    for variant in ("neondot", "neon", "portable"):
        lib = tmp_path / f"rwkv_cpu-{variant}-linux-aarch64.so"
        head = lib.read_bytes()[:20]
        assert head[:4] == b"\x7fELF" and int.from_bytes(head[18:20], "little") == EM_AARCH64, variant
    if ON_ARM:
        return  # the host's own loader checks these in tests/ai/test_native.py
    probe = tmp_path / "probe"
    proc = subprocess.run(
        [CROSS, str(PROBE), "-o", str(probe), "-ldl"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    for cpu, dotprod in (("max", 1), ("cortex-a72", 0)):
        for variant in ("neondot", "neon", "portable"):
            lib = tmp_path / f"rwkv_cpu-{variant}-linux-aarch64.so"
            supported = dotprod if variant == "neondot" else 1
            assert _run(probe, True, str(lib), cpu=cpu).split() == [
                variant,
                str(native_build.ABI),
                str(supported),
            ]


def test_aarch64_offers_neon_first_and_x86_never_does():
    assert native_build.variants("aarch64") == ("neondot", "neon", "portable")
    assert native_build.variants("arm64") == native_build.variants("aarch64")
    assert not {"neon", "neondot"} & set(native_build.variants("x86_64"))
    assert native_build.NEEDS["neondot"] == ("asimd", "asimddp")  # a Cortex-A72 without it gets neon
    assert native_build.library_name("neon", "aarch64").endswith("-neon-linux-aarch64.so")
    assert "-DHEARTH_NEON" in native_build.flags_for("neon", "aarch64")
    with pytest.raises(RuntimeError, match="no 'neon' kernels for x86_64"):
        native_build.flags_for("neon", "x86_64")
    with pytest.raises(RuntimeError, match="no 'avx2' kernels for aarch64"):
        native_build.flags_for("avx2", "aarch64")


@pytest.mark.skipif(ON_ARM, reason="on aarch64 the NEON kernels can run")
def test_asking_for_neon_elsewhere_is_a_clear_error(tmp_path):
    info = inspect_checkpoint(
        make_random_checkpoint(tmp_path / "v7", version="7", n_layer=1, n_embd=128, seed=1)
    )
    for variant in ("neondot", "neon"):
        with pytest.raises(
            ModelLoadError, match=f"{variant} kernels cannot run here .*no {variant} kernels on"
        ):
            plan_for(info, "cpu", "int8", variant)
