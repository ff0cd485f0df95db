"""The AI worker gives background jobs (read-ahead, per-feed rules) a BackgroundCancel, so their prefill reads in
small slices and a user's request waits at most one; the user's own requests keep a plain flag (large slices)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.ai.cancel import BackgroundCancel
from app.ai.requests import DigestRequest, ReadAheadRequest
from app.config import Paths, Settings
from app.ui.ai_queue import Job as _Job
from app.ui.ai_worker import AiWorker


@pytest.fixture
def worker(data_dir: Path) -> Iterator[AiWorker]:
    w = AiWorker(Paths(data_dir), Settings(data_dir / "settings.json"))
    yield w
    assert w.close(10)


def test_background_jobs_get_a_background_flag() -> None:
    assert isinstance(_Job(ReadAheadRequest(), "read-ahead", True).cancel, BackgroundCancel)
    assert not isinstance(_Job(DigestRequest(), "panel").cancel, BackgroundCancel)


def test_a_queued_background_job_carries_it(worker: AiWorker) -> None:
    worker.pause_background("user")  # held: the job stays queued where we can look at it
    worker.submit(ReadAheadRequest(), "read-ahead", background=True)
    with worker._cv:
        pending = list(worker._pending)
    assert [type(j.cancel) for j in pending] == [BackgroundCancel]
    assert pending[0].background and not pending[0].cancel.is_set()
