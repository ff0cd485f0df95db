"""The one-time move from Hearth 0.1's single data folder to the platform's config, data and cache folders.

Safe if interrupted at any point: the old folder is copied (hard links where the filesystem allows) into
a staging folder beside the new data folder, and one rename puts the complete copy in place (the commit).
Only then are settings and rebuildable files split out and the old folder removed; a marker file in the
new data folder says that this second half is pending, so the next start finishes it.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from app.config import Paths

log = logging.getLogger(__name__)

MARKER = ".hearth-moved-from"  # in the new data folder until the move is finished; holds the old path
STAGING_PREFIX = ".hearth-moving-"
LOCK_NAME = ".hearth-move.lock"


def move_legacy_data(paths: Paths, legacy: Path) -> bool:
    """Move `legacy` (one folder for everything) into `paths`; True if anything moved. Raises OSError."""
    if paths.single_folder:
        return False
    data = paths.data_dir
    if not legacy.is_dir() and not (data / MARKER).exists():
        return False
    with _move_lock(paths.cache_dir):
        same = legacy.is_dir() and data.exists() and os.path.samefile(legacy, data)
        if legacy.is_dir() and not same:
            if not data.exists():
                if not any(legacy.iterdir()):
                    return False
                _commit_copy(legacy, data)
            elif not (data / MARKER).exists():
                log.info("both %s and %s exist: using %s and leaving %s as it is", legacy, data, data, legacy)
                return False
        marker = data / MARKER
        moved = _split(paths)
        if marker.exists():
            old = Path(marker.read_text(encoding="utf-8").strip())
            if old.is_dir() and not os.path.samefile(old, data):
                shutil.rmtree(old)
            marker.unlink()
            log.warning(
                "moved Hearth's data from %s to %s, %s and %s", old, data, paths.config_dir, paths.cache_dir
            )
            return True
        return moved


def _commit_copy(legacy: Path, data: Path) -> None:
    staging = data.parent / f"{STAGING_PREFIX}{data.name}"
    if staging.exists():
        shutil.rmtree(staging)  # a copy an earlier run did not finish; the old folder is still whole
    copy_tree(legacy, staging)
    (staging / MARKER).write_text(str(legacy), encoding="utf-8")
    _fsync_dir(staging)
    os.rename(staging, data)  # the commit: the new folder appears complete or not at all
    _fsync_dir(data.parent)


def _split(paths: Paths) -> bool:
    """Settings to the config folder, `cache/` and the log to the cache folder; each step is idempotent."""
    data, moved = paths.data_dir, False
    if paths.config_dir != data:
        moved |= _move(data / "settings.json", paths.settings_path)
    old_cache = data / "cache"
    if old_cache.is_dir() and not _same(old_cache, paths.cache_dir):
        for entry in sorted(old_cache.iterdir()):
            moved |= _move(entry, paths.cache_dir / entry.name)
        with contextlib.suppress(OSError):
            old_cache.rmdir()
    if paths.log_path.parent != data:
        moved |= _move(data / "hearth.log", paths.log_path)
    return moved


def _move(src: Path, dst: Path) -> bool:
    """Rename, or copy then rename across filesystems; a `dst` that exists is complete (it was renamed in)."""
    if not src.exists():
        return False
    if dst.exists():
        _remove(src)  # an earlier run put the complete copy in place and stopped before deleting this
        return True
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(src, dst)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        tmp = dst.with_name(f"{STAGING_PREFIX}{dst.name}")
        if tmp.exists():
            _remove(tmp)
        if src.is_dir():
            copy_tree(src, tmp)
        else:
            copy_file(src, tmp)
        os.rename(tmp, dst)
        _remove(src)
    return True


def copy_tree(src: Path, dst: Path) -> None:
    """Copy a folder, hard-linking files where possible (no space, no time) and copying them otherwise."""
    dst.mkdir(parents=True)
    for entry in sorted(src.iterdir()):
        target = dst / entry.name
        if entry.is_symlink():
            os.symlink(os.readlink(entry), target)
        elif entry.is_dir():
            copy_tree(entry, target)
        elif entry.is_file():
            copy_file(entry, target)
        else:
            log.info("not moving %s (not a file or folder)", entry)


def copy_file(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
        return
    except OSError:
        pass
    shutil.copy2(src, dst)
    with open(dst, "rb") as fh:
        os.fsync(fh.fileno())


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _move_lock(folder: Path) -> Iterator[None]:
    """Two Hearth processes starting at once (the window and a CLI command) must not both move."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_NAME, "a+b") as fh:
        if os.name == "posix":
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        yield
