"""PySide6's signature-support modules read from bytecode files instead of compiled at every start.

shiboken6 carries its Python support modules (shibokensupport: signatures, `__feature__`) as a zip inside
its binary and compiles them from source every time it is imported: ~30 ms of each launch. If a folder
`files.dir` sits beside that binary, shiboken6 imports them from there instead, as ordinary modules with
their bytecode cached (PySide6's own switch, SBK_EMBED=0, unpacks that folder; shibokensupport's
signature_bootstrap.py reads it). Hearth writes the same files itself, from the zip shiboken6 has loaded:

- into a PySide6 installed inside the virtual environment Hearth runs from (the README's `.venv`, pipx),
  once the window is up (`unpack_later`), into a temporary folder renamed into place, so a Hearth starting
  meanwhile sees the whole folder or none; never into a shared or system PySide6;
- into the bundle at build time (packaging/build.py).

The folder carries a stamp naming the binary it was written for (size and modification time). Before
PySide6 is imported, `drop_stale` removes a folder of Hearth's whose binary changed (PySide6 upgraded):
old support files must not run against a new binary. A folder without the stamp is someone else's
(unpacked with SBK_EMBED=0): left alone.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import threading

log = logging.getLogger(__name__)

FOLDER = "files.dir"  # the name shiboken6's signature_bootstrap.find_incarnated_files looks for
STAMP = ".hearth-stamp"
LOADER = "shibokensupport.signature.loader"


def shiboken_package() -> Path | None:
    """shiboken6's folder, found without importing it (None if it is not installed)."""
    if "shiboken6" in sys.modules:
        file = getattr(sys.modules["shiboken6"], "__file__", None)
        return Path(file).parent if file else None
    try:
        spec = importlib.util.find_spec("shiboken6")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def binary_stamp(package: Path) -> str | None:
    """What identifies shiboken6's binary in `package`: its name, size and modification time."""
    try:
        for entry in os.scandir(package):
            if entry.name.startswith("Shiboken.") and entry.name.endswith((".so", ".pyd")):
                st = entry.stat()
                return f"{entry.name} {st.st_size} {st.st_mtime_ns}"
    except OSError:
        return None
    return None


def drop_stale(package: Path | None = None) -> bool:
    """Before PySide6 is imported: remove Hearth's `files.dir` if shiboken6's binary is not the one it was
    written for. True if one was removed."""
    if getattr(sys, "frozen", False):
        return False  # a bundle's files were written with it (packaging/build.py)
    if package is None:
        if "shiboken6" in sys.modules:
            return False  # imported already: too late
        package = shiboken_package()
    if package is None:
        return False
    folder = package / FOLDER
    try:
        stamp = (folder / STAMP).read_text(encoding="utf-8")
    except OSError:
        return False  # none, or someone else's
    if stamp == binary_stamp(package):
        return False
    import shutil

    log.info("PySide6 changed since its support files were unpacked; removing %s", folder)
    shutil.rmtree(folder, ignore_errors=True)
    return not folder.exists()


def may_write(package: Path, prefix: str = sys.prefix, base_prefix: str = sys.base_prefix) -> bool:
    """Whether Hearth may add files to this PySide6: one of the virtual environment it runs from."""
    if prefix == base_prefix or getattr(sys, "frozen", False):
        return False
    try:
        return package.resolve().is_relative_to(Path(prefix).resolve()) and os.access(package, os.W_OK)
    except OSError:
        return False


def support_sources() -> dict[str, bytes] | None:
    """The support modules' sources (path in files.dir -> bytes) of the shiboken6 this process imported:
    from the zip in its binary, or from the files.dir it read them from; None if neither is there."""
    loader_module = sys.modules.get(LOADER)
    archive = getattr(getattr(loader_module, "__loader__", None), "zfile", None)
    if archive is not None and hasattr(archive, "namelist"):
        return {name: archive.read(name) for name in archive.namelist() if name.endswith(".py")}
    file = getattr(loader_module, "__file__", None)
    if not file:
        return None
    root = Path(file).parents[2]  # files.dir/shibokensupport/signature/loader.py
    if root.name != FOLDER:
        return None
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*.py")
        if "__pycache__" not in path.parts
    }


def support_from_files() -> bool:
    """Whether this process's shiboken6 read its support modules from files.dir (not its embedded zip)."""
    file = getattr(sys.modules.get(LOADER), "__file__", None) or ""
    return FOLDER in Path(file).parts


def unpack(package: Path, sources: dict[str, bytes], stamp: str) -> Path | None:
    """Write `sources` byte-compiled into `package`/files.dir with `stamp`, all at once (a rename); None if
    the folder exists already (another Hearth was first) or cannot be written."""
    import compileall
    import shutil
    import tempfile

    target = package / FOLDER
    if target.exists():
        return None
    try:
        work = Path(tempfile.mkdtemp(prefix=".files.dir-", dir=package))
    except OSError as exc:
        log.info("cannot unpack PySide6's support files into %s: %s", package, exc)
        return None
    try:
        for name, data in sources.items():
            path = work / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if not compileall.compile_dir(work, quiet=2, workers=1):
            raise OSError("the support files did not compile")
        (work / STAMP).write_text(stamp, encoding="utf-8")
        work.chmod(0o755)
        work.rename(target)
    except OSError as exc:
        log.info("cannot unpack PySide6's support files into %s: %s", target, exc)
        shutil.rmtree(work, ignore_errors=True)
        return None
    log.info("unpacked PySide6's support files into %s (faster starts)", target)
    return target


def unpack_here() -> Path | None:
    """Unpack into the PySide6 this process imported, where Hearth may (see may_write)."""
    package = shiboken_package()
    if package is None or (package / FOLDER).exists() or not may_write(package):
        return None
    sources, stamp = support_sources(), binary_stamp(package)
    if not sources or stamp is None:
        return None
    return unpack(package, sources, stamp)


def unpack_later() -> threading.Thread:
    """`unpack_here` on a thread (once the window is up: it compiles ~15 modules, ~50 ms)."""
    import threading

    thread = threading.Thread(target=unpack_here, name="hearth-unpack-pyside", daemon=True)
    thread.start()
    return thread
