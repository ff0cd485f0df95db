"""The window's panes and how they share its width: feed tree | article list | reader (| side panel).

Wide windows get three columns. Below `STACK_BELOW` px the list sits above the reader, so titles keep
their room at 800×600 and 1000×700. The reader never drops below `READER_MIN` px beside an open side
panel (the AI panel): the tree and list give way first, and when that is not enough the panel becomes
a tab next to the article ("Article | AI") instead of a column beside it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QSplitter, QTabWidget, QWidget

from app.i18n import _

STACK_BELOW = 1100  # window width under which the list goes above the reader
READER_MIN = 480
SIDE_PANEL_MIN = 300
TREE_WIDTH = 230
TREE_MIN = 170
LIST_MIN = 320
WINDOW_MIN_WIDTH = 640
LIST_HIDES_FEED_BELOW = 520  # a narrower list shows no Feed column (the tooltip still names it)


class PaneLayout(QObject):
    """Owns the three splitters and re-arranges them when the window's width changes."""

    def __init__(
        self,
        window: QWidget,
        tree: QWidget,
        article_list: QWidget,
        reader: QWidget,
        list_box: QWidget | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.list = article_list
        self.reader = reader
        self.side: QWidget | None = None
        self._side_wanted = False
        # the reader sits in a tab widget whose bar shows only when the side panel joins it as a tab
        self.reader_tabs = QTabWidget()
        self.reader_tabs.setObjectName("readerTabs")
        self.reader_tabs.setDocumentMode(True)
        self.reader_tabs.setTabBarAutoHide(True)
        self.reader_tabs.addTab(reader, _("Article"))
        self.reader_area = QSplitter(Qt.Orientation.Horizontal)
        self.reader_area.addWidget(self.reader_tabs)
        self.reader_area.setChildrenCollapsible(False)
        self.content = QSplitter(Qt.Orientation.Horizontal)
        self.content.addWidget(list_box or article_list)
        self.content.addWidget(self.reader_area)
        self.content.setChildrenCollapsible(False)
        self.content.setStretchFactor(0, 1)
        self.content.setStretchFactor(1, 2)
        self.main = QSplitter(Qt.Orientation.Horizontal)
        self.main.addWidget(tree)
        self.main.addWidget(self.content)
        self.main.setStretchFactor(0, 0)
        self.main.setStretchFactor(1, 1)
        self.main.setChildrenCollapsible(False)
        self.main.setSizes([TREE_WIDTH, 1070])
        self.content.setSizes([470, 600])
        tree.setMinimumWidth(TREE_MIN)
        article_list.setMinimumWidth(240)
        reader.setMinimumWidth(280)
        self._width = 0
        # an explicit minimum: otherwise the splitters' current arrangement (say three columns and the
        # AI panel) would stop the user from making the window narrower than it, before re-arranging
        window.setMinimumSize(WINDOW_MIN_WIDTH, 420)
        window.installEventFilter(self)
        self.content.splitterMoved.connect(lambda *_: self._update_list_columns())

    # side panel ---------------------------------------------------------------------------------
    def add_side(self, widget: QWidget) -> None:
        self.side = widget
        widget.setMinimumWidth(SIDE_PANEL_MIN)
        self.reader_area.addWidget(widget)
        self.reader_area.setStretchFactor(0, 3)
        self.reader_area.setStretchFactor(1, 1)

    def show_side(self, visible: bool) -> None:
        if self.side is None:
            return
        self._side_wanted = visible
        if visible and not self.side.isVisible():
            # choose beside/below before showing it, or its minimum width would grow the window first
            self._place_side(self.window.width(), self.stacked())
            self.side.show()
            self.arrange(force=True)
        elif not visible:
            self._untab_side()
            self.side.hide()
            self.arrange(force=True)

    def side_is_tab(self) -> bool:
        return self.side is not None and self.reader_tabs.indexOf(self.side) >= 0

    def _untab_side(self) -> None:
        if self.side is not None and self.side_is_tab():
            self.reader_tabs.removeTab(self.reader_tabs.indexOf(self.side))
            self.reader_area.addWidget(self.side)

    # arranging ----------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Resize:
            self.arrange()
        return False

    def stacked(self) -> bool:
        return self.content.orientation() == Qt.Orientation.Vertical

    def arrange(self, *, force: bool = False) -> None:
        width = self.window.width()
        if width == self._width and not force:
            return
        crossed = (width < STACK_BELOW) != (self._width < STACK_BELOW) or self._width == 0
        self._width = width
        stack = width < STACK_BELOW
        if stack != self.stacked():
            self.content.setOrientation(Qt.Orientation.Vertical if stack else Qt.Orientation.Horizontal)
        if crossed or force:
            self._share_width(width, stack)
        self._place_side(width, stack)
        self._update_list_columns()

    def _share_width(self, width: int, stack: bool) -> None:
        tree = TREE_WIDTH if width >= 1000 else max(TREE_MIN, width // 5)
        self.main.setSizes([tree, max(1, width - tree)])
        rest = width - tree
        if stack:
            height = max(1, self.content.height() or self.window.height() - 120)
            self.content.setSizes([int(height * 0.4), height - int(height * 0.4)])
        else:
            side_open = self.side is not None and self._side_wanted
            list_width = LIST_MIN if side_open else max(LIST_MIN, int(rest * 0.4))
            self.content.setSizes([list_width, max(1, rest - list_width)])

    def _place_side(self, width: int, stack: bool) -> None:
        """Beside the reader when both fit (the reader keeping READER_MIN), else a tab next to it."""
        if self.side is None or not self._side_wanted:
            return
        tree = self.main.sizes()[0] if self.main.sizes() else TREE_WIDTH
        room = width - tree - (0 if stack else self.content.sizes()[0])
        if room < READER_MIN + SIDE_PANEL_MIN and not stack:
            # the tree and list give way first
            tree = TREE_MIN if width - TREE_MIN - LIST_MIN >= READER_MIN + SIDE_PANEL_MIN else tree
            self.main.setSizes([tree, width - tree])
            self.content.setSizes([LIST_MIN, max(1, width - tree - LIST_MIN)])
            room = width - tree - LIST_MIN
        if room >= READER_MIN + SIDE_PANEL_MIN:
            self._untab_side()
            side = max(SIDE_PANEL_MIN, min(room // 3, room - READER_MIN))
            self.reader_area.setSizes([room - side, side])
        elif not self.side_is_tab():
            self.reader_tabs.addTab(self.side, _("AI"))
            self.reader_tabs.setCurrentWidget(self.side)
            self.side.show()

    def _update_list_columns(self) -> None:
        hide = getattr(self.list, "set_feed_column_hidden", None)
        if hide is not None:
            one_feed = bool(getattr(self.list, "shows_one_feed", False))
            hide(one_feed or self.list.width() < LIST_HIDES_FEED_BELOW)

    def update_list_columns(self) -> None:
        self._update_list_columns()

    # persistence --------------------------------------------------------------------------------
    def save_state(self) -> dict[str, object]:
        return {
            "layout/main": self.main.saveState(),
            "layout/content": self.content.saveState(),
            "layout/reader_area": self.reader_area.saveState(),
        }

    def restore_state(self, values: dict[str, object]) -> None:
        for key, splitter in (
            ("layout/main", self.main),
            ("layout/content", self.content),
            ("layout/reader_area", self.reader_area),
        ):
            value = values.get(key)
            if value is not None:
                splitter.restoreState(value)  # type: ignore[arg-type]
        if values.get("layout/main") is not None:
            self._width = self.window.width()  # keep the sizes the user left; re-arrange on crossing only
