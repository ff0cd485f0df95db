"""Keeping the views up to date with the store: the feed tree and its counts after an operation changed
the library or some articles (`operation_did_execute`), and the counts and list while a refresh commits
feeds (at most every LIVE_UPDATE_MS)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QObject, QTimer, Signal

from app.errors import HearthError
from app.models import ArticleQuery, Folder
from app.ui.favicons import FaviconLoader
from app.ui.feed_banner import FeedBanner
from app.ui.feed_status import site_of
from app.ui.operations import OpChanges
from app.ui.window_parts import WindowParts

log = logging.getLogger(__name__)

LIVE_UPDATE_MS = 250  # counts/list follow a running refresh at most this often


def row_counts(store: Any) -> dict[str, int]:
    """What the smart rows show: unread articles (All, Unread, Today), and Starred its starred articles."""
    unread = store.count_articles(ArticleQuery(smart="unread"))
    return {
        "all": unread,
        "unread": unread,
        "today": store.count_articles(ArticleQuery(smart="today", unread_only=True)),
        "starred": store.count_articles(ArticleQuery(smart="starred")),
    }


class ViewUpdates(QObject):
    unread_changed = Signal(int)
    library_changed = Signal()

    def __init__(
        self,
        parts: WindowParts,
        banner: FeedBanner,
        favicons: FaviconLoader,
        show_node: Callable[[QModelIndex], None],
        shown_node: Callable[[], tuple[str, object] | None] = lambda: None,
    ) -> None:
        super().__init__(parts.host)
        self.p = parts
        self._banner = banner
        self._favicons = favicons
        self._show_node = show_node  # the list follows the tree's (re)selected row
        self._shown_node = shown_node  # (kind, key) of the row the list shows, None before the first
        self.restoring = False  # the tree is being rebuilt: its selection changes are not the user's
        self._list_stale = False
        self._live_timer = QTimer(self, singleShot=True, interval=LIVE_UPDATE_MS)
        self._live_timer.timeout.connect(self._apply_live_update)
        parts.ctx.db.operation_did_execute.connect(self._on_operation_did_execute)

    def _on_operation_did_execute(self, changes: OpChanges, _initiator: object) -> None:
        if changes.library:
            self.reload_library()  # (counts included)
        elif changes.article_flags:
            self.refresh_counts()

    def stop(self) -> None:
        self._live_timer.stop()

    # the tree -----------------------------------------------------------------------------------
    def reload_library(self, *, now: bool = False) -> None:
        """Reload folders and feeds (after an edit), keeping the selection and open folders; in the
        background, or `now` on the GUI thread (at launch: the first paint then shows the library, ~1 ms
        for the feeds; the list's own query is the list model's either way)."""

        def load(store: Any) -> tuple[list[Folder], list[Any], dict[str, Any]]:
            feeds = store.list_feeds()
            sites = {}
            for site in {site_of(f) for f in feeds} - {None}:
                state = store.get_site_state(site)
                if state is not None:
                    sites[site] = state
            return store.list_folders(), feeds, sites

        if now:
            try:
                result = load(self.p.ctx.store)
            except (HearthError, sqlite3.Error) as exc:  # the background load below reports it
                log.warning("loading the library at once failed (%s); loading it in the background", exc)
            else:
                self._on_library_loaded(result)
                return
        self.p.ctx.db.submit(load, self._on_library_loaded)

    def _on_library_loaded(self, result: tuple[list[Folder], list[Any], dict[str, Any]]) -> None:
        folders, feeds, sites = result
        tree, model = self.p.tree, self.p.tree_model
        current = tree.current_node()
        key = (current.kind, current.key) if current else ("smart", "all")
        expanded = {n.key for n in model.walk() if n.kind == "folder" and tree.isExpanded(model.index_for(n))}
        first_load = not model.feeds() and not model.folders()
        self.restoring = True
        model.set_library(folders, feeds, sites)
        for node in model.walk():
            if node.kind == "folder" and (first_load or node.key in expanded):
                tree.setExpanded(model.index_for(node), True)
        index = model.index_of(*key)
        if not index.isValid():
            index = model.index_of("smart", "all")
        tree.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.restoring = False
        if (
            current is None
            or (current.kind, current.key) != key
            or (first_load and self._shown_node() != key)
        ):
            self._show_node(index)  # (a 100,000-article list is not queried twice at launch)
        self._favicons.load(feeds)
        self._banner.show_for(tree.current_node())
        reader = self.p.reader
        if reader.article is None:
            if feeds:
                reader.show_placeholder()
            else:
                reader.show_welcome()
        self.refresh_counts()
        self.library_changed.emit()

    # counts -------------------------------------------------------------------------------------
    def refresh_counts(self) -> None:
        self.p.ctx.db.submit(lambda store: (store.unread_counts(), row_counts(store)), self._on_counts)

    def _on_counts(self, result: tuple[dict[int, int], dict[str, int]]) -> None:
        unread, smart = result
        self.p.tree_model.set_counts(unread, smart)
        total = smart.get("unread", sum(unread.values()))
        self.p.host.setWindowTitle(f"[{total}] Hearth" if total else "Hearth")
        self.unread_changed.emit(total)

    # a refresh running --------------------------------------------------------------------------
    def on_feed_refreshed(self, feed_id: int, new_articles: int) -> None:
        """A refresh committed a feed: counts and (if it shows that feed and it grew) the list update
        soon; feeds committed close together share one update."""
        if new_articles and self._query_includes(feed_id):
            self._list_stale = True
        if not self._live_timer.isActive():
            self._live_timer.start()

    def _apply_live_update(self) -> None:
        self.refresh_counts()
        if self._list_stale:
            self._list_stale = False
            self.p.list_model.reload()

    def _query_includes(self, feed_id: int) -> bool:
        q = self.p.list_model.query
        if q.search:
            return False
        if q.feed_ids is not None:
            return feed_id in q.feed_ids
        if q.folder_id is not None:
            node = self.p.tree_model._folders.get(q.folder_id)
            return node is not None and feed_id in self.p.tree_model.feed_ids_under(node)
        return q.smart in ("all", "unread", "today")
