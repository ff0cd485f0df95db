"""UI operations: a plain function of the store, run in order on the DbExecutor's thread, with success and
failure callbacks on the GUI thread (anki's `CollectionOp` is the model).

    StoreOp(ctx.db, lambda store: store.mark_read(ids, True), ARTICLE_FLAGS).success(done).run_in_background()

Once `success` has run, the executor's one `operation_did_execute(changes, initiator)` signal tells every
view to refresh what the operation changed, so an action never refreshes views by hand. A failure goes
to `failure`, or with none given to the executor's `failed` status-bar message; it announces no change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from app.ui.db_executor import DbExecutor

T = TypeVar("T")


@dataclass(frozen=True)
class OpChanges:
    """What an operation changed, so each view reloads only what it shows of that."""

    article_flags: bool = False  # read / starred of some articles: the unread counts
    library: bool = False  # feeds or folders: the feed tree (and with it the counts)

    @property
    def any(self) -> bool:
        return self.article_flags or self.library


NO_CHANGES = OpChanges()
ARTICLE_FLAGS = OpChanges(article_flags=True)
LIBRARY = OpChanges(library=True)


class StoreOp(Generic[T]):
    """One background operation: `op(store)` on the executor, then `success(result)` on the GUI thread
    and the change signal; or `failure(exc)` (a HearthError, or any exception the job raised)."""

    def __init__(self, db: DbExecutor, op: Callable[[Any], T], changes: OpChanges = NO_CHANGES) -> None:
        self._db = db
        self._op = op
        self._changes = changes
        self._success: Callable[[T], object] | None = None
        self._failure: Callable[[Exception], object] | None = None

    def success(self, callback: Callable[[T], object] | None) -> StoreOp[T]:
        self._success = callback
        return self

    def failure(self, callback: Callable[[Exception], object] | None) -> StoreOp[T]:
        self._failure = callback
        return self

    def run_in_background(self, *, initiator: object | None = None) -> None:
        """Queue the operation behind every one submitted before it (they run in the order given)."""

        def done(result: T) -> None:
            try:
                if self._success is not None:
                    self._success(result)
            finally:  # a failing success callback still lets the views catch up with the write
                if self._changes.any:
                    self._db.operation_did_execute.emit(self._changes, initiator)

        self._db.submit(self._op, done, self._failure)
