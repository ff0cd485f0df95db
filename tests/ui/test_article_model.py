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

    def query_ids(self, query):
        return self.store.query_ids(query)

    def rows(self, ids):
        self.rows_fetched += len(ids)
        return self.store.rows(ids)

    def __getattr__(self, name):  # the rest (the list's AI markers) as the store has it
        return getattr(self.store, name)


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
    from app.ui.article_list_view import ArticleListView

    with open_store(large_db) as store:
        counting = CountingStore(store)
        model = ArticleListModel(counting)
        view = ArticleListView()
        qtbot.addWidget(view)
        view.setModel(model)
        view.setup_header()
        view.resize(600, 400)
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
