"""setuptools build hook: compile the native RWKV CPU kernels when Hearth is installed.

`pip install .` (a wheel) and `pip install -e .` (editable, what README's commands run) both run `build_py`;
after its usual work it compiles every kernel variant this machine's C compiler can build
(`app.ai.native_build.prebuild`: AVX-512 VNNI, AVX2 and portable on x86-64; NEON on aarch64) into
`app/ai/native/prebuilt/`: inside the wheel for `pip install .`, in the checkout for `pip install -e .` (that
folder is git-ignored). The loader takes them from there (origin "prebuilt"), so no compiler is needed when
Hearth runs; compile-on-first-use stays the fallback. Without a compiler, or when a variant does not compile,
the install goes on with a printed note and nothing is ever raised.

A wheel holding compiled libraries is tagged for its platform (`py3-none-linux_x86_64`): they are plain C
shared libraries loaded with ctypes, not Python extensions, so any Python 3 on that platform can use them.
Everything else about the project is in pyproject.toml.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1 kept it in the wheel package
    from wheel.bdist_wheel import bdist_wheel

ROOT = Path(__file__).resolve().parent
PREBUILT = Path("app") / "ai" / "native" / "prebuilt"


def _native_build() -> ModuleType:
    """app/ai/native_build.py on its own (stdlib only at import): the build environment may lack torch and
    every other runtime dependency, so the `app` package is not imported."""
    spec = importlib.util.spec_from_file_location(
        "_hearth_native_build", ROOT / "app" / "ai" / "native_build.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def prebuild_kernels(target: Path) -> list[Path]:
    """Compile every variant into `target`; the libraries built. Never raises: a failure is a printed note."""
    try:
        native_build = _native_build()
        if native_build.compiler() is None:
            print(
                "hearth: note: no C compiler found; the native CPU kernels are not prebuilt", file=sys.stderr
            )
            return []
        results = native_build.prebuild(target)
    except Exception as exc:  # the install must not fail for an optional speed-up
        print(f"hearth: note: the native CPU kernels were not prebuilt: {exc}", file=sys.stderr)
        return []
    built = []
    for variant, where in results.items():
        if where.startswith("failed"):
            print(f"hearth: note: {variant} kernels not prebuilt ({where})", file=sys.stderr)
        else:
            built.append(Path(where))
    print(f"hearth: prebuilt native kernels in {target}: {', '.join(p.name for p in built) or 'none'}")
    return built


class BuildPyWithKernels(build_py):
    """build_py, then the kernels: into the build tree (wheel) or into the checkout (editable)."""

    def run(self) -> None:
        super().run()
        target = ROOT / PREBUILT if self.editable_mode else Path(self.build_lib) / PREBUILT
        prebuild_kernels(target)  # in the build tree, install_lib copies them into the wheel with the rest


class KernelDistribution(Distribution):
    """A distribution with compiled code: built into and installed from platlib, its wheel not "any"."""

    def has_ext_modules(self) -> bool:
        return True


class PlatformWheel(bdist_wheel):
    """A wheel tagged for this platform (it may carry compiled kernels), for any Python 3."""

    def get_tag(self) -> tuple[str, str, str]:
        _, _, plat = super().get_tag()
        return "py3", "none", plat


if __name__ == "__main__":  # setuptools' build backend runs this file as __main__; tests import it
    setup(
        distclass=KernelDistribution, cmdclass={"build_py": BuildPyWithKernels, "bdist_wheel": PlatformWheel}
    )
