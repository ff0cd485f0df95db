"""The AI worker's request queue (no Qt): which queued job runs next, and which ones a new request pre-empts.

One job runs at a time. A user's request cancels the same view's older ones and any running background job
(that one is queued again, to run later). Background jobs (auto-summaries, read-ahead) run only when no user
request waits and `gap_s` has passed since the last one, and not while any hold reason is set (on battery,
while the user types, the Pause button): a running one is then cancelled and queued again at the front.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.ai.cancel import BackgroundCancel
from app.ai.requests import AiRequest

BACKGROUND_GAP_S = 3.0  # quiet time after a user request before a background job may start
_ids = itertools.count(1)


@dataclass
class Job:
    """A request as queued: which view it belongs to, whether it runs in the background, its cancel flag."""

    request: AiRequest
    view: str  # requests for the same view pre-empt each other
    background: bool = False
    id: int = field(default_factory=lambda: next(_ids))
    cancel: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        if self.background:  # read in small prefill slices, so a user's request waits at most one
            self.cancel = BackgroundCancel()


class RequestQueue:
    """The jobs waiting and the one running, under one condition variable shared by the GUI and model threads."""

    def __init__(self, gap_s: float = BACKGROUND_GAP_S) -> None:
        self.gap_s = gap_s
        self.cv = threading.Condition()
        self.pending: list[Job] = []
        self.current: Job | None = None
        self._closed = False
        self._last_user = 0.0
        self._paused: set[str] = set()

    # the GUI side -----------------------------------------------------------------------------------
    def put(self, job: Job) -> bool:
        """Queue `job`, pre-empting what a user's request pre-empts; False once the queue is closed."""
        with self.cv:
            if self._closed:
                return False
            if not job.background:
                self._last_user = time.monotonic()
                for old in list(self.pending):
                    if old.view == job.view and not old.background:
                        old.cancel.set()
                        self.pending.remove(old)
                current = self.current
                if current is not None and (current.view == job.view or current.background):
                    requeue = current.background and not current.cancel.is_set()  # not paused already
                    current.cancel.set()
                    if requeue:
                        self.pending.append(Job(current.request, current.view, True))
            self.pending.append(job)
            self.cv.notify_all()
        return True

    def extend(self, jobs: Iterable[Job]) -> None:
        """Queue background jobs behind the others (as the worker's auto-summary does, from the model thread)."""
        with self.cv:
            self.pending.extend(jobs)
            self.cv.notify_all()

    def cancel(self, view: str) -> None:
        """Stop what runs or waits for `view`."""
        with self.cv:
            for old in [r for r in self.pending if r.view == view]:
                old.cancel.set()
                self.pending.remove(old)
            if self.current is not None and self.current.view == view:
                self.current.cancel.set()

    def hold(self, reason: str, paused: bool) -> tuple[frozenset[str], frozenset[str]]:
        """Set (or clear) a reason to hold background jobs; a running one is cancelled and queued again first.
        Returns the reasons before and after."""
        with self.cv:
            before = frozenset(self._paused)
            (self._paused.add if paused else self._paused.discard)(reason)
            now = frozenset(self._paused)
            current = self.current
            if now and current is not None and current.background and not current.cancel.is_set():
                current.cancel.set()
                self.pending.insert(0, Job(current.request, current.view, True))
            self.cv.notify_all()
        return before, now

    def paused_reasons(self) -> frozenset[str]:
        with self.cv:
            return frozenset(self._paused)

    def has_pending(self, kind: type[AiRequest]) -> bool:
        """Whether a request of `kind` is queued or running."""
        with self.cv:
            jobs = [*self.pending, *([self.current] if self.current is not None else [])]
            return any(type(j.request) is kind and not j.cancel.is_set() for j in jobs)

    def busy(self) -> bool:
        with self.cv:
            return self.current is not None or any(not r.background for r in self.pending)

    def close(self) -> None:
        """Cancel everything; `next` answers None from now on."""
        with self.cv:
            self._closed = True
            for job in self.pending:
                job.cancel.set()
            self.pending.clear()
            if self.current is not None:
                self.current.cancel.set()
            self.cv.notify_all()

    # the model thread's side ------------------------------------------------------------------------
    def next(self) -> Job | None:
        """Block until a job may run and make it the current one; None once closed."""
        with self.cv:
            while True:
                if self._closed:
                    return None
                users = [r for r in self.pending if not r.background]
                if users:
                    job = users[0]
                elif self.pending and self._paused:
                    self.cv.wait()  # held: hold(..., False) notifies
                    continue
                elif self.pending:
                    wait = self._last_user + self.gap_s - time.monotonic()
                    if wait > 0:
                        self.cv.wait(wait)
                        continue
                    job = self.pending[0]
                else:
                    self.cv.wait()
                    continue
                self.pending.remove(job)
                self.current = job
                return job

    def done(self) -> None:
        """The current job has ended (finished, failed or cancelled)."""
        with self.cv:
            self.current = None
