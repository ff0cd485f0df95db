"""The desktop app: the only package that imports PySide6 (windows, item models, tray, dialogs, workers)."""

from app.ui.pyside_sources import read_sources_without_linecache

read_sources_without_linecache()  # before the rest of app.ui is imported: ~14 MB less Python heap
