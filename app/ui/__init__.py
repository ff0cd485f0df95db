"""The desktop app: the only package that imports PySide6 (windows, item models, tray, dialogs, workers)."""

from app.ui.pyside_signatures import drop_stale
from app.ui.pyside_sources import read_sources_without_linecache

drop_stale()  # before PySide6 is imported: its unpacked support files must match its binary
read_sources_without_linecache()  # before the rest of app.ui is imported: ~14 MB less Python heap
