"""Marking articles read or starred from the window, and undoing a "mark … as read" (newest first).

The list shows a change at once; the write is a store operation, and its change signal updates the counts.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.i18n import _, ngettext
from app.ui.operations import ARTICLE_FLAGS
from app.ui.window_parts import WindowParts


class ArticleMarks(QObject):
    undo_changed = Signal(object)  # the newest undoable step's description, or None when nothing is left

    def __init__(self, parts: WindowParts) -> None:
        super().__init__(parts.host)
        self.p = parts
        self.undo_stack: list[tuple[str, list[int]]] = []

    def target_ids(self) -> list[int]:
        """The selected articles, or the current one when none is selected."""
        current = self.p.list.current_id()
        return self.p.list.selected_ids() or ([current] if current is not None else [])

    def set_read(self, ids: list[int], read: bool) -> None:
        if not ids:
            return
        self.p.list_model.set_flag(ids, "read", read)
        self.p.op(lambda store: store.mark_read(ids, read), ARTICLE_FLAGS).run_in_background()

    def set_starred(self, ids: list[int], starred: bool) -> None:
        if not ids:
            return
        self.p.list_model.set_flag(ids, "starred", starred)
        self.p.op(lambda store: store.star(ids, starred), ARTICLE_FLAGS).run_in_background()

    def toggle_read(self) -> None:
        ids = self.target_ids()
        rows = self._rows(ids)
        if rows:
            self.set_read(ids, not all(r.read for r in rows if r))

    def toggle_star(self) -> None:
        ids = self.target_ids()
        rows = self._rows(ids)
        if rows:
            self.set_starred(ids, not all(r.starred for r in rows if r))

    def _rows(self, ids: list[int]) -> list:
        model = self.p.list_model
        return [model.row_data(r) for r in (model.row_of(i) for i in ids) if r is not None]

    def remember_undo(self, description: str, ids: list[int]) -> None:
        """A bulk "mark read" just happened to `ids`: offer to undo it."""
        if not ids:
            self.p.show_message(_("{action}: nothing was unread").format(action=description))
            return
        self.undo_stack.append((description, ids))
        self.undo_changed.emit(description)
        self.p.show_message(
            ngettext("{action}: {n:,} article", "{action}: {n:,} articles", len(ids)).format(
                action=description, n=len(ids)
            )
        )

    def undo(self) -> None:
        if not self.undo_stack:
            return
        description, ids = self.undo_stack.pop()
        self.p.list_model.set_flag(ids, "read", False)
        self.p.op(lambda store: store.mark_read(ids, False), ARTICLE_FLAGS).run_in_background()
        self.p.show_message(_("Undone: {action}").format(action=description))
        self.undo_changed.emit(self.undo_stack[-1][0] if self.undo_stack else None)
