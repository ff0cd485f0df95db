"""The UI operation helper (app/ui/operations.py) on a real DbExecutor and SQLite file: success and failure
callbacks on the GUI thread, one change signal after success, operations in the order given, and the
window's views following that signal alone."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.errors import HearthError
from app.models import ArticleQuery
from app.ui.db_executor import DbExecutor
from app.ui.operations import ARTICLE_FLAGS, LIBRARY, NO_CHANGES, OpChanges, StoreOp


@pytest.fixture
def db(qtbot, tmp_path: Path) -> Iterator[DbExecutor]:
    executor = DbExecutor(tmp_path / "hearth.sqlite3")
    yield executor
    executor.close()


def record_changes(db: DbExecutor, events: list) -> None:
    db.operation_did_execute.connect(
        lambda changes, initiator: events.append(("changed", changes, initiator))
    )


def test_success_runs_on_the_gui_thread_with_the_result_then_the_change_signal(qtbot, db) -> None:
    events: list = []
    record_changes(db, events)
    threads: dict[str, str] = {}

    def op(store) -> int:  # type: ignore[no-untyped-def]
        threads["op"] = threading.current_thread().name
        return store.add_folder("News").id

    def success(folder_id: int) -> None:
        threads["success"] = threading.current_thread().name
        events.append(("success", folder_id))

    initiator = object()
    StoreOp(db, op, LIBRARY).success(success).run_in_background(initiator=initiator)
    qtbot.waitUntil(lambda: len(events) == 2, timeout=5000)
    assert threads == {"op": "hearth-db", "success": threading.main_thread().name}
    assert events[0][0] == "success" and isinstance(events[0][1], int)
    assert events[1] == ("changed", LIBRARY, initiator)


def test_a_failure_goes_to_the_failure_callback_and_announces_no_change(qtbot, db) -> None:
    events: list = []
    record_changes(db, events)
    failures: list[tuple[Exception, str]] = []

    def op(_store) -> None:  # type: ignore[no-untyped-def]
        raise HearthError("that folder is gone", hint="reload the library")

    StoreOp(db, op, LIBRARY).success(lambda _r: events.append("success")).failure(
        lambda exc: failures.append((exc, threading.current_thread().name))
    ).run_in_background()
    qtbot.waitUntil(lambda: bool(failures), timeout=5000)
    db.wait_idle()
    qtbot.wait(20)
    exc, thread = failures[0]
    assert isinstance(exc, HearthError) and "that folder is gone" in exc.user_message()
    assert thread == threading.main_thread().name
    assert events == []  # no success, no change signal


def test_an_unexpected_error_reaches_the_failure_callback_too(qtbot, db) -> None:
    failures: list[Exception] = []
    StoreOp(db, lambda _store: 1 // 0).failure(failures.append).run_in_background()
    qtbot.waitUntil(lambda: bool(failures), timeout=5000)
    assert isinstance(failures[0], ZeroDivisionError)


def test_without_a_failure_callback_the_status_message_says_what_went_wrong(qtbot, db) -> None:
    messages: list[str] = []
    db.failed.connect(messages.append)

    def op(_store) -> None:  # type: ignore[no-untyped-def]
        raise HearthError("cannot read /nowhere.opml", hint="check the file")

    StoreOp(db, op, LIBRARY).run_in_background()
    qtbot.waitUntil(lambda: bool(messages), timeout=5000)
    assert "cannot read /nowhere.opml" in messages[0] and "check the file" in messages[0]


def test_operations_run_and_call_back_in_the_order_given(qtbot, db) -> None:
    events: list = []
    record_changes(db, events)
    ids: list[int] = []

    def add(store) -> int:  # type: ignore[no-untyped-def]
        folder = store.add_folder("First name")
        ids.append(folder.id)
        return folder.id

    StoreOp(db, add, LIBRARY).success(lambda i: events.append(("success", "add"))).run_in_background()
    StoreOp(db, lambda store: store.rename_folder(ids[0], "Second name"), LIBRARY).success(
        lambda _r: events.append(("success", "rename"))
    ).run_in_background()
    StoreOp(db, lambda store: [f.name for f in store.list_folders()]).success(
        lambda names: events.append(("success", names))
    ).run_in_background()
    qtbot.waitUntil(lambda: len(events) == 5, timeout=5000)
    assert events == [
        ("success", "add"),
        ("changed", LIBRARY, None),
        ("success", "rename"),
        ("changed", LIBRARY, None),
        ("success", ["Second name"]),  # a read queued behind the writes sees them; it changes nothing
    ]


def test_a_failing_success_callback_still_lets_the_views_catch_up(qtbot, db) -> None:
    events: list = []
    record_changes(db, events)

    def broken(_result: object) -> None:
        raise RuntimeError("a broken slot")

    StoreOp(db, lambda store: store.add_folder("Kept"), LIBRARY).success(broken).run_in_background()
    qtbot.waitUntil(lambda: bool(events), timeout=5000)
    assert events == [("changed", LIBRARY, None)]


def test_changes_say_what_changed() -> None:
    assert not NO_CHANGES.any
    assert ARTICLE_FLAGS.any and not ARTICLE_FLAGS.library
    assert LIBRARY.any and not LIBRARY.article_flags
    assert OpChanges(article_flags=True, library=True).any


# the window follows the signal ---------------------------------------------------------------------
def test_the_tree_shows_a_folder_an_operation_added_with_no_reload_by_hand(qtbot, controller) -> None:
    w = controller.window
    assert "Made by an op" not in {f.name for f in w.tree_model.folders()}
    StoreOp(controller.db, lambda store: store.add_folder("Made by an op"), LIBRARY).run_in_background()
    qtbot.waitUntil(lambda: "Made by an op" in {f.name for f in w.tree_model.folders()}, timeout=5000)


def test_the_counts_follow_an_operation_that_marked_articles_read(qtbot, controller) -> None:
    w = controller.window
    assert w.tree_model.unread_total() > 0

    def mark_all(store) -> int:  # type: ignore[no-untyped-def]
        return store.mark_read(store.query_ids(ArticleQuery(smart="unread")), True)

    StoreOp(controller.db, mark_all, ARTICLE_FLAGS).run_in_background()
    qtbot.waitUntil(lambda: w.tree_model.unread_total() == 0, timeout=5000)
    assert w.windowTitle() == "Hearth"


def test_an_operation_that_changes_nothing_leaves_the_counts_alone(qtbot, controller) -> None:
    w = controller.window
    before = w.tree_model.unread_total()
    seen: list[int] = []

    def mark_all(store) -> int:  # type: ignore[no-untyped-def]
        return store.mark_read(store.query_ids(ArticleQuery(smart="unread")), True)

    StoreOp(controller.db, mark_all, NO_CHANGES).success(seen.append).run_in_background()
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    controller.db.wait_idle()
    qtbot.wait(20)
    assert seen[0] > 0 and w.tree_model.unread_total() == before  # nobody asked the views to reload
