"""Keep PySide6 from filling `linecache` with the source of every module Hearth imports.

PySide6's import hook (shibokensupport.feature, PYSIDE-2029) asks of each newly imported module whether
its source mentions "PySide6", through `inspect.getsource`: that reads the whole file into `linecache`
and keeps it there, about 14 MB of Python strings for Hearth's ~600 modules, held for the life of the
process. The same question answered from the file's bytes keeps nothing. Modules without a .py file
(builtins, extensions) still go to PySide6's own check. Nothing changes if PySide6 lacks the hook.
"""

from __future__ import annotations

import linecache
import sys
from types import ModuleType


def read_sources_without_linecache() -> bool:
    """Install the byte-reading check (once) and drop what the hook cached so far; True if installed."""
    import PySide6  # noqa: F401  (loads the hook)

    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or original is None:
        return False
    if getattr(original, "hearth", False):
        return True

    def uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return bool(original(module))
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return bool(original(module))

    uses_pyside.hearth = True  # type: ignore[attr-defined]
    feature._mod_uses_pyside = uses_pyside  # type: ignore[attr-defined]
    linecache.clearcache()
    return True
