"""Read-ahead in the real window (offscreen) with a tiny random RWKV-7: a user request pre-empts it at once and
it runs on afterwards; typing in the question box holds it until the typing pause ends; the panel shows
"Reading ahead: k of n" and the Pause button holds it; ai.read_ahead off never queues it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.ai.requests import LoadModelRequest, ReadAheadRequest, SummarizeRequest
from app.ai.results import FinishReason, ReadAheadResult
from tests.support.ai_fixtures import build_library, tiny_checkpoint
from tests.ui.conftest import make_controller, select_node, wait_loaded


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("tiny"))


def _start(qtbot, data_dir: Path, tiny: Path, **settings):
    ids = build_library(data_dir / "hearth.sqlite3")
    ctl = make_controller(data_dir, ai__model_path=str(tiny), ai__device="cpu", ai__max_tokens=4, **settings)
    qtbot.addWidget(ctl.window)
    ctl.start(show=True, schedule=False)
    wait_loaded(qtbot, ctl)
    worker = ctl.ai_panel.worker
    worker.background_gap_s = 0.0
    log: list[tuple] = []
    worker.started.connect(lambda req, request: log.append(("started", req, request)))
    worker.finished.connect(lambda req, request, result: log.append(("finished", req, request, result)))
    worker.failed.connect(lambda req, request, message: log.append(("failed", req, request, message)))
    worker.background_paused.connect(lambda reasons: log.append(("paused", reasons)))
    return ctl, worker, ids, log


def _finished(log, kind) -> list[tuple]:
    return [e for e in log if e[0] == "finished" and isinstance(e[2], kind)]


@pytest.fixture
def off(qtbot, data_dir: Path, tiny: Path):
    ctl, worker, ids, log = _start(qtbot, data_dir, tiny, ai__read_ahead=False)
    yield ctl, worker, ids, log
    ctl.shutdown()


@pytest.fixture
def on(qtbot, data_dir: Path, tiny: Path):
    ctl, worker, ids, log = _start(qtbot, data_dir, tiny)
    yield ctl, worker, ids, log
    ctl.shutdown()


def test_a_user_request_pre_empts_read_ahead_which_runs_on_after(qtbot, off) -> None:
    _ctl, worker, ids, log = off
    load = worker.submit(LoadModelRequest(), "load")
    qtbot.waitUntil(lambda: any(e[1] == load for e in log if e[0] == "finished"), timeout=60000)
    assert not worker.has_pending(ReadAheadRequest)  # ai.read_ahead is off: nothing queued by itself
    user: list[int] = []

    def on_progress(progress) -> None:  # on the model's thread, while read-ahead runs
        if progress.done == 1 and not user:
            user.append(worker.submit(SummarizeRequest(ids["rain"]), "panel"))

    worker.read_ahead_progress.connect(on_progress, Qt.ConnectionType.DirectConnection)
    worker.submit(ReadAheadRequest(limit=3), "read-ahead", background=True)
    qtbot.waitUntil(lambda: len(_finished(log, ReadAheadRequest)) == 2, timeout=120000)
    first, second = _finished(log, ReadAheadRequest)
    summary = _finished(log, SummarizeRequest)
    assert summary and summary[0][3].text
    pre_empted, rest = first[3], second[3]
    assert isinstance(pre_empted, ReadAheadResult) and pre_empted.finish_reason == FinishReason.CANCELLED
    assert len(pre_empted.read) < 3
    assert log.index(first) < log.index(summary[0]) < log.index(second)  # the summary ran in between
    assert isinstance(rest, ReadAheadResult) and rest.finish_reason == FinishReason.STOP
    assert set(pre_empted.read) | set(rest.read) == {ids["otters"], ids["long"], ids["rain"]}


def test_typing_holds_read_ahead_until_the_typing_pause_ends(qtbot, on) -> None:
    ctl, worker, ids, log = on
    panel = ctl.ai_panel
    bar = panel.read_ahead
    load = worker.submit(LoadModelRequest(), "load")
    qtbot.waitUntil(lambda: bar.model_ready, timeout=60000)
    qtbot.waitUntil(lambda: any(e[1] == load for e in log if e[0] == "finished"))
    worker.cancel("read-ahead")  # the pass queued on model_ready: start from a clean queue
    qtbot.waitUntil(lambda: not worker.busy(), timeout=60000)
    select_node(qtbot, ctl, "feed", ids["news_feed"])
    ctl.window.select_row(0)
    qtbot.waitUntil(lambda: panel.input.isEnabled())
    log.clear()
    qtbot.keyClicks(panel.input, "What")
    assert worker.paused_reasons() == {"typing"}
    req = worker.submit(ReadAheadRequest(), "read-ahead", background=True)
    qtbot.waitUntil(lambda: any(e[0] == "finished" and e[1] == req for e in log), timeout=120000)
    resumed = next(i for i, e in enumerate(log) if e[0] == "paused" and not e[1])
    started = next(i for i, e in enumerate(log) if e[0] == "started" and e[1] == req)
    assert resumed < started  # nothing was read while the user typed
    result = next(e[3] for e in log if e[0] == "finished" and e[1] == req)
    assert result.finish_reason == FinishReason.STOP  # the unread ones (opening "Rain" marked it read)
    assert set(result.read) == {ids["otters"], ids["long"]}
    assert bar.label.text() == "Read ahead 2 articles" and not bar.isHidden()


def test_the_bar_shows_progress_and_its_pause_button_holds_it(qtbot, on) -> None:
    ctl, worker, _ids, log = on
    bar = ctl.ai_panel.read_ahead
    texts: list[str] = []
    worker.read_ahead_progress.connect(lambda _p: texts.append(bar.label.text()))
    qtbot.mouseClick(bar.pause_button, Qt.MouseButton.LeftButton)
    assert worker.paused_reasons() == {"user"} and bar.pause_button.text() == "Resume"
    worker.submit(LoadModelRequest(), "load")  # loading queues a pass (model_ready), held by the button
    qtbot.waitUntil(lambda: bar.model_ready and worker.has_pending(ReadAheadRequest), timeout=60000)
    assert not any(e[0] == "started" and isinstance(e[2], ReadAheadRequest) for e in log)
    qtbot.mouseClick(bar.pause_button, Qt.MouseButton.LeftButton)
    assert worker.paused_reasons() == frozenset()
    qtbot.waitUntil(lambda: bool(_finished(log, ReadAheadRequest)), timeout=120000)
    assert texts[:3] == ["Reading ahead: 1 of 3", "Reading ahead: 2 of 3", "Reading ahead: 3 of 3"]
    assert bar.label.text() == "Read ahead 3 articles"
