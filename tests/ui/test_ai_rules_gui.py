"""The per-feed AI rules after a refresh in the real window (offscreen) with a tiny random RWKV-7: summaries and
translations queued in the background behind user requests, their progress in the panel, the Pause button,
and the cap per refresh (ai.rules_per_refresh) across feeds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.ai.requests import AutoSummaryRequest, SummarizeRequest, TranslateRequest
from app.ai.results import SummariesQueued
from app.fetching.report import FeedOutcome
from app.models import Summary
from app.storage import open_store
from app.storage.ai_rules import FeedRules
from app.ui.ai_mount import auto_summarise
from app.ui.article_model import AI_ROLE, TITLE
from tests.support.ai_fixtures import build_library, tiny_checkpoint
from tests.ui.conftest import make_controller, select_node, wait_loaded


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def ai(qtbot, data_dir: Path, tiny: Path):
    ids = build_library(data_dir / "hearth.sqlite3")
    with open_store(data_dir / "hearth.sqlite3") as store:
        store.set_feed_rules(FeedRules(ids["otters_feed"], summarize=True, translate=True, language="zh"))
        store.set_feed_rules(FeedRules(ids["news_feed"], summarize=True))
    ctl = make_controller(data_dir, ai__model_path=str(tiny), ai__device="cpu", ai__max_tokens=4,
                          ai__read_ahead=False, ai__rules_per_refresh=3)  # fmt: skip
    qtbot.addWidget(ctl.window)
    ctl.start(show=True, schedule=False)
    wait_loaded(qtbot, ctl)
    worker = ctl.ai_panel.worker
    worker.background_gap_s = 0.0
    log: list[tuple] = []
    worker.finished.connect(lambda req, request, result: log.append((req, request, result)))
    yield ctl, ctl.ai_panel, ids, log
    ctl.shutdown()


def _runs(log) -> list[tuple]:
    return [e for e in log if isinstance(e[1], SummarizeRequest | TranslateRequest)]


def test_rules_run_in_the_background_with_progress_pause_and_a_cap_per_refresh(qtbot, ai) -> None:
    _ctl, panel, ids, log = ai
    bar = panel.read_ahead
    texts: list[str] = []
    panel.worker.finished.connect(lambda *_a: texts.append(bar.label.text()))
    panel.worker.background_paused.connect(lambda reasons: log.append((None, "paused", reasons)))
    qtbot.mouseClick(bar.pause_button, Qt.MouseButton.LeftButton)  # held until Resume
    auto_summarise(panel, FeedOutcome(ids["otters_feed"], "Otters", "u", "updated", new_articles=2))
    auto_summarise(panel, FeedOutcome(ids["news_feed"], "News", "u", "updated", new_articles=1))
    assert panel.rules_left == 0 and panel.worker.has_pending(AutoSummaryRequest)
    qtbot.mouseClick(bar.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(_runs(log)) == 3, timeout=120000)
    resumed = next(i for i, e in enumerate(log) if e[1] == "paused" and not e[2])
    assert all(i > resumed for i, e in enumerate(log) if e[1] != "paused")  # nothing ran while paused
    queued = [e[2] for e in log if isinstance(e[2], SummariesQueued)]
    # 3 runs for this refresh: the first feed takes them all (2 summaries and a translation), the second none
    assert (
        len(queued) == 1
        and queued[0].queued == 3
        and set(queued[0].summaries) == {ids["otters"], ids["long"]}
    )
    assert len(queued[0].translations) == 1
    assert "AI rules: 2 of 3" in texts and bar.label.text() == "AI rules done: 3 runs"
    assert panel.cached_summary(ids["otters"]) and panel.cached_summary(ids["long"])
    assert panel.cached_summary(ids["rain"]) is None  # over the cap: left for a later refresh
    translation = next(e[2] for e in _runs(log) if isinstance(e[1], TranslateRequest))
    assert translation.language == "zh" and translation.title


def test_a_new_refresh_restores_the_cap(qtbot, ai) -> None:
    ctl, panel, ids, log = ai
    panel.rules_left = 0
    auto_summarise(panel, FeedOutcome(ids["news_feed"], "News", "u", "updated", new_articles=1))
    assert not panel.worker.has_pending(AutoSummaryRequest)  # nothing left for this refresh
    ctl.refresher.started.emit(2)
    assert panel.rules_left == 3
    auto_summarise(panel, FeedOutcome(ids["news_feed"], "News", "u", "updated", new_articles=1))
    qtbot.waitUntil(lambda: any(isinstance(e[1], SummarizeRequest) for e in log), timeout=60000)
    assert panel.cached_summary(ids["rain"])


def test_the_list_marks_articles_with_a_summary_or_translation(qtbot, ai) -> None:
    ctl, panel, ids, log = ai
    with open_store(ctl.paths.db_path) as store:
        store.save_summary(Summary(ids["rain"], "other-model#1", "p0", "- It rained.", datetime.now(UTC)))
    select_node(qtbot, ctl, "feed", ids["news_feed"])
    select_node(qtbot, ctl, "smart", "all")  # a new query: its page is read again
    model = ctl.window.list_model
    qtbot.waitUntil(lambda: model.rowCount() == 3)

    def marks() -> dict[int, str | None]:
        return {model.article_id(r): model.index(r, 0).data(AI_ROLE) for r in range(model.rowCount())}

    assert marks() == {ids["rain"]: "summary", ids["otters"]: None, ids["long"]: None}  # read with the page
    req = panel.worker.submit(TranslateRequest(ids["otters"], "zh", max_block_tokens=4), "panel")
    qtbot.waitUntil(lambda: any(e[0] == req for e in log), timeout=120000)
    assert marks()[ids["otters"]] == "translation"  # marked as soon as it was saved
    row = model.row_of(ids["otters"])
    assert "AI: translation" in model.index(row, TITLE).data(Qt.ItemDataRole.ToolTipRole)
