"""Translating the visible list's titles in the real window (offscreen) with a tiny random RWKV-7: one action,
titles shown in the list as they are done and cached, the stored titles untouched, and the action stops a run."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.ai.requests import TranslateTitlesRequest
from app.ai.results import FinishReason
from app.ai.task_prompts import TRANSLATE_PROMPT_VERSION
from app.storage import open_store
from app.ui.article_model import ROW_ROLE
from tests.support.ai_fixtures import build_library, tiny_checkpoint
from tests.ui.conftest import make_controller, select_node, wait_loaded


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def ai(qtbot, data_dir: Path, tiny: Path):
    ids = build_library(data_dir / "hearth.sqlite3")
    ctl = make_controller(data_dir, ai__model_path=str(tiny), ai__device="cpu", ai__language="zh",
                          ai__read_ahead=False)  # fmt: skip
    qtbot.addWidget(ctl.window)
    ctl.start(show=True, schedule=False)
    wait_loaded(qtbot, ctl)
    log: list[tuple] = []
    worker = ctl.ai_panel.worker
    worker.finished.connect(lambda req, request, result: log.append((req, request, result)))
    worker.failed.connect(lambda req, request, message: log.append((req, request, message)))
    select_node(qtbot, ctl, "smart", "all")
    qtbot.waitUntil(lambda: ctl.window.list_model.rowCount() == 3)
    yield ctl, ids, log
    ctl.shutdown()


def _titles(ctl) -> dict[int, str]:
    model = ctl.window.list_model
    return {model.article_id(r): model.index(r, 0).data(ROW_ROLE).title for r in range(model.rowCount())}


def test_the_action_translates_the_visible_titles_into_the_list_and_caches_them(qtbot, ai) -> None:
    ctl, ids, log = ai
    before = _titles(ctl)
    action = ctl.ai_panel.titles.action
    assert action in ctl.window.menus.tools.actions()
    action.trigger()
    req = ctl.ai_panel.titles.request
    assert req is not None and action.text() == "Stop translating titles"
    qtbot.waitUntil(lambda: any(e[0] == req for e in log), timeout=120000)
    result = next(e[2] for e in log if e[0] == req)
    assert result.finish_reason == FinishReason.STOP and result.language == "zh"
    assert {i for i, _t in result.titles} == set(before)
    shown = _titles(ctl)
    assert shown == dict(result.titles) and action.text() == "Translate list titles"
    with open_store(ctl.paths.db_path) as store:
        assert store.get_article(ids["otters"]).title == "Sea otters"  # the stored title is untouched
        model_id = ctl.ai_panel.worker.assistant.model_id()
        hit = store.get_translation(ids["otters"], "title", "zh", model_id, TRANSLATE_PROMPT_VERSION)
        assert hit is not None and hit.text == shown[ids["otters"]]
    select_node(qtbot, ctl, "feed", ids["news_feed"])  # another list: the stored titles again
    qtbot.waitUntil(lambda: _titles(ctl) == {ids["rain"]: "Rain"})


def test_the_action_stops_a_run_in_progress(qtbot, ai) -> None:
    ctl, _ids, log = ai
    titles = ctl.ai_panel.titles
    worker = ctl.ai_panel.worker
    seen: list[int] = []

    def first_title(req: int, article_id: int, _title: str) -> None:  # on the model's thread
        seen.append(article_id)
        if len(seen) == 1:
            worker.cancel("titles")

    worker.title_translated.connect(first_title, Qt.ConnectionType.DirectConnection)
    req = titles.toggle()
    qtbot.waitUntil(lambda: any(e[0] == req for e in log), timeout=120000)
    result = next(e[2] for e in log if e[0] == req)
    assert result.finish_reason == FinishReason.CANCELLED and len(result.titles) == 1 == len(seen)
    assert any(isinstance(e[1], TranslateTitlesRequest) for e in log)
    # the action itself stops a run: toggled twice, nothing is left running
    assert titles.toggle() is not None and titles.request is not None
    assert titles.toggle() is None and titles.request is None
    assert titles.action.text() == "Translate list titles"
