"""Build Hearth's one-folder bundle for this platform (PyInstaller), and on Linux a tarball and a .deb.

    python packaging/build.py [--with-ai] [--deb] [--tarball] [--out DIR]

--with-ai bundles torch (CPU) so the local model runs from the bundle; without it the bundle is about
a third the size and the AI panel says torch is missing. The prebuilt native RWKV kernels
(`python -m app.ai.native_build --prebuild DIR`) go in at app/ai/native/prebuilt/. Needs
`pip install pyinstaller`; the .deb needs dpkg-deb (and checks itself with desktop-file-validate and
appstreamcli where they are installed).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
sys.path.insert(0, str(PACKAGING))

from deb import build_deb, install_tree  # noqa: E402


def version() -> str:
    for line in (ROOT / "pyproject.toml").read_text(encoding="utf-8").splitlines():
        if line.startswith("version"):
            return line.split("=", 1)[1].strip().strip('"')
    raise SystemExit("build: no version in pyproject.toml")


def folder_size(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def mb(n: int) -> str:
    return f"{n / 1e6:.0f} MB"


def prebuild_kernels(work: Path) -> Path | None:
    """The engine's prebuilt CPU variants, if this tree's native_build offers `--prebuild` yet."""
    out = work / "prebuilt"
    out.mkdir(parents=True, exist_ok=True)
    src = (ROOT / "app" / "ai" / "native_build.py").read_text(encoding="utf-8")
    if "--prebuild" not in src:
        print(
            "build: note: app.ai.native_build has no --prebuild yet; the bundle compiles kernels on first use"
        )
        return None
    proc = subprocess.run([sys.executable, "-m", "app.ai.native_build", "--prebuild", str(out)], cwd=ROOT)
    files = [p for p in out.iterdir() if p.is_file()]
    if proc.returncode != 0 or not files:
        print(
            f"build: note: --prebuild exited {proc.returncode} with {len(files)} files; no prebuilt kernels"
        )
        return None
    print(f"build: {len(files)} prebuilt kernel files: {', '.join(sorted(p.name for p in files))}")
    return out


def render_icons(work: Path) -> Path:
    icons = work / "icons"
    subprocess.run(
        [sys.executable, str(PACKAGING / "render_icons.py"), str(icons)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return icons


def run_pyinstaller(out: Path, work: Path, *, with_ai: bool, prebuilt: Path | None, icons: Path) -> Path:
    if shutil.which("pyinstaller") is None:
        try:
            import PyInstaller  # noqa: F401
        except ImportError:
            raise SystemExit("build: PyInstaller is not installed: `pip install pyinstaller`") from None
    if with_ai:
        try:
            import torch  # noqa: F401
        except ImportError:
            raise SystemExit(
                "build: --with-ai needs torch: `pip install torch --index-url https://download.pytorch.org/whl/cpu`"
            ) from None
    env = dict(os.environ, HEARTH_WITH_AI="1" if with_ai else "0", HEARTH_VERSION=version())
    env["HEARTH_ICON_DIR"] = str(icons)
    env["HEARTH_PREBUILT_DIR"] = str(prebuilt or "")
    dist = out / ("bundle-ai" if with_ai else "bundle")
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    cmd += ["--distpath", str(dist), "--workpath", str(work / "pyinstaller"), str(PACKAGING / "hearth.spec")]
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)
    bundle = dist / "hearth"
    for link in [p for p in bundle.rglob("*") if p.is_symlink() and not p.exists()]:
        link.unlink()  # links PyInstaller made to the QML-only libraries the spec leaves out
    # QtWebEngine's Chromium creates this empty folder on every start if it is missing: shipped, the
    # bundle writes nothing next to itself (and `dpkg -r` leaves no stray folder in /opt)
    if sys.platform.startswith("linux"):
        (bundle / "_internal" / "PySide6" / "Qt" / "resources" / "locales").mkdir(parents=True, exist_ok=True)
    unpack_pyside_support(bundle)
    return bundle


def unpack_pyside_support(bundle: Path) -> Path:
    """shiboken6's support modules as bytecode files beside the bundle's shiboken6 binary, which it then
    imports instead of compiling them from its embedded zip at every start (~30 ms; app/ui/pyside_signatures.py)."""
    sys.path.insert(0, str(ROOT))
    import shiboken6  # noqa: F401  (the build's PySide6, the one the bundle carries)

    from app.ui.pyside_signatures import FOLDER, binary_stamp, support_sources, unpack

    package = next(path.parent for path in bundle.rglob("Shiboken.*") if path.parent.name == "shiboken6")
    sources, stamp = support_sources(), binary_stamp(package)
    if not sources or stamp is None:
        raise SystemExit(f"build: cannot read shiboken6's support modules for {package}")
    shutil.rmtree(package / FOLDER, ignore_errors=True)
    folder = unpack(package, sources, stamp)
    if folder is None:
        raise SystemExit(f"build: cannot write shiboken6's support modules into {package}")
    return folder


def make_tarball(bundle: Path, out: Path, name: str, icons: Path, *, level: int = 6) -> Path:
    """The bundle plus its desktop files, as /opt-style folder: unpack anywhere and run ./hearth/hearth."""
    target = out / f"{name}.tar.gz"
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp) / name
        install_tree(bundle, top, icons, prefix="share", bundle_dir="hearth", bin_link=False)
        with tarfile.open(target, "w:gz", compresslevel=level) as tar:
            tar.add(top, arcname=name)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--with-ai", action="store_true", help="bundle torch (CPU) for the local model")
    parser.add_argument("--deb", action="store_true", help="also build a .deb (Linux, needs dpkg-deb)")
    parser.add_argument("--tarball", action="store_true", help="also build a .tar.gz of the bundle (Linux)")
    parser.add_argument(
        "--fast", action="store_true", help="light compression for the tarball and .deb (tests)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = out / "work"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    prebuilt = prebuild_kernels(work)
    icons = render_icons(work)
    bundle = run_pyinstaller(out, work, with_ai=args.with_ai, prebuilt=prebuilt, icons=icons)
    size = folder_size(bundle)
    print(f"build: bundle {bundle} ({mb(size)}, {'with' if args.with_ai else 'without'} torch)")
    torch_dir = bundle / "_internal" / "torch"
    if torch_dir.is_dir():
        print(
            f"build: torch in the bundle: {mb(folder_size(torch_dir))}; without it: {mb(size - folder_size(torch_dir))}"
        )
    arch = {"x86_64": "x86_64", "AMD64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}.get(
        platform.machine(), platform.machine()
    )
    suffix = "-ai" if args.with_ai else ""
    if (args.tarball or args.deb) and not sys.platform.startswith("linux"):
        raise SystemExit("build: the tarball and .deb are built on Linux only")
    if args.tarball:
        tarball = make_tarball(
            bundle, out, f"hearth-{version()}-linux-{arch}{suffix}", icons, level=1 if args.fast else 6
        )
        print(f"build: tarball {tarball} ({mb(tarball.stat().st_size)})")
    if args.deb:
        deb = build_deb(bundle, out, icons, version=version(), with_ai=args.with_ai, fast=args.fast)
        print(f"build: deb {deb} ({mb(deb.stat().st_size)})")
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
