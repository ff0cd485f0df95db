"""Managing the library from the window: add/edit/remove feeds, folders (create, rename, drag and drop),
mark all read (with undo), OPML import/export, exporting articles as RSS/Atom/JSON, signing in to a site.

Every write runs on the DbExecutor; dialogs only collect what the user wants.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox

from app import HOMEPAGE
from app.errors import HearthError
from app.models import ArticleQuery, FeedLink
from app.ui.feed_tree_model import Node
from app.ui.icons import icon

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

log = logging.getLogger(__name__)

EXPORT_FORMATS = {"RSS 2.0 (*.xml)": "rss", "Atom (*.atom)": "atom", "JSON Feed (*.json)": "json"}
EXPORT_LIMIT = 1000


class LibraryActions:
    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self.script_dialog: Any = None  # the open "add feeds that run commands?" question, if any
        self.import_notes: Any = None  # the last import's note of what it skipped, if any
        self.add_feed_action = self._action("Add feed…", self.add_feed, QKeySequence.StandardKey.New, "add")
        self.new_folder_action = self._action("New folder…", self.new_folder)
        self.edit_feed_action = self._action("Edit feed…", self.edit_current)
        self.rename_folder_action = self._action("Rename folder…", self.rename_current)
        self.remove_action = self._action("Remove…", self.remove_current)
        self.import_opml_action = self._action("Import OPML…", self.import_opml)
        self.export_opml_action = self._action("Export OPML…", self.export_opml)
        self.export_articles_action = self._action("Export articles…", self.export_articles)
        self.settings_action = self._action(
            "Settings…", self.open_settings, QKeySequence.StandardKey.Preferences
        )
        self.settings_action.setShortcuts(
            [QKeySequence("Ctrl+,"), *QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)]
        )

    def _action(self, text: str, slot: Any, key: Any = None, icon_name: str | None = None) -> QAction:
        action = QAction(text, self.w)
        if key is not None:
            action.setShortcut(QKeySequence(key))
        if icon_name:
            action.setIcon(icon(icon_name))
        action.triggered.connect(lambda _checked=False: slot())
        self.w.addAction(action)
        return action

    # adding -------------------------------------------------------------------------------------
    def add_feed(self, url: str = "") -> None:
        from app.ui.dialogs.add_feed import AddFeedDialog

        node = self.w.tree.current_node()
        folder_id = (
            node.key
            if node and node.kind == "folder"
            else (node.feed.folder_id if node and node.feed else None)
        )
        dialog = AddFeedDialog(
            self.w.tree_model.folders(),
            self.w.ctx.tasks,
            self._discover,
            folder_id=folder_id,
            url=url,
            parent=self.w,
        )
        dialog.accepted.connect(lambda: self._subscribe(dialog.result_))
        self.w.add_feed_dialog = dialog
        dialog.open()

    def _discover(self, url: str) -> list[FeedLink]:
        from app.fetching import FetchOptions, discover

        return discover(url, options=FetchOptions.from_settings(self.w.ctx.settings))

    def _subscribe(self, subscription: Any) -> None:
        if subscription is None:
            return

        def add(store: Any) -> list[int]:
            ids = []
            for spec in subscription.feeds:
                feed = store.add_feed(
                    spec["url"],
                    title=spec.get("title") or "",
                    kind=spec.get("kind", "feed"),
                    params=spec.get("params"),
                    folder_id=subscription.folder_id,
                )
                ids.append(feed.id)
            return ids

        def added(ids: list[int]) -> None:
            self.w.show_message(f"Added {len(ids)} feed{'s' if len(ids) != 1 else ''}; fetching…")
            self.w.reload_library()
            self.w.refresh_requested.emit(ids)

        self.w.ctx.db.submit(add, added)

    # folders ------------------------------------------------------------------------------------
    def new_folder(self) -> None:
        name, ok = QInputDialog.getText(self.w, "New folder", "Folder name:")
        if ok and name.strip():
            node = self.w.tree.current_node()
            parent = node.key if node and node.kind == "folder" else None
            self.w.ctx.db.submit(
                lambda store: store.add_folder(name.strip(), parent), lambda _f: self.w.reload_library()
            )

    def rename_current(self) -> None:
        node = self.w.tree.current_node()
        if node is None or node.kind != "folder":
            self.w.show_message("Select a folder to rename")
            return
        name, ok = QInputDialog.getText(self.w, "Rename folder", "Folder name:", text=node.title)
        if ok and name.strip():
            self.w.ctx.db.submit(
                lambda store: store.rename_folder(node.key, name.strip()), lambda _r: self.w.reload_library()
            )

    def move_items(self, feed_ids: list[int], folder_ids: list[int], target: int | None) -> None:
        """Drag and drop: feeds and folders into `target` (None: the top level)."""

        def move(store: Any) -> None:
            for feed_id in feed_ids:
                store.update_feed(feed_id, folder_id=target)
            for folder_id in folder_ids:
                store.move_folder(folder_id, target)

        def failed(exc: Exception) -> None:
            self.w.show_message(exc.user_message() if isinstance(exc, HearthError) else str(exc))
            self.w.reload_library()

        self.w.ctx.db.submit(move, lambda _r: self.w.reload_library(), failed)

    # editing and removing -------------------------------------------------------------------------
    def edit_current(self) -> None:
        node = self.w.tree.current_node()
        if node is None or node.kind != "feed" or node.feed is None:
            if node is not None and node.kind == "folder":
                self.rename_current()
            return
        from app.ui.dialogs.edit_feed import EditFeedDialog

        dialog = EditFeedDialog(node.feed, self.w.tree_model.folders(), self.w)
        feed_id = node.key
        self.w.ctx.db.submit(lambda store: store.full_text_setting(feed_id), dialog.show_full_text)

        def save() -> None:
            changes = dialog.changes()
            if changes:
                self.w.ctx.db.submit(
                    lambda store: store.update_feed(feed_id, **changes), lambda _f: self.w.reload_library()
                )

        dialog.accepted.connect(save)
        self.w.edit_feed_dialog = dialog
        dialog.open()

    def remove_current(self, confirm: bool = True) -> None:
        node = self.w.tree.current_node()
        if node is None or node.kind not in ("feed", "folder"):
            return
        if node.kind == "feed":
            question = f"Unsubscribe from “{node.title}” and delete its articles?"
            job = lambda store: store.remove_feed(node.key)  # noqa: E731
        else:
            question = f"Remove the folder “{node.title}”? Its feeds move up a level."
            job = lambda store: store.remove_folder(node.key)  # noqa: E731
        if confirm:
            answer = QMessageBox.question(self.w, "Remove", question)
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.w.tree.setCurrentIndex(self.w.tree_model.index_of("smart", "all"))
        self.w.ctx.db.submit(job, lambda _r: self.w.reload_library())

    # mark all read ------------------------------------------------------------------------------
    def mark_all_read(self, *, ask: bool = True, older_than: Any = None) -> None:
        node = self.w.tree.current_node()
        if node is None or node.kind == "root":
            return
        if ask:
            from app.ui.dialogs.mark_read import MarkReadDialog

            dialog = MarkReadDialog(node.title, self.w)
            dialog.accepted.connect(lambda: self._mark_all_read(node, dialog.older_than()))
            self.w.mark_read_dialog = dialog
            dialog.open()
        else:
            self._mark_all_read(node, older_than)

    def _mark_all_read(self, node: Node, older_than: Any) -> None:
        if node.kind == "feed":
            job = lambda store: store.mark_feed_read(node.key, older_than)  # noqa: E731
        elif node.kind == "folder":
            job = lambda store: store.mark_folder_read(node.key, older_than)  # noqa: E731
        else:
            query = self.w.list_model.query

            def job(store: Any) -> list[int]:
                ids = store.query_ids(ArticleQuery(smart=query.smart, search=query.search, unread_only=True))
                if older_than is not None:
                    ids = [r.id for r in store.rows(ids) if r.published is None or r.published < older_than]
                store.mark_read(ids, True)
                return ids

        def done(ids: list[int]) -> None:
            self.w.list_model.set_flag(ids, "read", True)
            self.w.remember_undo(f"Mark “{node.title}” read", ids)
            self.w.refresh_counts()

        self.w.ctx.db.submit(job, done)

    # OPML ---------------------------------------------------------------------------------------
    def import_opml(self, path: str | None = None) -> None:
        """Read the file in the background; ask about any command outline (default no), then import."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self.w, "Import OPML", "", "OPML (*.opml *.xml);;All files (*)"
            )
            if not path:
                return
        from app.feeds.opml import read_opml

        def read(_store: Any) -> Any:
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                raise HearthError(
                    f"cannot read {path}: {exc.strerror or exc}", hint="check the file"
                ) from exc
            return read_opml(data)

        self.w.ctx.db.submit(read, self._on_opml_read, self._report)

    def _on_opml_read(self, report: Any) -> None:
        from app.feeds.opml import split_commands
        from app.ui.dialogs.opml_import import ScriptOutlinesDialog

        kept, commands = split_commands(report.outlines)
        if not commands:
            self._import_outlines(report, kept, allow=False, declined=[])
            return
        dialog = ScriptOutlinesDialog(commands, self.w)
        self.script_dialog = dialog

        def answered(result: int) -> None:
            self.script_dialog = None
            dialog.deleteLater()
            if result == ScriptOutlinesDialog.DialogCode.Accepted:
                self._import_outlines(report, report.outlines, allow=True, declined=[])
            else:
                self._import_outlines(report, kept, allow=False, declined=commands)

        dialog.finished.connect(answered)
        dialog.open()

    def _import_outlines(self, report: Any, outlines: list, *, allow: bool, declined: list) -> None:
        from app.ui.dialogs.opml_import import import_notes, show_import_notes

        def job(store: Any) -> tuple[int, int, int]:
            return store.import_outlines(outlines, allow_commands=allow)

        def done(result: tuple[int, int, int]) -> None:
            added, merged, folders = result
            notes = import_notes(report, declined)
            summary = (
                f"Imported {added} feeds ({merged + report.duplicates} already there) and {folders} folders"
            )
            skipped = len(report.skipped) + len(declined)
            summary += f"; {skipped} skipped" if skipped else ""
            self.w.show_message(summary)
            self.import_notes = show_import_notes(self.w, summary, notes) if notes else None
            self.w.reload_library()
            if added:
                self.w.refresh_requested.emit(None)

        self.w.ctx.db.submit(job, done, self._report)

    def export_opml(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self.w, "Export OPML", "hearth.opml", "OPML (*.opml)")
            if not path:
                return
        from app.feeds.opml import write_opml

        def job(store: Any) -> int:
            outlines = store.export_outlines()
            Path(path).write_bytes(write_opml(outlines))
            return len(outlines)

        self.w.ctx.db.submit(
            job, lambda _n: self.w.show_message(f"Exported the subscriptions to {path}"), self._report
        )

    def export_articles(self, path: str | None = None, fmt: str | None = None) -> None:
        """The list's current view (a feed, a folder, Starred, a search) as a feed file, with any saved
        AI summaries above their articles."""
        if path is None:
            path, chosen = QFileDialog.getSaveFileName(
                self.w, "Export articles", "hearth-export.xml", ";;".join(EXPORT_FORMATS)
            )
            if not path:
                return
            fmt = EXPORT_FORMATS.get(chosen, "rss")
        fmt = fmt or "rss"
        query = self.w.list_model.query
        title = self._view_title()
        from app.feeds.export import export_articles

        def job(store: Any) -> int:
            ids = store.query_ids(query)[:EXPORT_LIMIT]
            articles = [store.get_article(i) for i in ids]
            # summaries the user made travel with their articles (marked as AI summaries)
            summaries = store.latest_summaries(ids)
            Path(path).write_bytes(
                export_articles(
                    articles, title=f"Hearth: {title}", link=HOMEPAGE, fmt=fmt, ai_summaries=summaries
                )
            )
            return len(articles)

        self.w.ctx.db.submit(
            job, lambda n: self.w.show_message(f"Exported {n} articles to {path}"), self._report
        )

    def _view_title(self) -> str:
        query = self.w.list_model.query
        if query.search:
            return f"search “{query.search}”"
        node = self.w.tree.current_node()
        return node.title if node else "articles"

    def _report(self, exc: Exception) -> None:
        message = exc.user_message() if isinstance(exc, HearthError) else f"Failed: {exc}"
        self.w.show_message(message, timeout_ms=15000)
        QMessageBox.warning(self.w, "Hearth", message)

    # settings and sign-in ---------------------------------------------------------------------------
    def open_settings(self) -> None:
        from app.ui.dialogs.settings import SettingsDialog

        dialog = SettingsDialog(self.w.ctx.settings, self.w, save=self.w.ctx.save_settings)
        dialog.accepted.connect(lambda: self.w.settings_changed.emit())
        self.w.settings_dialog = dialog
        dialog.open()

    def sign_in(self, site: str) -> None:
        try:
            from app.ui.signin import SignInWindow, login_url
            from app.vault.store import CookieVault

            vault = CookieVault.from_settings(self.w.ctx.settings)
            window = SignInWindow(site, vault, login_url(site, self.w.ctx.settings), self.w)
        except (ImportError, HearthError) as exc:
            self._report(exc)
            return
        window.accepted.connect(
            lambda: self.w.show_message(f"Signed in to {site}; its feeds refresh with your cookies")
        )
        self.w.signin_window = window
        window.open()

    # context menu -------------------------------------------------------------------------------
    def show_tree_menu(self, node: Node | None, pos: QPoint) -> None:
        menu = QMenu(self.w)
        acts = self.w.actions_
        if node is not None and node.kind in ("feed", "folder"):
            menu.addAction(acts.refresh)
            menu.addAction(acts.mark_feed_read)
            menu.addSeparator()
            menu.addAction(self.edit_feed_action if node.kind == "feed" else self.rename_folder_action)
            menu.addAction(self.export_articles_action)
            menu.addAction(self.remove_action)
        elif node is not None:
            menu.addAction(acts.mark_feed_read)
            menu.addAction(self.export_articles_action)
        menu.addSeparator()
        menu.addAction(self.add_feed_action)
        menu.addAction(self.new_folder_action)
        menu.exec(pos)
