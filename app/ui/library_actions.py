"""Managing the library from the window: add/edit/remove feeds, folders (create, rename, drag and drop),
mark all read (with undo), signing in to a site, and the File menu's OPML import/export and article export
(their work is app.ui.library_files).

Every write is a store operation (app/ui/operations.py) whose change signal updates the views; dialogs
only collect what the user wants, and live in the window's `Dialogs`.
"""

from __future__ import annotations

# (dialog classes are imported where they open: PySide6 makes a class's Python type and enums when it is
# imported, and this module loads before the first paint)
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QAction, QKeySequence

from app.errors import HearthError, VaultError
from app.i18n import _, ngettext
from app.models import ArticleQuery, FeedLink
from app.ui.feed_tree_model import Node
from app.ui.icons import icon
from app.ui.library_files import LibraryFiles, report_failure
from app.ui.marking import ArticleMarks
from app.ui.operations import ARTICLE_FLAGS, LIBRARY
from app.ui.window_parts import WindowParts

log = logging.getLogger(__name__)


class LibraryActions:
    def __init__(
        self,
        parts: WindowParts,
        marks: ArticleMarks,
        *,
        request_refresh: Callable[[list[int] | None], None],
        reload_library: Callable[[], None],
        settings_saved: Callable[[], None],
    ) -> None:
        self.p = parts
        self._marks = marks
        self._request_refresh = request_refresh
        self._reload_library = reload_library  # only to undo a drag the store refused
        self._settings_saved = settings_saved
        self.files = LibraryFiles(parts, request_refresh=request_refresh)
        self.add_feed_action = self._action(
            _("Add feed…"), self.add_feed, QKeySequence.StandardKey.New, "add"
        )
        self.new_folder_action = self._action(_("New folder…"), self.new_folder)
        self.edit_feed_action = self._action(_("Edit feed…"), self.edit_current)
        self.rename_folder_action = self._action(_("Rename folder…"), self.rename_current)
        self.remove_action = self._action(_("Remove…"), self.remove_current)
        self.import_opml_action = self._action(_("Import OPML…"), self.import_opml)
        self.export_opml_action = self._action(_("Export OPML…"), self.export_opml)
        self.export_articles_action = self._action(_("Export articles…"), self.export_articles)
        self.settings_action = self._action(
            _("Settings…"), self.open_settings, QKeySequence.StandardKey.Preferences
        )
        self.settings_action.setShortcuts(
            [QKeySequence("Ctrl+,"), *QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)]
        )

    def _action(self, text: str, slot: Any, key: Any = None, icon_name: str | None = None) -> QAction:
        action = QAction(text, self.p.host)
        if key is not None:
            action.setShortcut(QKeySequence(key))
        if icon_name:
            action.setIcon(icon(icon_name))
        action.triggered.connect(lambda _checked=False: slot())
        self.p.host.addAction(action)
        return action

    # adding -------------------------------------------------------------------------------------
    def add_feed(self, url: str = "") -> None:
        from app.ui.dialogs.add_feed import AddFeedDialog

        node = self.p.tree.current_node()
        folder_id = (
            node.key
            if node and node.kind == "folder"
            else (node.feed.folder_id if node and node.feed else None)
        )
        dialog = AddFeedDialog(
            self.p.tree_model.folders(),
            self.p.ctx.tasks,
            self._discover,
            folder_id=folder_id,
            url=url,
            parent=self.p.host,
        )
        dialog.accepted.connect(lambda: self._subscribe(dialog.result_))
        self.p.dialogs.add_feed = dialog
        dialog.open()

    def _discover(self, url: str) -> list[FeedLink]:
        from app.fetching import FetchOptions, discover

        return discover(url, options=FetchOptions.from_settings(self.p.ctx.settings))

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
            n = len(ids)
            self.p.show_message(
                ngettext("Added {n} feed; fetching…", "Added {n} feeds; fetching…", n).format(n=n)
            )
            self._request_refresh(ids)

        self.p.op(add, LIBRARY).success(added).run_in_background()

    # folders ------------------------------------------------------------------------------------
    def new_folder(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        name, ok = QInputDialog.getText(self.p.host, _("New folder"), _("Folder name:"))
        if ok and name.strip():
            node = self.p.tree.current_node()
            parent = node.key if node and node.kind == "folder" else None
            self.p.op(lambda store: store.add_folder(name.strip(), parent), LIBRARY).run_in_background()

    def rename_current(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        node = self.p.tree.current_node()
        if node is None or node.kind != "folder":
            self.p.show_message(_("Select a folder to rename"))
            return
        name, ok = QInputDialog.getText(self.p.host, _("Rename folder"), _("Folder name:"), text=node.title)
        if ok and name.strip():
            self.p.op(lambda store: store.rename_folder(node.key, name.strip()), LIBRARY).run_in_background()

    def move_items(self, feed_ids: list[int], folder_ids: list[int], target: int | None) -> None:
        """Drag and drop: feeds and folders into `target` (None: the top level)."""

        def move(store: Any) -> None:
            for feed_id in feed_ids:
                store.update_feed(feed_id, folder_id=target)
            for folder_id in folder_ids:
                store.move_folder(folder_id, target)

        def failed(exc: Exception) -> None:
            self.p.show_message(exc.user_message() if isinstance(exc, HearthError) else str(exc))
            self._reload_library()  # the tree shows the store again, not the refused drop

        self.p.op(move, LIBRARY).failure(failed).run_in_background()

    # editing and removing -------------------------------------------------------------------------
    def edit_current(self) -> None:
        node = self.p.tree.current_node()
        if node is None or node.kind != "feed" or node.feed is None:
            if node is not None and node.kind == "folder":
                self.rename_current()
            return
        from app.ui.dialogs.edit_feed import EditFeedDialog

        dialog = EditFeedDialog(node.feed, self.p.tree_model.folders(), self.p.host)
        feed_id = node.key
        self.p.op(lambda store: store.full_text_setting(feed_id)).success(
            dialog.show_full_text
        ).run_in_background()

        def save() -> None:
            changes = dialog.changes()
            if changes:
                self.p.op(lambda store: store.update_feed(feed_id, **changes), LIBRARY).run_in_background()

        dialog.accepted.connect(save)
        self.p.dialogs.edit_feed = dialog
        dialog.open()

    def remove_current(self, confirm: bool = True) -> None:
        from PySide6.QtWidgets import QMessageBox

        node = self.p.tree.current_node()
        if node is None or node.kind not in ("feed", "folder"):
            return
        if node.kind == "feed":
            question = _("Unsubscribe from “{title}” and delete its articles?").format(title=node.title)
            job = lambda store: store.remove_feed(node.key)  # noqa: E731
        else:
            question = _("Remove the folder “{title}”? Its feeds move up a level.").format(title=node.title)
            job = lambda store: store.remove_folder(node.key)  # noqa: E731
        if confirm:
            answer = QMessageBox.question(self.p.host, _("Remove"), question)
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.p.tree.setCurrentIndex(self.p.tree_model.index_of("smart", "all"))
        self.p.op(job, LIBRARY).run_in_background()

    # mark all read ------------------------------------------------------------------------------
    def mark_all_read(self, *, ask: bool = True, older_than: Any = None) -> None:
        node = self.p.tree.current_node()
        if node is None or node.kind == "root":
            return
        if ask:
            from app.ui.dialogs.mark_read import MarkReadDialog

            dialog = MarkReadDialog(node.title, self.p.host)
            dialog.accepted.connect(lambda: self._mark_all_read(node, dialog.older_than()))
            self.p.dialogs.mark_read = dialog
            dialog.open()
        else:
            self._mark_all_read(node, older_than)

    def _mark_all_read(self, node: Node, older_than: Any) -> None:
        if node.kind == "feed":
            job = lambda store: store.mark_feed_read(node.key, older_than)  # noqa: E731
        elif node.kind == "folder":
            job = lambda store: store.mark_folder_read(node.key, older_than)  # noqa: E731
        else:
            query = self.p.list_model.query

            def job(store: Any) -> list[int]:
                ids = store.query_ids(ArticleQuery(smart=query.smart, search=query.search, unread_only=True))
                if older_than is not None:
                    ids = [r.id for r in store.rows(ids) if r.published is None or r.published < older_than]
                store.mark_read(ids, True)
                return ids

        def done(ids: list[int]) -> None:
            self.p.list_model.set_flag(ids, "read", True)
            self._marks.remember_undo(_("Mark “{title}” read").format(title=node.title), ids)

        self.p.op(job, ARTICLE_FLAGS).success(done).run_in_background()

    # files: OPML in and out, exporting articles (library_files) ----------------------------------
    def import_opml(self, path: str | None = None) -> None:
        self.files.import_opml(path)

    def export_opml(self, path: str | None = None) -> None:
        self.files.export_opml(path)

    def export_articles(self, path: str | None = None, fmt: str | None = None) -> None:
        self.files.export_articles(path, fmt)

    # settings and sign-in ---------------------------------------------------------------------------
    def open_settings(self) -> None:
        from app.ui.dialogs.settings import SettingsDialog

        dialog = SettingsDialog(self.p.ctx.settings, self.p.host, save=self.p.ctx.save_settings)
        dialog.accepted.connect(lambda: self._settings_saved())
        self.p.dialogs.settings = dialog
        dialog.open()

    def sign_in(self, site: str) -> None:
        try:
            from app.ui.signin import SignInWindow, login_url

            vault = self.p.ctx.library.vault
            if vault is None:
                raise VaultError(
                    _("this Hearth keeps no cookies"), hint=_("it was started without a cookie vault")
                )
            window = SignInWindow(site, vault, login_url(site, self.p.ctx.settings), self.p.host)
        except (ImportError, HearthError) as exc:
            report_failure(self.p, exc)
            return
        window.accepted.connect(
            lambda: self.p.show_message(
                _("Signed in to {site}; its feeds refresh with your cookies").format(site=site)
            )
        )
        self.p.dialogs.sign_in = window
        window.open()
