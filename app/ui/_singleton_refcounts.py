"""Work around PySide6/shiboken6 6.12.0 on Python < 3.12: it returns None/True/False without a reference.

Every void method call (setText, setValue ...) and every `emit()` then drops a reference it never took,
and after a few thousand calls CPython aborts ("none_dealloc: deallocating None"). Python 3.12 made these
singletons immortal, which is what the wheel assumes; here we make them effectively immortal too by
giving them a huge reference count. They are never freed in a correct program, so this changes nothing else.
"""

from __future__ import annotations

import ctypes
import sys

_HEADROOM = 1 << 40


def needs_fix(version: str, python: tuple[int, int] = sys.version_info[:2]) -> bool:
    return python < (3, 12) and version.startswith("6.12.")


def apply() -> bool:
    try:
        import shiboken6
    except ImportError:
        return False
    if not needs_fix(getattr(shiboken6, "__version__", "")):
        return False
    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += _HEADROOM
    return True


APPLIED = apply()
