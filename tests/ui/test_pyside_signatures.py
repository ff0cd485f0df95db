"""PySide6's support modules unpacked beside shiboken6's binary (app/ui/pyside_signatures.py), on a real
copy of the installed shiboken6: a later import reads them from bytecode, a changed binary drops Hearth's
folder and keeps anyone else's, two writers at once leave one whole folder, and only a PySide6 inside the
running virtual environment is written to."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import app.ui  # noqa: F401  (imports PySide6)
from app.ui.pyside_signatures import (
    FOLDER,
    STAMP,
    binary_stamp,
    drop_stale,
    may_write,
    shiboken_package,
    support_sources,
    unpack,
)


@pytest.fixture
def shiboken_copy(tmp_path: Path) -> Path:
    """A copy of the installed shiboken6 package (without any files.dir of its own) in tmp_path/site."""
    installed = shiboken_package()
    assert installed is not None
    copy = tmp_path / "site" / "shiboken6"
    shutil.copytree(installed, copy, ignore=shutil.ignore_patterns(FOLDER, ".files.dir-*", "include"))
    return copy


def loader_file(site: Path) -> str:
    """Where a fresh interpreter importing shiboken6 from `site` reads its signature loader from."""
    code = "import shiboken6, sys; print(sys.modules['shibokensupport.signature.loader'].__file__)"
    env = dict(os.environ, PYTHONPATH=str(site))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_unpacked_support_files_are_what_shiboken_imports_next(shiboken_copy: Path) -> None:
    site = shiboken_copy.parent
    assert FOLDER not in loader_file(site)  # from the zip inside the binary
    sources = support_sources()
    assert sources and "shibokensupport/signature/loader.py" in sources
    stamp = binary_stamp(shiboken_copy)
    assert stamp is not None and stamp.startswith("Shiboken.")
    folder = unpack(shiboken_copy, sources, stamp)
    assert folder == shiboken_copy / FOLDER
    assert (folder / STAMP).read_text() == stamp
    assert list((folder / "shibokensupport" / "signature" / "__pycache__").glob("loader.*.pyc"))
    assert loader_file(site) == str(folder / "shibokensupport" / "signature" / "loader.py")
    assert unpack(shiboken_copy, sources, stamp) is None  # there already
    assert not list(shiboken_copy.glob(".files.dir-*"))  # no work folder left behind


def test_a_changed_binary_drops_hearths_folder_and_keeps_anyone_elses(shiboken_copy: Path) -> None:
    sources, stamp = support_sources(), binary_stamp(shiboken_copy)
    assert sources and stamp
    folder = unpack(shiboken_copy, sources, stamp)
    assert folder is not None
    assert not drop_stale(shiboken_copy) and folder.exists()  # the binary it was written for
    (folder / STAMP).write_text("Shiboken.abi3.so 1 1")  # as if PySide6 was upgraded since
    assert drop_stale(shiboken_copy) and not folder.exists()
    assert FOLDER not in loader_file(shiboken_copy.parent)
    theirs = unpack(shiboken_copy, sources, stamp)
    assert theirs is not None
    (theirs / STAMP).unlink()  # unpacked by someone else (SBK_EMBED=0): no stamp
    assert not drop_stale(shiboken_copy) and theirs.exists()


def test_two_writers_at_once_leave_one_whole_folder(shiboken_copy: Path) -> None:
    sources, stamp = support_sources(), binary_stamp(shiboken_copy)
    assert sources and stamp
    results: list[Path | None] = []
    start = threading.Barrier(2)

    def write() -> None:
        start.wait()
        results.append(unpack(shiboken_copy, sources, stamp))

    threads = [threading.Thread(target=write) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results, key=lambda r: r is None) == [shiboken_copy / FOLDER, None]  # one wrote it
    assert not list(shiboken_copy.glob(".files.dir-*"))
    written = {
        p.relative_to(shiboken_copy / FOLDER).as_posix() for p in (shiboken_copy / FOLDER).rglob("*.py")
    }
    assert written == set(sources)
    assert loader_file(shiboken_copy.parent).startswith(str(shiboken_copy / FOLDER))


def test_only_a_pyside6_inside_the_running_virtual_environment_is_written_to(shiboken_copy: Path) -> None:
    venv = shiboken_copy.parent.parent
    assert may_write(shiboken_copy, prefix=str(venv), base_prefix="/usr")
    assert not may_write(shiboken_copy, prefix=str(venv), base_prefix=str(venv))  # not a venv
    assert not may_write(shiboken_copy, prefix=str(venv / "elsewhere"), base_prefix="/usr")  # a shared one
