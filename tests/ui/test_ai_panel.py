"""The AI panel in the real window (offscreen) with a tiny random RWKV-7: streamed and cached summaries, Stop,
chat follow-ups on the cached state, pre-emption, errors, GUI responsiveness, digest links, auto-summaries."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer, QUrl

from app.ai.prompts import PROMPT_VERSION
from app.ai.requests import ChatContinueRequest, ChatRegenerateRequest, LoadModelRequest, SummarizeRequest
from app.fetching.report import FeedOutcome
from app.storage import open_store
from app.ui.ai_mount import auto_summarise
from app.ui.markdown_view import markdown_plain
from tests.support.ai_fixtures import ForwardCounter, build_library, tiny_checkpoint
from tests.ui.conftest import make_controller, select_node, wait_loaded


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def ai(qtbot, data_dir: Path, tiny: Path):
    ids = build_library(data_dir / "hearth.sqlite3")
    # no read-ahead (tests/ui/test_ai_read_ahead.py): it starts generations of its own once the model is idle
    ctl = make_controller(
        data_dir, ai__model_path=str(tiny), ai__device="cpu", ai__max_tokens=6, ai__read_ahead=False
    )
    qtbot.addWidget(ctl.window)
    ctl.start(show=True, schedule=False)
    wait_loaded(qtbot, ctl)
    events: dict[str, list] = {"started": [], "text": [], "finished": [], "failed": []}
    worker = ctl.ai_panel.worker
    worker.started.connect(lambda req, request: events["started"].append((req, request)))
    worker.text_arrived.connect(lambda req, text: events["text"].append((req, text)))
    worker.finished.connect(lambda req, request, result: events["finished"].append((req, request, result)))
    worker.failed.connect(lambda req, request, message: events["failed"].append((req, request, message)))
    yield ctl, ctl.ai_panel, ids, events
    ctl.shutdown()


def open_article(qtbot, ctl, feed_id: int, row: int = 0) -> None:
    select_node(qtbot, ctl, "feed", feed_id)
    ctl.window.select_row(row)
    qtbot.waitUntil(
        lambda: ctl.ai_panel.article is not None and ctl.ai_panel.article.id == ctl.window.reader.article.id
    )


def done(events, req: int) -> bool:
    return any(e[0] == req for e in events["finished"] + events["failed"])


def result_of(events, req: int):
    return next(e[2] for e in events["finished"] if e[0] == req)


def test_summary_streams_then_shows_instantly_from_the_cache(qtbot, ai) -> None:
    ctl, panel, ids, events = ai
    open_article(qtbot, ctl, ids["otters_feed"])
    article_id = panel.article.id
    assert panel.summary_view.toPlainText() == ""
    qtbot.mouseClick(panel.summarise_button, Qt.MouseButton.LeftButton)
    req = panel._summary_req
    qtbot.waitUntil(lambda: done(events, req), timeout=60000)
    assert [e for e in events["text"] if e[0] == req], "the summary streamed in"
    assert panel.summary_view.toPlainText() == markdown_plain(panel.summary_text) and panel.summary_text
    assert panel.status.text() == "Summary saved"
    with open_store(ctl.paths.db_path) as store:
        model_id = result_of(events, req).model_id
        assert store.get_summary(article_id, model_id, PROMPT_VERSION).text == panel.summary_text
    saved = panel.summary_text
    open_article(qtbot, ctl, ids["news_feed"])
    assert panel.summary_view.toPlainText() == ""
    started = len(events["started"])
    open_article(qtbot, ctl, ids["otters_feed"])
    assert panel.summary_view.toPlainText() == markdown_plain(saved)  # shown at once on selection
    qtbot.mouseClick(panel.summarise_button, Qt.MouseButton.LeftButton)
    qtbot.wait(100)
    assert panel.summary_view.toPlainText() == markdown_plain(saved)
    assert len(events["started"]) == started  # no generation


def test_stop_ends_the_run_and_nothing_reaches_the_view_after_it(qtbot, ai) -> None:
    ctl, panel, ids, events = ai
    ctl.settings.set("ai.max_tokens", 400)
    open_article(qtbot, ctl, ids["otters_feed"])
    qtbot.mouseClick(panel.summarise_button, Qt.MouseButton.LeftButton)
    req = panel._summary_req
    qtbot.waitUntil(lambda: any(e[0] == req for e in events["text"]), timeout=60000)
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    shown_at_stop = panel.summary_view.toPlainText()
    assert panel.status.text() == "Stopped"  # acknowledged at once, on the click
    qtbot.waitUntil(lambda: done(events, req), timeout=60000)
    qtbot.waitUntil(lambda: not panel.worker.busy(), timeout=60000)
    result = result_of(events, req)
    assert result.finish_reason == "cancelled"
    # ordering, not time: the worker may still deliver the token it was decoding and its buffered
    # text, but the view shows exactly what it showed when Stop was pressed
    order = [e for e in events["text"] + events["finished"] if e[0] == req]
    assert order[-1] in events["finished"]  # no text for the request after it finished
    assert panel.summary_view.toPlainText() == shown_at_stop == markdown_plain(panel.summary_text)
    assert shown_at_stop  # it had streamed something before the Stop
    assert panel.status.text() == "Stopped"
    with open_store(ctl.paths.db_path) as store:  # a cancelled summary is not saved
        assert store.get_summary(panel.article.id, result.model_id, PROMPT_VERSION) is None


def test_chat_follow_up_reuses_the_article_state(qtbot, ai) -> None:
    ctl, panel, ids, events = ai
    opened: list = []
    panel.worker.chat_opened.connect(lambda _aid, facts: opened.append(facts))
    open_article(qtbot, ctl, ids["otters_feed"])
    panel.input.setText("What do otters eat?")
    qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
    first = panel._chat_req
    qtbot.waitUntil(lambda: done(events, first), timeout=60000)
    assert opened and opened[0].tokens > 50 and opened[0].from_cache == ""
    assert "You: What do otters eat?" in panel.chat_view.toPlainText()
    counter = ForwardCounter(panel.worker.assistant.model)
    try:
        panel.temperature.setValue(0.7)
        panel.input.setText("And why?")
        qtbot.mouseClick(panel.send_button, Qt.MouseButton.LeftButton)
        second = panel._chat_req
        qtbot.waitUntil(lambda: done(events, second), timeout=60000)
        reply = result_of(events, second)
        assert counter.sizes[0] == reply.prompt_tokens < opened[0].tokens  # only the question was read
        assert max(counter.sizes) < opened[0].tokens and len(opened) == 1
        for kind, button in (
            (ChatRegenerateRequest, panel.regen_button),
            (ChatContinueRequest, panel.continue_button),
        ):
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
            req = panel._chat_req
            qtbot.waitUntil(lambda req=req: done(events, req), timeout=60000)
            assert any(e[0] == req and isinstance(e[1], kind) for e in events["finished"] + events["failed"])
        assert max(counter.sizes) < opened[0].tokens
    finally:
        counter.restore()
    qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)
    assert panel.chat_view.toPlainText() == ""


def test_a_second_request_pre_empts_the_first(qtbot, ai) -> None:
    ctl, panel, ids, events = ai
    ctl.settings.set("ai.max_tokens", 400)
    open_article(qtbot, ctl, ids["otters_feed"])
    panel.input.setText("Tell me everything")
    panel.send()
    first = panel._chat_req
    qtbot.waitUntil(lambda: any(e[0] == first for e in events["text"]), timeout=60000)
    ctl.settings.set("ai.max_tokens", 4)
    panel.mode.setCurrentIndex(1)  # instruction mode
    panel.input.setText("Translate to French")
    panel.send()
    second = panel._chat_req
    qtbot.waitUntil(lambda: done(events, first) and done(events, second), timeout=60000)
    assert result_of(events, first).finish_reason == "cancelled"
    assert result_of(events, second).kind == "instruct"


def test_broken_model_shows_an_error_and_the_app_stays_usable(qtbot, ai, tmp_path: Path, tiny: Path) -> None:
    ctl, panel, ids, events = ai
    broken = tmp_path / "broken.pth"
    broken.write_bytes(b"\x00not a model" * 64)
    ctl.settings.set("ai.model_path", str(broken))
    open_article(qtbot, ctl, ids["otters_feed"])
    qtbot.mouseClick(panel.summarise_button, Qt.MouseButton.LeftButton)
    req = panel._summary_req
    qtbot.waitUntil(lambda: done(events, req), timeout=60000)
    assert events["failed"] and panel.status.text().startswith("⚠")
    assert "Traceback" not in panel.status.text()
    open_article(qtbot, ctl, ids["news_feed"])  # the reader still works
    assert ctl.window.reader.article.title == "Rain"
    ctl.settings.set("ai.model_path", str(tiny))
    qtbot.mouseClick(panel.summarise_button, Qt.MouseButton.LeftButton)
    req = panel._summary_req
    qtbot.waitUntil(lambda: done(events, req), timeout=60000)
    assert result_of(events, req).text and panel.status.text() == "Summary saved"


def test_generation_runs_off_the_gui_thread_and_streams_while_the_gui_keeps_running(qtbot, ai) -> None:
    """Behaviour, not milliseconds (the stall figures are in tests/bench/bench_gui_latency.py): no
    forward pass runs on the GUI thread, and GUI timers fire between streamed pieces of the summary."""
    ctl, panel, ids, events = ai
    load = panel.worker.submit(LoadModelRequest(), "load")
    qtbot.waitUntil(lambda: done(events, load), timeout=60000)
    ctl.settings.set("ai.max_tokens", 200)
    open_article(qtbot, ctl, ids["otters_feed"])
    forward_threads: list[int] = []
    model = panel.worker.assistant.model
    inner = model.forward

    def forward(tokens, state=None, **kwargs):  # type: ignore[no-untyped-def]
        forward_threads.append(threading.get_ident())
        return inner(tokens, state, **kwargs)

    model.forward = forward
    timeline: list[str] = []  # what the GUI thread handled, in order
    probe = QTimer(interval=5)
    probe.timeout.connect(lambda: timeline.append("tick"))
    panel.worker.text_arrived.connect(lambda req, text: timeline.append("text"))
    try:
        qtbot.mouseClick(panel.summarise_button, Qt.MouseButton.LeftButton)
        req = panel._summary_req
        probe.start()
        qtbot.waitUntil(lambda: done(events, req), timeout=60000)
        probe.stop()
    finally:
        probe.stop()
        model.__dict__.pop("forward", None)
    assert forward_threads and threading.get_ident() not in forward_threads
    texts = [i for i, what in enumerate(timeline) if what == "text"]
    assert texts, "the summary streamed in"
    # the GUI thread ran its own timer while the summary was being generated, not just after it
    assert "tick" in timeline[: texts[-1]], timeline


def test_digest_links_select_the_article(qtbot, ai) -> None:
    ctl, panel, ids, events = ai
    select_node(qtbot, ctl, "folder", ids["folder"])
    qtbot.mouseClick(panel.digest_button, Qt.MouseButton.LeftButton)
    req = panel._summary_req
    qtbot.waitUntil(lambda: done(events, req), timeout=60000)
    result = result_of(events, req)
    assert sorted(i.article_id for i in result.items) == sorted([ids["otters"], ids["long"]])
    assert f"hearth://article/{ids['long']}" in panel.summary_view.toHtml()
    panel._on_anchor(QUrl(f"hearth://article/{ids['rain']}"))  # not in this folder: the list switches to All
    assert ctl.window.reader.article.id == ids["rain"]


def test_auto_summaries_run_in_the_background_only_for_chosen_feeds(qtbot, ai) -> None:
    ctl, panel, ids, events = ai
    panel.worker.background_gap_s = 0.0
    outcome = FeedOutcome(ids["news_feed"], "News", "u", "updated", new_articles=1)
    auto_summarise(panel, outcome)  # not chosen: nothing happens
    open_article(qtbot, ctl, ids["otters_feed"])
    panel.auto_box.setChecked(True)
    assert ctl.db.wait_idle() and ctl.store.feed_rules(ids["otters_feed"]).summarize  # the feed's own rule
    ctl.db.wait_idle()  # opening the article marked it read; new articles arrive unread
    with open_store(ctl.paths.db_path) as store:
        store.mark_read([ids["otters"], ids["long"]], read=False)
    auto_summarise(panel, FeedOutcome(ids["otters_feed"], "Otters", "u", "updated", new_articles=2))
    qtbot.waitUntil(
        lambda: sum(1 for e in events["finished"] if isinstance(e[1], SummarizeRequest)) >= 2, timeout=60000
    )
    assert not any(isinstance(e[1], SummarizeRequest) and e[2] is not None and e[2].article_id == ids["rain"]
                   for e in events["finished"])  # fmt: skip
    assert panel.cached_summary(ids["otters"]) and panel.cached_summary(ids["long"])


def test_tools_menu_opens_the_model_manager(qtbot, ai) -> None:
    ctl, panel, _ids, _events = ai
    tools = next(a.menu() for a in ctl.window.menuBar().actions() if a.text() == "&Tools")
    action = next(a for a in tools.actions() if a.text() == "AI models…")
    action.trigger()
    qtbot.waitUntil(lambda: getattr(panel, "_model_manager", None) is not None, timeout=5000)
    assert panel._model_manager.isVisible()
    panel._model_manager.close()


def test_the_panel_starts_hidden_toggles_and_is_remembered(qtbot, ai) -> None:
    ctl, panel, _ids, _events = ai
    w = ctl.window
    assert not panel.isVisible() and not w.side_panel_action.isChecked()
    reader_before = w.reader.width()
    w.side_panel_action.trigger()
    qtbot.waitUntil(panel.isVisible)
    assert w.side_panels.width() >= 300 and w.reader.width() < reader_before
    w.save_layout()
    again = make_controller(ctl.paths.data_dir, ai__model_path=str(ctl.settings.get("ai.model_path")))
    qtbot.addWidget(again.window)
    try:
        assert again.window.side_panel_action is None  # the panel is built after the first paint
        assert again.ai_panel is not None  # or when asked for
        assert again.window.side_panel_action.isChecked()
        again.window.side_panel_action.trigger()
        assert not again.window.side_panels.isVisible()
    finally:
        again.shutdown()


def test_the_panel_is_built_after_the_first_paint_with_the_article_already_open(
    qtbot, data_dir: Path, tiny: Path
) -> None:
    """The launch paints without the AI panel (its imports cost ~0.25 s); built later, it shows the article
    the reader already has, and the layout's saved panel width applies to it."""
    ids = build_library(data_dir / "hearth.sqlite3")
    ctl = make_controller(data_dir, ai__model_path=str(tiny), ai__device="cpu")
    qtbot.addWidget(ctl.window)
    try:
        w = ctl.window
        w.reload_library()
        wait_loaded(qtbot, ctl)
        select_node(qtbot, ctl, "feed", ids["otters_feed"])
        w.select_row(0)
        qtbot.waitUntil(lambda: w.reader.article is not None)
        assert w.side_panels is None  # not painted yet: no panel
        ctl.start(show=True, schedule=False)
        qtbot.waitUntil(lambda: w.side_panels is not None, timeout=5000)  # built once the window painted
        panel = ctl.ai_panel
        assert panel.article is not None and panel.article.id == w.reader.article.id
    finally:
        ctl.shutdown()
