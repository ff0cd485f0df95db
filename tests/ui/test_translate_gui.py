"""Translate in the reader, in the real window (offscreen): through a loopback OpenAI-compatible server (scripted
answers, a hanging one for cancel) and on a tiny random RWKV-7. Block by block into the reader, the Original /
Translated toggle, the cache (no server request the second time), Stop, and a switch of article cancelling."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from app.ai.requests import TranslateRequest
from app.ai.task_prompts import TRANSLATE_PROMPT_VERSION
from app.models import Article
from app.storage import open_store
from tests.ai.openai_server import FakeModelServer
from tests.support.ai_fixtures import build_library, tiny_checkpoint
from tests.ui.conftest import make_controller, select_node, wait_loaded


def numbered_reply():
    """Each chat completion answers 译文N (N counting from 1), so the blocks can be told apart."""
    count = [0]

    def reply(_body) -> list[str]:
        count[0] += 1
        return ["译文", str(count[0])]

    return reply


@pytest.fixture
def server():
    with FakeModelServer(reply_for=numbered_reply()) as srv:
        yield srv


def start(qtbot, data_dir: Path, **settings):
    ids = build_library(data_dir / "hearth.sqlite3")
    ctl = make_controller(data_dir, ai__language="zh", **settings)
    qtbot.addWidget(ctl.window)
    ctl.start(show=True, schedule=False)
    wait_loaded(qtbot, ctl)
    return ctl, ids


def open_article(qtbot, ctl, feed_id: int, row: int = 0) -> int:
    select_node(qtbot, ctl, "feed", feed_id)
    ctl.window.select_row(row)
    qtbot.waitUntil(lambda: ctl.window.reader.article is not None)
    return ctl.window.reader.article.id


def chat_posts(srv: FakeModelServer) -> list[dict]:
    return [r for r in srv.requests if r["path"] == "/v1/chat/completions"]


def test_translation_streams_block_by_block_then_toggles_and_comes_from_the_cache(qtbot, data_dir, server):
    ctl, ids = start(qtbot, data_dir, ai__backend="openai", ai__endpoint=server.base)
    try:
        window = ctl.window
        translation = window.reader_translation
        blocks: list[int] = []
        translation.worker.translated_block.connect(lambda req, block: blocks.append(block.index))
        finished: list[tuple] = []
        translation.worker.finished.connect(lambda q, request, r: finished.append((q, request, r)))
        article_id = open_article(qtbot, ctl, ids["otters_feed"])
        assert not translation.original_action.isEnabled()  # nothing to toggle yet
        req = translation.translate()
        assert req is not None and translation.translate_action.text() == "Stop translating"
        # Wait for the test's own receiver, not for the view: two queued slots of one emission can be run in two
        # different processEvents() passes when the machine is loaded, so the view may be done before the lambda.
        qtbot.waitUntil(
            lambda: any(q == req and isinstance(request, TranslateRequest) for q, request, _r in finished),
            timeout=30000,
        )
        qtbot.waitUntil(lambda: not translation.running, timeout=30000)
        assert blocks == [0, 1]  # the article's two paragraphs, in order
        shown = window.reader.toPlainText()
        assert shown.startswith("译文1")  # the title, then each paragraph
        assert "译文2" in shown and "译文3" in shown and "Sea otters live" not in shown
        assert window.reader.article.content_html.startswith("<p>Sea otters")  # the original is kept
        assert translation.original_action.isEnabled() and not translation.original_action.isChecked()
        translation.original_action.trigger()  # Show original
        assert "Sea otters live" in window.reader.toPlainText() and window.reader.translated is None
        translation.original_action.trigger()  # back to the translation
        assert window.reader.toPlainText().startswith("译文1")
        result = next(r for q, request, r in finished if q == req and isinstance(request, TranslateRequest))
        assert not result.cached and result.finish_reason == "stop"
        with open_store(ctl.paths.db_path) as store:
            row = store.get_translation(article_id, "body", "zh", result.model_id, TRANSLATE_PROMPT_VERSION)
            assert row is not None and "译文2" in row.text and "译文3" in row.text
        posts = len(chat_posts(server))
        assert posts == 4  # the title, the first paragraph's two sentences (a short first piece), the second
        open_article(qtbot, ctl, ids["news_feed"])
        assert "Rain" in window.reader.toPlainText()
        open_article(qtbot, ctl, ids["otters_feed"])
        assert "Sea otters live" in window.reader.toPlainText()  # the original first
        translation.results.clear()  # forget the window's copy: the answer must come from the database
        translation.translate()
        qtbot.waitUntil(lambda: not translation.running, timeout=30000)
        assert window.reader.toPlainText().startswith("译文1") and "译文3" in window.reader.toPlainText()
        assert len(chat_posts(server)) == posts  # cached: the server was not asked again
    finally:
        ctl.shutdown()


def test_stop_and_switching_articles_cancel_the_translation(qtbot, data_dir) -> None:
    with FakeModelServer(hang_after=0) as srv:
        ctl, ids = start(qtbot, data_dir, ai__backend="openai", ai__endpoint=srv.base)
        try:
            window = ctl.window
            translation = window.reader_translation
            failed: list[str] = []
            translation.worker.failed.connect(lambda _r, _k, message: failed.append(message))
            open_article(qtbot, ctl, ids["otters_feed"])
            translation.translate()
            qtbot.waitUntil(lambda: len(chat_posts(srv)) == 1, timeout=30000)
            window.actions_.find.trigger()  # unrelated actions do not stop it
            assert translation.running
            translation.translate_action.trigger()  # pressing Translate again stops
            assert not translation.running and translation.translate_action.text() == "Translate"
            qtbot.waitUntil(srv.disconnected.is_set, timeout=30000)  # the socket was closed
            assert "Sea otters live" in window.reader.toPlainText()
            srv.disconnected.clear()
            translation.translate()
            qtbot.waitUntil(lambda: len(chat_posts(srv)) == 2, timeout=30000)
            open_article(qtbot, ctl, ids["news_feed"])  # another article cancels
            assert not translation.running
            qtbot.waitUntil(srv.disconnected.is_set, timeout=30000)
            assert window.reader.translated is None and "Rain" in window.reader.toPlainText()
            assert not translation.original_action.isEnabled()
            assert not failed  # a cancel is no error
        finally:
            ctl.shutdown()


def test_translate_is_in_the_article_menu_with_its_key(qtbot, data_dir, server) -> None:
    ctl, _ids = start(qtbot, data_dir, ai__backend="openai", ai__endpoint=server.base)
    try:
        menus = {a.text(): a.menu() for a in ctl.window.menuBar().actions()}
        article = [a for a in menus["&Article"].actions() if isinstance(a, QAction)]
        translation = ctl.window.reader_translation
        assert translation.translate_action in article and translation.original_action in article
        assert translation.translate_action.shortcut().toString() == "Ctrl+T"
        sheet = ctl.window.actions_.sheet_actions()  # the ? sheet lists them with their keys
        assert translation.translate_action in sheet and ctl.window.ask_action in sheet
        assert translation.translate() is None  # no article shown: nothing to do
        open_article(qtbot, ctl, _ids["news_feed"])
        ctl.window.list.setFocus()
        qtbot.keyClick(ctl.window.list, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)  # the key itself
        assert translation.running
        qtbot.waitUntil(lambda: not translation.running, timeout=30000)
        assert ctl.window.reader.toPlainText().startswith("译文")
        qtbot.keyClick(
            ctl.window.list,
            Qt.Key.Key_T,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
        assert (
            translation.original_action.isChecked() and "It rained today" in ctl.window.reader.toPlainText()
        )
    finally:
        ctl.shutdown()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("tiny"))


def test_translation_on_the_built_in_model(qtbot, data_dir, tiny) -> None:
    ctl, ids = start(qtbot, data_dir, ai__model_path=str(tiny), ai__device="cpu")
    try:
        translation = ctl.window.reader_translation
        translation.max_block_tokens = 4
        blocks: list[int] = []
        translation.worker.translated_block.connect(lambda req, block: blocks.append(block.index))
        article_id = open_article(qtbot, ctl, ids["otters_feed"])
        translation.translate()
        qtbot.waitUntil(lambda: not translation.running, timeout=120000)
        assert blocks == [0, 1]
        assert ctl.window.reader.translated is not None
        assert translation.results[article_id] == ctl.window.reader.translated
    finally:
        ctl.shutdown()


def test_the_web_reader_keeps_its_place_when_the_translation_re_renders(qtbot, tmp_path: Path) -> None:
    pytest.importorskip("PySide6.QtWebEngineWidgets", reason="QtWebEngine is not installed")
    from app.config import Settings
    from app.ui.reader_pane import ReaderPane
    from app.ui.resource_fetcher import ResourceFetcher

    fetcher = ResourceFetcher(tmp_path / "cache", Settings())
    pane = ReaderPane(fetcher)
    qtbot.addWidget(pane)
    pane.resize(480, 500)
    pane.show()
    try:
        assert pane.enable_web()
        web = pane.web
        now = datetime(2026, 6, 1, 12, tzinfo=UTC)
        body = "".join(f"<p>Paragraph {i} about sea otters and their stones.</p>" for i in range(120))
        article = Article(
            id=1, feed_id=1, guid="g", url=None, title="Otters", author="", published=now, updated=None,
            content_html=body, summary_html="", enclosures=(), first_seen=now,
        )  # fmt: skip
        with qtbot.waitSignal(web.page_loaded, timeout=15000):
            pane.show_article(article, "Feed")
        web.evaluate("window.scrollTo(0, 900)", lambda _r: None)
        qtbot.waitUntil(lambda: web.page().scrollPosition().y() >= 899, timeout=10000)
        translated = body.replace("Paragraph", "段落")
        with qtbot.waitSignal(web.page_loaded, timeout=15000):
            pane.show_translation("海獭", translated)
        qtbot.waitUntil(lambda: web.page().scrollPosition().y() >= 899, timeout=10000)
        assert pane.toPlainText().startswith("海獭\n段落 0") and pane.article.title == "Otters"
        with qtbot.waitSignal(web.page_loaded, timeout=15000):
            pane.show_original()
        qtbot.waitUntil(lambda: web.page().scrollPosition().y() >= 899, timeout=10000)
        assert pane.toPlainText().startswith("Otters\nParagraph 0")
        with qtbot.waitSignal(web.page_loaded, timeout=15000):
            pane.show_article(article, "Feed")  # a newly chosen article starts at the top
        answers: list[float] = []
        web.evaluate("window.scrollY", answers.append)  # runs after any scroll-back queued at the load
        qtbot.waitUntil(lambda: bool(answers), timeout=10000)
        assert answers == [0]
    finally:
        fetcher.close()


def test_a_failing_server_is_reported_and_nothing_is_cached(qtbot, data_dir) -> None:
    with FakeModelServer(status=500, error="the model crashed") as srv:
        ctl, ids = start(qtbot, data_dir, ai__backend="openai", ai__endpoint=srv.base)
        try:
            window = ctl.window
            translation = window.reader_translation
            open_article(qtbot, ctl, ids["otters_feed"])
            translation.translate()
            qtbot.waitUntil(lambda: not translation.running, timeout=30000)
            assert window.status_label.text().startswith("Could not translate:")
            assert "the model crashed" in window.status_label.text()
            assert translation.results == {} and window.reader.translated is None
            assert translation.translate_action.text() == "Translate"
        finally:
            ctl.shutdown()


def test_the_block_being_written_streams_into_the_web_reader(qtbot, data_dir) -> None:
    def reply(body) -> list[str]:  # the title whole, then a paragraph that stops after one piece
        text = "".join(m["content"] for m in body["messages"])
        return ["海獭"] if "Sea otters live" not in text else ["正在翻译", "不会到这里", "也不会"]

    with FakeModelServer(reply_for=reply, hang_after=1) as srv:
        ctl, ids = start(qtbot, data_dir, ai__backend="openai", ai__endpoint=srv.base)
        try:
            window = ctl.window
            qtbot.waitUntil(lambda: window.reader.web is not None, timeout=30000)
            translation = window.reader_translation
            open_article(qtbot, ctl, ids["otters_feed"])
            translation.translate()
            web = window.reader.web
            seen: list[str] = []

            def page_text(wanted: str) -> bool:
                web.evaluate("document.body ? document.body.innerText : ''", seen.append)
                return any(wanted in text for text in seen[-3:])

            def settled() -> bool:  # the last render has loaded and none is due
                return web.loaded and not translation._paint_timer.isActive()

            qtbot.waitUntil(
                lambda: settled() and page_text("正在翻译"), timeout=30000
            )  # before the block is done
            assert translation.running and not translation._done
            assert any("海獭" in text and "Otters keep warm" in text for text in seen)  # title, rest original
            loads = []
            web.page_loaded.connect(loads.append)
            # the worker's next batch of the same block (its batcher holds the last piece until more come)
            translation.worker.text_arrived.emit(translation.request, "中")
            qtbot.waitUntil(lambda: page_text("正在翻译中"), timeout=30000)
            assert loads == []  # updated in place, not re-rendered
            translation.stop()
            qtbot.waitUntil(srv.disconnected.is_set, timeout=30000)
        finally:
            ctl.shutdown()
