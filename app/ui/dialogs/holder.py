"""The window's open dialogs, one named slot each: a dialog stays referenced while it is open, and the
next one of its kind replaces it. The window creates one `Dialogs`; the action groups fill it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog, QMessageBox

    from app.ui.dialogs.add_feed import AddFeedDialog
    from app.ui.dialogs.edit_feed import EditFeedDialog
    from app.ui.dialogs.mark_read import MarkReadDialog
    from app.ui.dialogs.opml_import import ScriptOutlinesDialog
    from app.ui.dialogs.settings import SettingsDialog
    from app.ui.dialogs.shortcuts import ShortcutSheet


@dataclass
class Dialogs:
    add_feed: AddFeedDialog | None = None
    edit_feed: EditFeedDialog | None = None
    mark_read: MarkReadDialog | None = None
    settings: SettingsDialog | None = None
    shortcuts: ShortcutSheet | None = None
    sign_in: QDialog | None = None
    script_outlines: ScriptOutlinesDialog | None = None  # "add feeds that run commands?", while asked
    import_notes: QMessageBox | None = None  # the last OPML import's note of what it skipped
    ask: QDialog | None = None  # Ask your library (app/ui/ask_dialog.py)
