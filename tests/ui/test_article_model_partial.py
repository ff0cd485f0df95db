"""The article list opening with its first ids: the rest arrive from a real DbExecutor on a real file.

The db thread is held (a job waiting on an Event) where a test needs the background result to come
later than something else: a write, an early row past the prefix, a newer query. A result reaches the
model only through the Qt event loop, so nothing arrives while a test does not process events.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.models import ArticleQuery, ParsedItem
from app.storage import open_store
from app.ui import article_model
from app.ui.article_model import FIRST_IDS, ID_ROLE, PAGE, TITLE, ArticleListModel
from app.ui.db_executor import DbExecutor
from tests.ui.sample_profile import build_large
from tests.ui.test_article_model import CountingStore, list_view

ARTICLES = 1500  # in two feeds: 1,000 in the first (the remainder goes there), 500 in the second


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "hearth.sqlite3"
    build_large(path, ARTICLES, feeds=2)
    return path


@pytest.fixture
def db(qtbot, db_path: Path) -> Iterator[DbExecutor]:
    executor = DbExecutor(db_path)
    yield executor
    executor.close()


class Background:
    """The DbExecutor's submit, counting the jobs and the results handed back to the model."""

    def __init__(self, db: DbExecutor) -> None:
        self.db = db
        self.submitted = 0
        self.delivered = 0

    def __call__(self, fn: Callable[[Any], Any], on_done: Callable[[Any], None], on_error: Any) -> None:
        self.submitted += 1

        def done(result: Any) -> None:
            self.delivered += 1
            on_done(result)

        self.db.submit(fn, done, on_error)


@contextmanager
def db_thread_held(db: DbExecutor) -> Iterator[None]:
    """The db thread waits until the block ends: what is submitted meanwhile runs after it."""
    started, release = threading.Event(), threading.Event()
    db.submit(lambda _store: (started.set(), release.wait(30)))
    assert started.wait(30)
    try:
        yield
    finally:
        release.set()


@contextmanager
def list_on_screen(qtbot, model: ArticleListModel) -> Iterator[Any]:
    """A 500x300 list view on `model`, torn down after the block (the model cleared first: a late result
    must not reach a view torn down)."""
    view = list_view(qtbot, model, 500, 300)
    try:
        yield view
    finally:
        model.clear()
        view.hide()
        view.setModel(None)


class Signals:
    """How many resets, inserts and data changes the model emitted (and the last data change)."""

    def __init__(self, model: ArticleListModel) -> None:
        self.resets = self.inserts = self.changes = 0
        self.inserted: list[tuple[int, int]] = []
        self.changed: tuple[int, int] | None = None
        model.modelReset.connect(self._reset)
        model.rowsInserted.connect(self._insert)
        model.dataChanged.connect(self._change)

    def _reset(self) -> None:
        self.resets += 1

    def _insert(self, _parent: Any, first: int, last: int) -> None:
        self.inserts += 1
        self.inserted.append((first, last))

    def _change(self, top: Any, bottom: Any, _roles: Any = None) -> None:
        self.changes += 1
        self.changed = (top.row(), bottom.row())


def first_feed(store) -> int:
    return store.list_feeds()[0].id


def test_opens_with_the_prefix_and_the_total_then_swaps_the_full_list_in(qtbot, db_path, db) -> None:
    with open_store(db_path) as store:
        counting = CountingStore(store)
        background = Background(db)
        model = ArticleListModel(counting, background=background)
        query = ArticleQuery(smart="all")
        expected = store.query_ids(query)
        model.set_query(query)
        assert model.is_partial() and background.submitted == 1
        assert model.rowCount() == ARTICLES  # the scrollbar is right before the rest arrives
        assert [model.index(r, 0).data(ID_ROLE) for r in range(FIRST_IDS)] == expected[:FIRST_IDS]
        assert model.index(0, TITLE).data() == store.rows([expected[0]])[0].title
        assert model.is_partial()  # rows in the prefix did not need the rest
        fetched = counting.rows_fetched
        signals = Signals(model)
        qtbot.waitUntil(lambda: background.delivered == 1, timeout=10000)
        assert not model.is_partial()
        assert (signals.resets, signals.inserts, signals.changes) == (0, 0, 1)
        assert signals.changed == (FIRST_IDS, ARTICLES - 1)  # the rows past the prefix
        assert model.ids() == expected
        model.index(0, TITLE).data()
        assert counting.rows_fetched == fetched  # the prefix's pages are kept
        assert model.index(ARTICLES - 1, 0).data(ID_ROLE) == expected[-1]


@pytest.mark.parametrize("unread", [FIRST_IDS - 1, FIRST_IDS])
def test_a_list_of_up_to_first_ids_is_whole_at_once(qtbot, db_path, db, unread: int) -> None:
    with open_store(db_path) as store:
        background = Background(db)
        model = ArticleListModel(store, background=background)
        every = store.query_ids(ArticleQuery(smart="all"))
        store.mark_read(every[unread:])
        model.set_query(ArticleQuery(smart="unread"))
        assert not model.is_partial() and model.rowCount() == unread
        assert model.ids() == every[:unread] and background.submitted == 0


def test_a_new_article_at_the_top_before_the_result_is_inserted(qtbot, db_path, db) -> None:
    with open_store(db_path) as store:
        background = Background(db)
        model = ArticleListModel(store, background=background)
        query = ArticleQuery(smart="all")
        with db_thread_held(db):
            model.set_query(query)
            before = [model.article_id(r) for r in range(FIRST_IDS)]
            item = ParsedItem(guid="fresh", url=None, title="Fresh news", published=datetime.now(UTC))
            store.upsert_articles(first_feed(store), [item])
            signals = Signals(model)
        qtbot.waitUntil(lambda: background.delivered == 1, timeout=10000)
        assert (signals.resets, signals.inserted) == (0, [(0, 0)])
        assert model.rowCount() == ARTICLES + 1
        assert model.ids() == store.query_ids(query)
        assert model.ids()[1 : FIRST_IDS + 1] == before
        assert model.index(0, TITLE).data() == "Fresh news"


def test_an_article_marked_read_before_the_result_leaves_an_unread_view(qtbot, db_path, db) -> None:
    with open_store(db_path) as store:
        background = Background(db)
        model = ArticleListModel(store, background=background)
        query = ArticleQuery(smart="unread")
        with db_thread_held(db):
            model.set_query(query)
            gone = model.article_id(5)
            store.mark_read([gone])
            signals = Signals(model)
        qtbot.waitUntil(lambda: background.delivered == 1, timeout=10000)
        assert signals.resets == 1 and not model.is_partial()
        assert model.rowCount() == ARTICLES - 1
        assert model.ids() == store.query_ids(query) and gone not in model.ids()


def test_a_row_past_the_prefix_completes_the_list_at_once_and_the_late_result_is_ignored(
    qtbot, db_path, db
) -> None:
    with open_store(db_path) as store:
        background = Background(db)
        model = ArticleListModel(store, background=background)
        query = ArticleQuery(smart="all")
        expected = store.query_ids(query)
        with db_thread_held(db):
            model.set_query(query)
            signals = Signals(model)
            assert model.index(1200, 0).data(ID_ROLE) == expected[1200]
            assert not model.is_partial() and signals.resets == 0
            # a write after the list was read: the late result has it, but only a reload shows it
            item = ParsedItem(guid="late", url=None, title="Late news", published=datetime.now(UTC))
            store.upsert_articles(first_feed(store), [item])
        qtbot.waitUntil(lambda: background.delivered == 1, timeout=10000)
        assert (signals.resets, signals.inserts) == (0, 0)
        assert model.ids() == expected
        model.reload()
        assert signals.inserted == [(0, 0)] and model.ids() == store.query_ids(query)


@pytest.mark.parametrize("access", ["row_data", "row_of", "ids", "set_flag", "reload"])
def test_every_lookup_past_the_prefix_sees_the_full_list(qtbot, db_path, db, access: str) -> None:
    with open_store(db_path) as store:
        background = Background(db)
        model = ArticleListModel(store, background=background)
        query = ArticleQuery(smart="all")
        expected = store.query_ids(query)
        last = expected[-1]
        with db_thread_held(db):
            model.set_query(query)
            signals = Signals(model)
            if access == "row_data":
                assert model.row_data(ARTICLES - 1).id == last
            elif access == "row_of":
                assert model.row_of(last) == ARTICLES - 1
                assert model.row_of(-1) is None
            elif access == "ids":
                assert model.ids() == expected
            elif access == "set_flag":
                model.set_flag([last], "read", True)
                assert model.row_data(ARTICLES - 1).read and signals.changed == (ARTICLES - 1, ARTICLES - 1)
            else:
                model.reload()
                assert signals.changed == (0, ARTICLES - 1)  # the same list: rows re-read, no reset
            assert not model.is_partial() and signals.resets == 0
        qtbot.waitUntil(lambda: background.delivered == 1, timeout=10000)
        assert signals.resets == 0 and model.ids() == expected


def test_end_key_and_select_all_reach_the_last_article(qtbot, db_path, db) -> None:
    from PySide6.QtCore import Qt

    with open_store(db_path) as store:
        background = Background(db)
        model = ArticleListModel(store, background=background)
        with list_on_screen(qtbot, model) as view:
            query = ArticleQuery(smart="all")
            expected = store.query_ids(query)
            with db_thread_held(db):
                model.set_query(query)
                view.show()
                qtbot.waitExposed(view)
                view.setFocus()
                view.setCurrentIndex(model.index(0, TITLE))
                assert model.is_partial()  # the first rows painted from the prefix
                qtbot.keyClick(view, Qt.Key.Key_End)
                assert view.currentIndex().row() == ARTICLES - 1
                assert view.current_id() == expected[-1] and not model.is_partial()
                qtbot.keyClick(view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
                assert view.selected_ids() == expected
            qtbot.waitUntil(lambda: background.delivered == 1, timeout=10000)


def test_a_write_seen_while_painting_past_the_prefix_resets_cleanly(qtbot, db_path, db) -> None:
    """The rare case: the view paints rows past the prefix before the result, and the list changed."""
    with open_store(db_path) as store:
        background = Background(db)
        model = ArticleListModel(store, background=background)
        with list_on_screen(qtbot, model) as view:
            query = ArticleQuery(smart="unread")
            with db_thread_held(db):
                model.set_query(query)
                view.show()
                qtbot.waitExposed(view)
                bar = view.verticalScrollBar()
                qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=5000)  # laid out
                assert model.is_partial()
                store.mark_read([store.query_ids(query)[-1]])
                signals = Signals(model)
                view.scrollToBottom()
                assert bar.value() == bar.maximum()
                view.grab()  # paints now: data() for the last rows reads the list, one fewer: a reset
                assert signals.resets == 1 and model.rowCount() == ARTICLES - 1
                view.grab()
                shown = view.indexAt(view.viewport().rect().center())
                assert shown.isValid() and shown.data(ID_ROLE) in store.query_ids(query)
            qtbot.waitUntil(lambda: background.delivered == 1, timeout=10000)
            assert signals.resets == 1 and model.ids() == store.query_ids(query)


def test_a_newer_query_makes_the_older_result_stale(qtbot, db_path, db) -> None:
    with open_store(db_path) as store:
        background = Background(db)
        model = ArticleListModel(store, background=background)
        first, second = (ArticleQuery(feed_ids=(feed.id,)) for feed in store.list_feeds())
        with db_thread_held(db):
            model.set_query(first)
            model.set_query(second)
            signals = Signals(model)
        qtbot.waitUntil(lambda: background.delivered == 2, timeout=10000)
        assert not model.is_partial()
        assert (signals.resets, signals.changes) == (0, 1)  # the first result was dropped
        assert model.query == second and model.ids() == store.query_ids(second)
        with db_thread_held(db):
            model.set_query(first)
            model.clear()
        qtbot.waitUntil(lambda: background.delivered == 3, timeout=10000)
        assert model.rowCount() == 0 and model.ids() == []


def test_a_search_reads_its_whole_list_at_once(qtbot, db_path, db) -> None:
    with open_store(db_path) as store:
        background = Background(db)
        model = ArticleListModel(store, background=background)
        query = ArticleQuery(search="body")
        model.set_query(query)
        assert background.submitted == 0 and not model.is_partial()
        assert model.rowCount() == ARTICLES and model.ids() == store.query_ids(query)


def test_without_a_background_the_list_is_whole_at_once(qtbot, db_path) -> None:
    with open_store(db_path) as store:
        model = ArticleListModel(store)
        model.set_query(ArticleQuery(smart="all"))
        assert not model.is_partial() and model.ids() == store.query_ids(ArticleQuery(smart="all"))


def test_a_page_cut_at_the_prefix_is_read_again_whole(qtbot, db_path, db, monkeypatch) -> None:
    monkeypatch.setattr(article_model, "FIRST_IDS", PAGE + PAGE // 2)  # the prefix ends mid-page
    with open_store(db_path) as store:
        background = Background(db)
        model = ArticleListModel(store, background=background)
        query = ArticleQuery(smart="all")
        expected = store.query_ids(query)
        model.set_query(query)
        cut = PAGE + PAGE // 2
        assert model.row_data(cut - 1).id == expected[cut - 1] and model.is_partial()
        qtbot.waitUntil(lambda: background.delivered == 1, timeout=10000)
        assert [model.row_data(r).id for r in range(PAGE, 2 * PAGE)] == expected[PAGE : 2 * PAGE]


def test_a_held_model_reads_the_rest_once_released(qtbot, db_path, db) -> None:
    with open_store(db_path) as store:
        background = Background(db)
        model = ArticleListModel(store, background=background, held=True)
        first, second = (ArticleQuery(feed_ids=(feed.id,)) for feed in store.list_feeds())
        model.set_query(first)
        model.set_query(second)
        assert model.is_partial() and background.submitted == 0  # nothing runs on the db thread yet
        model.release_background()
        assert background.submitted == 1  # only the current list
        qtbot.waitUntil(lambda: background.delivered == 1, timeout=10000)
        assert not model.is_partial() and model.ids() == store.query_ids(second)
        model.set_query(first)
        assert background.submitted == 2  # released: from now on at once


def test_the_window_lists_every_article_after_its_first_paint(qtbot, data_dir: Path) -> None:
    from tests.ui.conftest import make_controller, wait_loaded

    build_large(data_dir / "hearth.sqlite3", ARTICLES, feeds=2)
    ctl = make_controller(data_dir)
    qtbot.addWidget(ctl.window)
    try:
        ctl.start(show=True, schedule=False)
        wait_loaded(qtbot, ctl)
        model = ctl.window.list_model
        assert model.rowCount() == ARTICLES
        qtbot.waitUntil(lambda: not model.is_partial(), timeout=10000)  # read on the db thread
        assert model.ids() == ctl.ctx.store.query_ids(model.query)
    finally:
        ctl.refresher.cancel()
        ctl.refresher.wait(10)
        ctl.shutdown()
