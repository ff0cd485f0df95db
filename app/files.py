"""Writing a file the user chose (an export) so that it is whole or untouched, never half-written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def replace_file(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` through a temporary file beside it, renamed over `path` once complete: a reader
    (or a crash, or a full disk) never sees a truncated file, and a failed write leaves the old one as it was."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        if target.exists():  # keep the mode of the file it replaces (mkstemp makes 0600)
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
