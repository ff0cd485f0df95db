"""The daily briefing in the real window (offscreen) with a tiny random RWKV-7: due at ai.briefing_time, made in
the background once a day (the last run remembered in the database), a tray notification whose click opens it,
and its article links opening the article."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl

from app.ai.requests import BriefRequest
from app.ai.results import BriefingResult
from app.ui.briefing_view import LAST_RUN, briefing_html
from tests.support.ai_fixtures import build_library, tiny_checkpoint
from tests.ui.conftest import make_controller, wait_loaded


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def ai(qtbot, data_dir: Path, tiny: Path):
    ids = build_library(data_dir / "hearth.sqlite3")
    ctl = make_controller(data_dir, ai__model_path=str(tiny), ai__device="cpu", ai__max_tokens=6,
                          ai__read_ahead=False, ai__briefing_time="07:30")  # fmt: skip
    qtbot.addWidget(ctl.window)
    ctl.start(show=True, schedule=False)
    wait_loaded(qtbot, ctl)
    ctl.ai_panel.worker.background_gap_s = 0.0
    log: list[tuple] = []
    ctl.ai_panel.worker.finished.connect(lambda req, request, result: log.append((req, request, result)))
    yield ctl, ids, log
    ctl.shutdown()


def test_the_briefing_runs_once_a_day_at_its_time_and_the_notification_opens_it(qtbot, ai) -> None:
    ctl, ids, log = ai
    scheduler = ctl.ai_panel.briefing
    ctl.tray_available = True  # the notification is shown (offscreen: nowhere to see it)
    today = datetime.now().astimezone().replace(hour=7, minute=0, second=0, microsecond=0)
    assert scheduler.check(today) is None  # 07:00: not yet
    req = scheduler.check(today.replace(hour=8))
    assert req is not None
    qtbot.waitUntil(lambda: any(e[0] == req for e in log), timeout=120000)
    result = next(e[2] for e in log if e[0] == req)
    assert isinstance(result, BriefingResult) and result.text and len(result.items) == 3
    assert ctl.tray.last_kind == "briefing"
    assert ctl.db.wait_idle() and ctl.store.app_state(LAST_RUN) is not None
    assert scheduler.check(today.replace(hour=9)) is None  # once a day
    ctl.tray.message_clicked.emit()
    dialog = scheduler.dialog
    assert dialog is not None and dialog.isVisible()
    page = dialog.view.toHtml()
    for item in result.items:
        assert f"hearth://article/{item.article_id}" in page and item.title in dialog.view.toPlainText()
    dialog._on_anchor(QUrl(f"hearth://article/{ids['rain']}"))
    assert ctl.window.reader.article.id == ids["rain"]
    tomorrow = today + timedelta(days=1, minutes=31)
    assert scheduler.check(tomorrow) is not None  # the next day at 07:31: due again


def test_the_tools_action_opens_a_briefing_made_on_demand(qtbot, ai) -> None:
    ctl, _ids, log = ai
    scheduler = ctl.ai_panel.briefing
    action = next(a for a in ctl.window.menus.tools.actions() if a.text() == "Daily briefing")
    action.trigger()
    assert scheduler.dialog is None and scheduler.request is not None
    # the dialog and the log hear of the result from the same signal, each in its own slot
    qtbot.waitUntil(
        lambda: scheduler.dialog is not None and any(isinstance(e[1], BriefRequest) for e in log),
        timeout=120000,
    )
    assert scheduler.dialog.isVisible()
    assert "hearth://article/" in briefing_html(scheduler.result)


def test_no_time_means_no_briefing(qtbot, ai) -> None:
    ctl, _ids, _log = ai
    ctl.settings.set("ai.briefing_time", "")
    assert ctl.ai_panel.briefing.check(datetime.now().astimezone().replace(hour=23)) is None
    ctl.settings.set("ai.briefing_time", "25:99x")  # a bad time is logged, never raised into the event loop
    assert ctl.ai_panel.briefing.check() is None


def test_after_shutdown_no_timer_reads_the_closed_store(qtbot, data_dir: Path, tiny: Path) -> None:
    """The controller object outlives shutdown (tests, the tray's second window): its repeating checks must stop
    with it, or a check a minute later reads a closed database (this broke every later test of a full run)."""
    build_library(data_dir / "hearth.sqlite3")
    ctl = make_controller(data_dir, ai__model_path=str(tiny), ai__device="cpu", ai__briefing_time="07:30")
    qtbot.addWidget(ctl.window)
    ctl.start(show=True, schedule=False)
    wait_loaded(qtbot, ctl)
    scheduler, bar = ctl.ai_panel.briefing, ctl.ai_panel.read_ahead
    assert scheduler is not None and scheduler.timer.isActive() and bar is not None
    ctl.shutdown()
    assert not scheduler.timer.isActive() and not bar._battery_timer.isActive()
    late = datetime.now().astimezone().replace(hour=23, minute=0)
    assert scheduler.check(late) is None  # due, but closed: nothing read, nothing started
