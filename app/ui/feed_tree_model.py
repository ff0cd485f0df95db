"""The feed tree: smart views (All, Unread, Starred, Today), then folders and feeds with unread counts.

The model holds no Store: the controller loads folders/feeds/counts off the GUI thread and hands them
over with `set_library` and `set_counts`. Dragging feeds (or folders) onto a folder emits `moved`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QIcon

from app.i18n import lazy_gettext, ngettext
from app.models import Feed, Folder, SiteState
from app.ui.feed_status import cooldown_tooltip, error_tooltip, in_cooldown, site_of
from app.ui.icons import icon

SMART_VIEWS = (
    ("all", lazy_gettext("All articles")),
    ("unread", lazy_gettext("Unread")),
    ("starred", lazy_gettext("Starred")),
    ("today", lazy_gettext("Today")),
)


def smart_tooltip(name: str, n: int) -> str:
    """What a smart row's number counts (every row but Starred counts unread articles)."""
    if name == "all":
        text = ngettext("All articles — {n:,} unread", "All articles — {n:,} unread", n)
    elif name == "unread":
        text = ngettext("Unread articles — {n:,}", "Unread articles — {n:,}", n)
    elif name == "starred":
        text = ngettext("Starred articles — {n:,} starred", "Starred articles — {n:,} starred", n)
    else:
        text = ngettext("Today's articles — {n:,} unread", "Today's articles — {n:,} unread", n)
    return text.format(n=n)


MIME_TYPE = "application/x-hearth-tree-items"

UNREAD_ROLE = Qt.ItemDataRole.UserRole + 1
NODE_ROLE = Qt.ItemDataRole.UserRole + 2
BADGE_ROLE = Qt.ItemDataRole.UserRole + 3  # "error", "cooldown" or None

Index = QModelIndex | QPersistentModelIndex
_NO_PARENT = QModelIndex()  # the "no parent" default, made once


@dataclass(eq=False)
class Node:
    kind: str  # "root", "smart", "folder", "feed"
    key: Any  # smart name, folder id or feed id
    title: str
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    feed: Feed | None = None
    folder: Folder | None = None
    count: int = 0
    badge: str | None = None
    tooltip: str = ""

    def row(self) -> int:
        return self.parent.children.index(self) if self.parent else 0

    def add(self, child: Node) -> Node:
        child.parent = self
        self.children.append(child)
        return child


class FeedTreeModel(QAbstractItemModel):
    moved = Signal(list, list, object)  # feed ids, folder ids, target folder id (None = top level)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._root = Node("root", None, "")
        self._feeds: dict[int, Node] = {}
        self._folders: dict[int, Node] = {}
        self._smart: dict[str, Node] = {}
        self._icons: dict[int, QIcon] = {}
        self._unread: dict[int, int] = {}
        self._smart_counts: dict[str, int] = {}
        self._build([], [], {})

    # loading ------------------------------------------------------------------------------------
    def set_library(
        self, folders: Sequence[Folder], feeds: Sequence[Feed], sites: dict[str, SiteState] | None = None
    ) -> None:
        self.beginResetModel()
        self._build(folders, feeds, sites or {})
        self._apply_counts()
        self.endResetModel()

    def set_counts(self, unread: dict[int, int], smart: dict[str, int]) -> None:
        self._unread = dict(unread)
        self._smart_counts = dict(smart)
        self._apply_counts()
        self._emit_all_changed(self._root)

    def set_feed_icon(self, feed_id: int, feed_icon: QIcon) -> None:
        self._icons[feed_id] = feed_icon
        node = self._feeds.get(feed_id)
        if node is not None:
            idx = self.index_for(node)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])

    def _build(self, folders: Sequence[Folder], feeds: Sequence[Feed], sites: dict[str, SiteState]) -> None:
        root = Node("root", None, "")
        self._smart = {name: root.add(Node("smart", name, str(title))) for name, title in SMART_VIEWS}
        self._folders = {f.id: Node("folder", f.id, f.name, folder=f) for f in folders}
        for f in sorted(folders, key=lambda f: (f.position, f.name.casefold())):
            parent = self._folders.get(f.parent_id) if f.parent_id is not None else None
            (parent or root).add(self._folders[f.id])
        self._feeds = {}
        for feed in sorted(feeds, key=lambda f: (f.title or f.url).casefold()):
            node = Node("feed", feed.id, feed.title or feed.url, feed=feed)
            state = sites.get(site_of(feed) or "")
            if in_cooldown(state):
                assert state is not None
                node.badge, node.tooltip = "cooldown", cooldown_tooltip(feed, state)
            elif feed.consecutive_errors and feed.last_error:
                node.badge, node.tooltip = "error", error_tooltip(feed)
            else:
                node.tooltip = error_tooltip(feed)
            parent = self._folders.get(feed.folder_id) if feed.folder_id is not None else None
            (parent or root).add(node)
            self._feeds[feed.id] = node
        self._root = root

    def _apply_counts(self) -> None:
        for name, node in self._smart.items():
            node.count = self._smart_counts.get(name, 0)
            node.tooltip = smart_tooltip(name, node.count)

        def total(node: Node) -> int:
            if node.kind == "feed":
                node.count = self._unread.get(node.key, 0)
            else:
                node.count = sum(total(child) for child in node.children)
            return node.count

        for child in self._root.children:
            if child.kind != "smart":
                total(child)

    def _emit_all_changed(self, node: Node) -> None:
        if node.children:
            first = self.index(0, 0, self.index_for(node))
            last = self.index(len(node.children) - 1, 0, self.index_for(node))
            self.dataChanged.emit(
                first, last, [Qt.ItemDataRole.DisplayRole, UNREAD_ROLE, Qt.ItemDataRole.FontRole]
            )
            for child in node.children:
                self._emit_all_changed(child)

    # lookups ------------------------------------------------------------------------------------
    def node(self, index: Index) -> Node:
        return index.internalPointer() if index.isValid() else self._root  # type: ignore[return-value]

    def index_for(self, node: Node) -> QModelIndex:
        if node is self._root or node.parent is None:
            return QModelIndex()
        return self.createIndex(node.row(), 0, node)

    def index_of(self, kind: str, key: Any) -> QModelIndex:
        table = {"feed": self._feeds, "folder": self._folders, "smart": self._smart}[kind]
        node = table.get(key)
        return self.index_for(node) if node is not None else QModelIndex()

    def feed(self, feed_id: int) -> Feed | None:
        node = self._feeds.get(feed_id)
        return node.feed if node else None

    def feeds(self) -> list[Feed]:
        return [n.feed for n in self._feeds.values() if n.feed is not None]

    def folders(self) -> list[Folder]:
        return [n.folder for n in self._folders.values() if n.folder is not None]

    def feed_ids_under(self, node: Node) -> list[int]:
        if node.kind == "feed":
            return [node.key]
        ids: list[int] = []
        for child in node.children:
            if child.kind in ("feed", "folder"):
                ids.extend(self.feed_ids_under(child))
        return ids

    def unread_total(self) -> int:
        return self._smart_counts.get("unread", sum(self._unread.values()))

    def walk(self, node: Node | None = None) -> Iterable[Node]:
        """Every node in display order (depth first)."""
        for child in (node or self._root).children:
            yield child
            yield from self.walk(child)

    # Qt model interface -------------------------------------------------------------------------
    def index(self, row: int, column: int, parent: Index = _NO_PARENT) -> QModelIndex:
        node = self.node(parent)
        if column != 0 or not 0 <= row < len(node.children):
            return QModelIndex()
        return self.createIndex(row, column, node.children[row])

    def parent(self, index: Index = _NO_PARENT) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        return self.index_for(self.node(index).parent or self._root)

    def rowCount(self, parent: Index = _NO_PARENT) -> int:
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self.node(parent).children)

    def columnCount(self, parent: Index = _NO_PARENT) -> int:
        return 1

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self.node(index)
        if role == Qt.ItemDataRole.DisplayRole or role == Qt.ItemDataRole.EditRole:
            return node.title
        if role == UNREAD_ROLE:
            return node.count
        if role == NODE_ROLE:
            return node
        if role == BADGE_ROLE:
            return node.badge
        if role == Qt.ItemDataRole.DecorationRole:
            if node.kind == "smart":
                return icon(node.key)
            if node.kind == "folder":
                return icon("folder")
            return self._icons.get(node.key) or icon("feed")
        if role == Qt.ItemDataRole.ToolTipRole:
            return node.tooltip or None
        if role == Qt.ItemDataRole.FontRole and node.count and node.kind != "smart":
            font = QFont()
            font.setBold(True)
            return font
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        node = self.node(index)
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        if node.kind == "feed":
            return base | Qt.ItemFlag.ItemIsDragEnabled
        if node.kind == "folder":
            return base | Qt.ItemFlag.ItemIsDragEnabled | Qt.ItemFlag.ItemIsDropEnabled
        return base

    # drag and drop ------------------------------------------------------------------------------
    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        parts = []
        for idx in indexes:
            node = self.node(idx)
            if node.kind in ("feed", "folder"):
                parts.append(f"{node.kind}:{node.key}")
        data = QMimeData()
        data.setData(MIME_TYPE, ",".join(parts).encode())
        return data

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        target = self.node(parent)
        return data.hasFormat(MIME_TYPE) and target.kind in ("root", "folder")

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        target = self.node(parent)
        folder_id = target.key if target.kind == "folder" else None
        feed_ids: list[int] = []
        folder_ids: list[int] = []
        for part in bytes(data.data(MIME_TYPE).data()).decode().split(","):
            kind, _, key = part.partition(":")
            if kind == "feed" and key.isdigit():
                feed_ids.append(int(key))
            elif kind == "folder" and key.isdigit() and int(key) != folder_id:
                folder_ids.append(int(key))
        if not feed_ids and not folder_ids:
            return False
        self.moved.emit(feed_ids, folder_ids, folder_id)
        return True
