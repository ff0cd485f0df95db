"""What the window's action groups work with: its views, status line, dialogs and the UI context, handed
to them by the window that composes them (`WindowParts`), plus the few window-level commands they
trigger (`WindowCommands`). Nothing here imports the window, and the window imports every group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QLineEdit, QMainWindow

from app.config import Paths
from app.ui.article_list_view import ArticleListView
from app.ui.article_model import ArticleListModel
from app.ui.dialogs.holder import Dialogs
from app.ui.feed_tree_model import FeedTreeModel
from app.ui.feed_tree_view import FeedTreeView
from app.ui.operations import NO_CHANGES, OpChanges, StoreOp
from app.ui.reader_pane import ReaderPane
from app.ui.status_line import StatusLine
from app.ui.ui_context import UiContext

T = TypeVar("T")


def window_store(paths: Paths) -> QSettings:
    """The window's own layout and view options (window.ini), apart from settings.json."""
    return QSettings(str(paths.data_dir / "window.ini"), QSettings.Format.IniFormat)


class WindowCommands(Protocol):
    """What the window itself does when an action asks: the list's search and view options, refreshing."""

    def focus_search(self) -> None: ...
    def apply_search(self) -> None: ...
    def set_hide_read(self, hide: bool) -> None: ...
    def set_remote_images(self, on: bool) -> None: ...
    def refresh_current(self) -> None: ...
    def request_refresh(self, feed_ids: list[int] | None) -> None: ...
    def request_quit(self) -> None: ...


@dataclass
class WindowParts:
    host: QMainWindow  # the parent of the groups' actions and dialogs
    ctx: UiContext
    tree: FeedTreeView
    tree_model: FeedTreeModel
    list: ArticleListView
    list_model: ArticleListModel
    reader: ReaderPane
    search: QLineEdit
    status: StatusLine
    dialogs: Dialogs

    def op(self, fn: Callable[[Any], T], changes: OpChanges = NO_CHANGES) -> StoreOp[T]:
        """A store operation on this window's executor (see app/ui/operations.py)."""
        return StoreOp(self.ctx.db, fn, changes)

    def show_message(self, text: str, timeout_ms: int = 8000) -> None:
        self.status.show_message(text, timeout_ms)

    def window_store(self) -> QSettings:
        return window_store(self.ctx.paths)

    def current_feed_ids(self) -> list[int]:
        """The feeds under the tree's selection (none for a smart row such as Unread)."""
        node = self.tree.current_node()
        if node is None or node.kind == "smart":
            return []
        return self.tree_model.feed_ids_under(node)
