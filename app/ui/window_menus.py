"""The window's menus, toolbar and context menus, built from the action groups. `Menus` keeps each menu by
name, so later features (the AI panel, Translate, Ask) add to the Tools or Article menu by reference."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QSizePolicy, QToolBar, QWidget

from app.config import Key
from app.i18n import _
from app.ui.feed_tree_model import Node
from app.ui.library_actions import LibraryActions
from app.ui.window_actions import WindowActions

SIGNIN_SITES = ("zhihu.com", "bilibili.com", "weibo.com")  # each has SITE_RULES (login page, login cookie)


@dataclass
class Menus:
    file: QMenu
    edit: QMenu
    view: QMenu
    article: QMenu
    feed: QMenu
    tools: QMenu
    help: QMenu
    toolbar: QToolBar

    def add_to_toolbar(self, action: QAction) -> None:
        """A toolbar button after the others, before the spacer and the search box."""
        self.toolbar.insertAction(self.toolbar.actions()[-2], action)

    def add_side_panel_toggle(self, action: QAction) -> None:
        """A checkable View-menu entry and toolbar button for the side panels (added once they exist)."""
        self.view.addSeparator()
        self.view.addAction(action)
        self.add_to_toolbar(action)


def build_menus(host: QMainWindow, acts: WindowActions, lib: LibraryActions, search: QWidget) -> Menus:
    bar = host.menuBar()
    file = bar.addMenu(_("&File"))
    file.addAction(lib.add_feed_action)
    file.addAction(lib.new_folder_action)
    file.addSeparator()
    file.addAction(lib.import_opml_action)
    file.addAction(lib.export_opml_action)
    file.addAction(lib.export_articles_action)
    file.addSeparator()
    file.addAction(lib.settings_action)
    file.addSeparator()
    file.addAction(acts.quit)
    edit = bar.addMenu(_("&Edit"))
    edit.addAction(acts.undo)
    edit.addAction(acts.find)
    view = bar.addMenu(_("&View"))
    view.addAction(acts.hide_read)
    view.addAction(acts.remote_images)
    view.addAction(acts.compact_list)
    view.addMenu(acts.list_actions.sort_menu)  # list actions (issue 13)
    view.addSeparator()
    for action in (acts.zoom_in, acts.zoom_out, acts.zoom_reset):
        view.addAction(action)
    view.addSeparator()
    for action in (acts.next_article, acts.prev_article, acts.next_unread, acts.prev_unread, acts.space):
        view.addAction(action)
    article = bar.addMenu(_("&Article"))
    for action in (acts.toggle_read, acts.toggle_star, acts.open_browser, acts.list_actions.copy_link):
        article.addAction(action)
    feed = bar.addMenu(_("F&eed"))
    for action in (acts.refresh, acts.refresh_all, acts.mark_feed_read):
        feed.addAction(action)
    feed.addSeparator()
    feed.addAction(lib.edit_feed_action)
    feed.addAction(lib.rename_folder_action)
    feed.addAction(lib.remove_action)
    tools = bar.addMenu(_("&Tools"))
    for site in SIGNIN_SITES:
        tools.addAction(_("Sign in to {site}…").format(site=site)).triggered.connect(
            lambda _c=False, s=site: lib.sign_in(s)
        )
    help_menu = bar.addMenu(_("&Help"))
    help_menu.addAction(acts.shortcut_sheet)
    help_menu.addSeparator()
    help_menu.addAction(acts.about)

    toolbar = QToolBar(_("Main"))
    toolbar.setObjectName("mainToolbar")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    toolbar.addAction(acts.refresh_all)
    toolbar.addAction(lib.add_feed_action)
    toolbar.addAction(acts.mark_feed_read)
    toolbar.addAction(acts.hide_read)
    toolbar.addSeparator()  # the reader's article: open it in the browser, copy its link (issue 13)
    toolbar.addAction(acts.open_browser)
    toolbar.addAction(acts.list_actions.copy_link)
    spacer = QWidget()
    spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    toolbar.addWidget(spacer)
    toolbar.addWidget(search)
    host.addToolBar(toolbar)
    keep_compact_in_sync(host, acts)
    return Menus(file, edit, view, article, feed, tools, help_menu, toolbar)


def keep_compact_in_sync(host: QMainWindow, acts: WindowActions) -> None:
    """View > Compact list and Settings' check box show one setting, `ui.list_compact`: saving Settings moves
    the menu's check (which switches the list and saves), toggling the menu moves an open dialog's box."""
    settings = acts.p.ctx.settings
    saved = getattr(host, "settings_changed", None)  # MainWindow's: Settings was saved
    if saved is not None:
        saved.connect(lambda: acts.compact_list.setChecked(bool(settings.get(Key.UI_LIST_COMPACT))))

    def follow(on: bool) -> None:
        dialog = acts.p.dialogs.settings
        if dialog is not None and dialog.isVisible():
            dialog.show_value(Key.UI_LIST_COMPACT.key, on)

    acts.compact_list.toggled.connect(follow)


def show_tree_menu(
    host: QWidget, acts: WindowActions, lib: LibraryActions, node: Node | None, pos: QPoint
) -> None:
    menu = QMenu(host)
    if node is not None and node.kind in ("feed", "folder"):
        menu.addAction(acts.refresh)
        menu.addAction(acts.mark_feed_read)
        menu.addSeparator()
        menu.addAction(lib.edit_feed_action if node.kind == "feed" else lib.rename_folder_action)
        menu.addAction(lib.export_articles_action)
        menu.addAction(lib.remove_action)
    elif node is not None:
        menu.addAction(acts.mark_feed_read)
        menu.addAction(lib.export_articles_action)
    menu.addSeparator()
    menu.addAction(lib.add_feed_action)
    menu.addAction(lib.new_folder_action)
    menu.exec(pos)


def show_article_menu(host: QWidget, acts: WindowActions, has_targets: bool, pos: QPoint) -> None:
    if not has_targets:
        return
    menu = QMenu(host)
    menu.addAction(acts.toggle_read)
    menu.addAction(acts.toggle_star)
    menu.addAction(acts.open_browser)
    acts.list_actions.fill_context_menu(menu)  # list actions (issue 13)
    menu.exec(pos)
