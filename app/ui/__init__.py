"""The desktop app: the only package that imports PySide6 (windows, item models, tray, dialogs, workers)."""

from app.ui import _singleton_refcounts  # noqa: F401  (first: PySide6 6.12.0 on Python 3.11 needs it)
