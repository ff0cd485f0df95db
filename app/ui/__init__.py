"""The desktop app: the only package that imports PySide6 (windows, item models, tray, dialogs, workers)."""
