"""The lazy article model against real database files: ordering, paging, 100k rows read a page at a time.

How fast 100k rows open and scroll is measured by tests/bench/bench_gui_latency.py, not asserted here."""

from __future__ import annotations

from pathlib import Path

from app.models import ArticleQuery
from app.storage import open_store
from app.ui import article_model
from app.ui.article_model import DATE, ID_ROLE, TITLE, ArticleListModel, format_date


class CountingStore:
    """The real store, counting how many rows the model asked for."""

    def __init__(self, store) -> None:
        self.store = store
        self.rows_fetched = 0

    def rows(self, ids):
        self.rows_fetched += len(ids)
        return self.store.rows(ids)

    def __getattr__(self, name):  # the rest (ids, counts, the list's AI markers) as the store has it
        return getattr(self.store, name)


def list_view(qtbot, model: ArticleListModel, width: int = 600, height: int = 400):
    """The window's article list on `model`, sized (not shown yet)."""
    from app.ui.article_list_view import ArticleListView

    view = ArticleListView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setup_header()
    view.resize(width, height)
    return view


def test_opens_100k_articles_reading_only_the_pages_shown(qtbot, large_db: Path) -> None:
    with open_store(large_db) as store:
        counting = CountingStore(store)
        model = ArticleListModel(counting)
        feed_id = store.list_feeds()[0].id
        model.set_query(ArticleQuery(feed_ids=(feed_id,)))
        first = model.index(0, TITLE).data()
        assert model.rowCount() == 100_000
        assert first == "Article 0 of feed 0"  # newest first
        assert counting.rows_fetched == article_model.PAGE  # only the first page was read
        assert model.index(99_999, TITLE).data() == "Article 99999 of feed 0"
        assert counting.rows_fetched == 2 * article_model.PAGE


def test_scrolling_a_view_reads_only_visible_pages(qtbot, large_db: Path) -> None:
    with open_store(large_db) as store:
        counting = CountingStore(store)
        model = ArticleListModel(counting)
        view = list_view(qtbot, model)
        view.show()
        model.set_query(ArticleQuery(smart="all"))
        bar = view.verticalScrollBar()
        qtbot.waitUntil(lambda: bar.maximum() > 1000, timeout=2000)
        for step in range(0, bar.maximum(), bar.maximum() // 50):
            bar.setValue(step)
            qtbot.wait(0)
            view.viewport().repaint()
        shown = view.indexAt(view.viewport().rect().topLeft()).row()
        view.hide()
        view.setModel(None)
        assert (
            counting.rows_fetched <= 51 * 2 * article_model.PAGE
        )  # at most two pages per step, never all 100k
        assert shown > 90_000  # the view really scrolled to the end


class CountingModel(ArticleListModel):
    """The real model, counting the view's index() calls (the cost of laying rows out)."""

    def __init__(self, store) -> None:
        super().__init__(store)
        self.index_calls = 0

    def index(self, row, column, parent=article_model._NO_PARENT):
        self.index_calls += 1
        return super().index(row, column, parent)


def test_showing_100k_rows_lays_out_only_those_on_screen(qtbot, large_db: Path) -> None:
    """A tree view asked the model for every row before its first paint (~0.2 s at 100,000 rows)."""
    with open_store(large_db) as store:
        model = CountingModel(store)
        view = list_view(qtbot, model)
        model.set_query(ArticleQuery(smart="all"))
        model.index_calls = 0
        view.show()
        qtbot.waitExposed(view)
        view.viewport().repaint()
        calls = model.index_calls
        rows_on_screen = view.viewport().height() // view.visualRect(model.index(0, TITLE)).height() + 1
        view.hide()
        view.setModel(None)
        assert model.rowCount() == 100_000
        assert calls < 100 * rows_on_screen  # a few per cell shown, not one per row


def test_the_list_keeps_a_lists_keys(qtbot, sample_dir: Path) -> None:
    """Home/End go to the first/last article, Left/Right stay on the row, Tab leaves the list."""
    from PySide6.QtCore import Qt

    with open_store(sample_dir / "hearth.sqlite3") as store:
        model = ArticleListModel(store)
        model.set_query(ArticleQuery(smart="all"))
        view = list_view(qtbot, model, 500, 300)
        view.show()
        qtbot.waitExposed(view)
        view.setFocus()
        view.setCurrentIndex(model.index(3, TITLE))
        qtbot.keyClick(view, Qt.Key.Key_End)
        assert view.currentIndex().row() == model.rowCount() - 1
        qtbot.keyClick(view, Qt.Key.Key_Home)
        assert view.currentIndex().row() == 0
        qtbot.keyClick(view, Qt.Key.Key_Down)
        current = (view.currentIndex().row(), view.currentIndex().column())
        qtbot.keyClick(view, Qt.Key.Key_Right)
        qtbot.keyClick(view, Qt.Key.Key_Left)
        assert (view.currentIndex().row(), view.currentIndex().column()) == current == (1, TITLE)
        assert view.selected_ids() == [model.article_id(1)]
        assert not view.tabKeyNavigation()  # Tab is the window's: the next pane
        assert view.verticalHeader().defaultSectionSize() == view.sizeHintForRow(0)  # one measured height
        view.set_compact(not view.compact)
        assert view.verticalHeader().defaultSectionSize() == view.sizeHintForRow(0)


def test_sort_hide_read_and_local_flags(qtbot, sample_dir: Path) -> None:
    with open_store(sample_dir / "hearth.sqlite3") as store:
        model = ArticleListModel(store)
        model.set_query(ArticleQuery(smart="all"))
        assert model.rowCount() == 13
        newest = model.row_data(0)
        model.sort(DATE, article_model.Qt.SortOrder.AscendingOrder)
        assert model.query.sort == "oldest" and model.row_data(model.rowCount() - 1).id == newest.id
        model.sort(TITLE)
        titles = [model.row_data(r).title for r in range(model.rowCount())]
        assert titles == sorted(titles, key=str.casefold) or titles == sorted(titles)
        model.set_query(ArticleQuery(smart="all", unread_only=True))
        assert model.rowCount() == 10  # 3 of 13 are read in the sample
        aid = model.index(0, 0).data(ID_ROLE)
        model.set_flag([aid], "read", True)
        assert model.row_data(0).read  # shown at once, before any write
        assert model.rowCount() == 10  # and it does not vanish under the reader


def test_index_is_valid_exactly_inside_the_table(qtbot, sample_dir: Path) -> None:
    with open_store(sample_dir / "hearth.sqlite3") as store:
        model = ArticleListModel(store)
        model.set_query(ArticleQuery(smart="all"))
        rows, cols = model.rowCount(), model.columnCount()
        last = model.index(rows - 1, cols - 1)
        assert last.isValid() and (last.row(), last.column()) == (rows - 1, cols - 1)
        assert last.data(ID_ROLE) == model.row_data(rows - 1).id
        for row, col in ((rows, 0), (-1, 0), (0, cols), (0, -1)):
            assert not model.index(row, col).isValid()
        assert not model.index(0, 0, model.index(0, 0)).isValid()  # a flat list: no children
        assert model.rowCount(model.index(0, 0)) == 0


def test_reload_inserts_new_articles_at_the_top(qtbot, sample_dir: Path) -> None:
    from app.models import ParsedItem

    with open_store(sample_dir / "hearth.sqlite3") as store:
        model = ArticleListModel(store)
        model.set_query(ArticleQuery(smart="all"))
        before = model.ids()
        inserted = []
        model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
        feed = store.list_feeds()[0]
        store.upsert_articles(
            feed.id,
            [
                ParsedItem(
                    guid="fresh",
                    url=None,
                    title="Fresh news",
                    published=__import__("datetime").datetime.now(__import__("datetime").UTC),
                )
            ],
        )
        model.reload()
        assert inserted == [(0, 0)]
        assert model.ids()[1:] == before
        assert model.row_data(0).title == "Fresh news"


def test_format_date() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 5, 3, 12, 0, tzinfo=UTC)
    assert format_date(None) == ""
    assert ":" in format_date(datetime(2026, 5, 3, 11, 0, tzinfo=UTC), now)
    assert format_date(datetime(2021, 1, 9, 11, 0, tzinfo=UTC), now).endswith("2021")
