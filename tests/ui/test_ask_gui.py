"""Ask your library in the real window (offscreen), answered by a loopback OpenAI-compatible server: the scope
follows the tree's selection, the sources are listed before the answer streams, a cited source's link selects its
article, nothing found says so without asking the server, and Stop closes the server's stream."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl

from app.ui.ask_dialog import AskDialog, ask_scope
from tests.ai.openai_server import FakeModelServer
from tests.support.ai_fixtures import build_library
from tests.ui.conftest import make_controller, select_node, wait_loaded


def start(qtbot, data_dir: Path, srv: FakeModelServer):
    ids = build_library(data_dir / "hearth.sqlite3")
    ctl = make_controller(data_dir, ai__backend="openai", ai__endpoint=srv.base)
    qtbot.addWidget(ctl.window)
    ctl.start(show=True, schedule=False)
    wait_loaded(qtbot, ctl)
    return ctl, ids


def posts(srv: FakeModelServer) -> list[dict]:
    return [r for r in srv.requests if r["path"] == "/v1/chat/completions"]


def open_dialog(qtbot, ctl) -> AskDialog:
    ctl.window.ask_action.trigger()
    dialog = ctl.window.dialogs.ask
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def test_answer_streams_with_cited_sources_that_open_the_article(qtbot, data_dir) -> None:
    pieces = ["Otters", " use", " stones", " to", " open", " shells", " [1]", "."]
    with FakeModelServer(pieces=pieces) as srv:
        ctl, ids = start(qtbot, data_dir, srv)
        try:
            select_node(qtbot, ctl, "folder", ids["folder"])
            dialog = open_dialog(qtbot, ctl)
            assert dialog.scope == (f"folder:{ids['folder']}", "Nature")
            texts: list[str] = []
            order: list[str] = []
            dialog.worker.sources_found.connect(lambda *_a: order.append("sources"))
            dialog.worker.text_arrived.connect(lambda req, text: texts.append(text) or order.append("text"))
            dialog.question.setText("How do otters open shells with stones?")
            req = dialog.ask()
            qtbot.waitUntil(lambda: dialog.request is None, timeout=30000)
            assert req is not None and order[0] == "sources" and "text" in order
            assert dialog.answer.toPlainText() == "Otters use stones to open shells [1]."
            assert "".join(texts).strip() == dialog.answer.toPlainText()
            assert [s.article_id for s in dialog.sources] and {s.article_id for s in dialog.sources} <= {
                ids["otters"],
                ids["long"],
            }  # only the folder's articles
            first = dialog.sources[0]
            assert first.number == 1 and first.cited
            assert first.title in dialog.sources_view.toPlainText()
            assert dialog.status.text().endswith("1 cited")
            prompt = posts(srv)[-1]["body"]["messages"]
            assert "How do otters open shells" in "".join(m["content"] for m in prompt)
            select_node(qtbot, ctl, "feed", ids["news_feed"])  # elsewhere in the window
            dialog.sources_view.anchorClicked.emit(QUrl(first.link))
            qtbot.waitUntil(lambda: ctl.window.reader.article is not None)
            assert ctl.window.reader.article.id == first.article_id
        finally:
            ctl.shutdown()


def test_nothing_found_asks_no_model_and_stop_closes_the_stream(qtbot, data_dir) -> None:
    with FakeModelServer(hang_after=1) as srv:
        ctl, ids = start(qtbot, data_dir, srv)
        try:
            select_node(qtbot, ctl, "feed", ids["news_feed"])
            dialog = open_dialog(qtbot, ctl)
            assert dialog.scope == (f"feed:{ids['news_feed']}", "News")
            dialog.question.setText("otters")  # the News feed has only rain
            dialog.ask()
            qtbot.waitUntil(lambda: dialog.request is None, timeout=30000)
            assert dialog.answer.toPlainText() == "I found nothing in your library about that."
            assert "Nothing relevant found" in dialog.status.text() and not dialog.sources
            assert posts(srv) == []
            dialog.question.setText("")
            assert dialog.ask() is None and dialog.status.text() == "Type a question first."
            dialog.close()
            select_node(qtbot, ctl, "smart", "all")
            dialog = open_dialog(qtbot, ctl)
            assert dialog.scope == ("all", "everything")
            dialog.question.setText("sea otters")
            dialog.ask()
            qtbot.waitUntil(lambda: srv.first_piece_sent.is_set(), timeout=30000)
            qtbot.waitUntil(lambda: dialog.answer_text != "", timeout=30000)
            dialog.stop_button.click()
            assert dialog.request is None and dialog.status.text() == "Stopped"
            qtbot.waitUntil(srv.disconnected.is_set, timeout=30000)
        finally:
            ctl.shutdown()


def test_scope_of_each_tree_row(qtbot, data_dir) -> None:
    with FakeModelServer() as srv:
        ctl, _ids = start(qtbot, data_dir, srv)
        try:
            model = ctl.window.tree_model
            assert ask_scope(model.node(model.index_of("smart", "starred"))) == ("starred", "Starred")
            assert ask_scope(model.node(model.index_of("smart", "today")))[0] == "all"
            assert ask_scope(None) == ("all", "everything")
            assert ctl.window.ask_action.shortcut().toString() == "Ctrl+Shift+L"
        finally:
            ctl.shutdown()
