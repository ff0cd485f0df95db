"""The AI worker's typed requests: every request kind has exactly one handler, an unknown request is refused at
submit with a clear error, and requests that need no model run on the real worker thread against a real
SQLite file, their typed request and result arriving on the worker's signals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.ai.requests import (
    AiRequest,
    AskRequest,
    BriefRequest,
    ChatAskRequest,
    DigestRequest,
    request_kinds,
)
from app.ai.results import AskResult, BriefingResult, DigestResult, FinishReason
from app.config import Paths, Settings
from app.ui.ai_worker import AiWorker


@pytest.fixture
def worker(data_dir: Path) -> Iterator[AiWorker]:
    w = AiWorker(Paths(data_dir), Settings(data_dir / "settings.json"))
    yield w
    assert w.close(10)


def test_every_request_kind_has_exactly_one_handler(worker: AiWorker) -> None:
    kinds = set(request_kinds())
    # load, summarise, digest, auto-summary, translate, ask, brief and the seven chat steps
    assert len(kinds) >= 14
    assert worker.handled_kinds() == kinds
    for kind in kinds:
        assert kind.result_types, f"{kind.__name__} names no result type"


def test_an_unknown_request_is_refused_at_submit(worker: AiWorker) -> None:
    @dataclass(frozen=True)
    class SingRequest(AiRequest):
        song: str

    with pytest.raises(TypeError, match="no handler for SingRequest"):
        worker.submit(SingRequest("la"))
    with pytest.raises(TypeError, match="no handler for str"):
        worker.submit("summarize", "panel")  # type: ignore[arg-type]  # the old string form
    assert not worker.busy() and worker._thread is None  # nothing was queued, no model thread started


def test_requests_that_need_no_model_finish_with_their_typed_results(qtbot, worker: AiWorker) -> None:
    """An empty library: the digest, the briefing and a question answer at once, without loading a model."""
    started: list[tuple[int, AiRequest]] = []
    finished: list[tuple[int, AiRequest, object]] = []
    failed: list[tuple[int, AiRequest, str]] = []
    worker.started.connect(lambda req, request: started.append((req, request)))
    worker.finished.connect(lambda req, request, result: finished.append((req, request, result)))
    worker.failed.connect(lambda req, request, message: failed.append((req, request, message)))
    requests = [DigestRequest("unread"), BriefRequest("all"), AskRequest("what do otters eat?", "all")]
    ids = [worker.submit(request, f"view-{n}") for n, request in enumerate(requests)]
    qtbot.waitUntil(lambda: len(finished) + len(failed) == len(requests), timeout=30000)
    assert not failed
    assert [(req, request) for req, request in started] == list(zip(ids, requests, strict=True))
    by_id = {req: (request, result) for req, request, result in finished}
    digest, brief, answer = (by_id[i] for i in ids)
    assert digest[0] is requests[0] and isinstance(digest[1], DigestResult)
    assert digest[1].finish_reason == FinishReason.EMPTY == "empty" and digest[1].items == []
    assert isinstance(brief[1], BriefingResult) and brief[1].finish_reason == FinishReason.EMPTY
    assert isinstance(answer[1], AskResult) and answer[1].finish_reason == "nothing-found"
    assert not answer[1].sources
    for request, result in by_id.values():
        assert isinstance(result, type(request).result_types)
    assert not worker.assistant.loaded  # none of them needed the model


def test_a_chat_step_without_a_model_fails_with_a_message_not_a_traceback(qtbot, worker: AiWorker) -> None:
    worker.settings.set("ai.model_path", "")
    failed: list[tuple[int, AiRequest, str]] = []
    worker.failed.connect(lambda req, request, message: failed.append((req, request, message)))
    request = ChatAskRequest(1, "hello")
    req = worker.submit(request, "chat")
    qtbot.waitUntil(lambda: bool(failed), timeout=30000)
    assert failed[0][:2] == (req, request)
    assert "Traceback" not in failed[0][2] and failed[0][2]
