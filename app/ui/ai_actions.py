"""The window's AI actions (issue 14): Article → Translate / Show original, Tools → Ask your library…,
mounted by the controller once the AI worker exists (never while ai.enabled is off)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from app.i18n import _

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow
    from app.ui.translate_view import ReaderTranslation


def install_ai_actions(window: MainWindow, worker: object) -> ReaderTranslation:
    """Mount the reader's translation and the Ask dialog; returns the translation."""
    from app.ui.ask_dialog import open_ask_dialog
    from app.ui.translate_view import ReaderTranslation

    w = window
    translation = ReaderTranslation(worker, w.reader, w, notify=w.show_message)  # type: ignore[arg-type]
    w.reader_translation = translation
    w.list.selectionModel().currentChanged.connect(lambda *_a: translation.set_article(w.reader.article))
    ask = QAction(_("Ask your library…"), w)
    ask.setShortcut(QKeySequence("Ctrl+Shift+L"))
    ask.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    ask.setToolTip(_("Ask a question over the selected feed, folder, Starred or everything (Ctrl+Shift+L)"))
    ask.triggered.connect(lambda _c=False: open_ask_dialog(w, worker))  # type: ignore[arg-type]
    w.ask_action = ask
    w.menus.article.addSeparator()
    w.menus.article.addAction(translation.translate_action)
    w.menus.article.addAction(translation.original_action)
    w.menus.tools.addSeparator()
    w.menus.tools.addAction(ask)
    w.actions_.ai_actions = [translation.translate_action, translation.original_action, ask]  # the sheet
    for action in w.actions_.ai_actions:
        w.addAction(action)
    w.menus.add_to_toolbar(translation.translate_action)
    return translation
