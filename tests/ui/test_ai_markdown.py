"""AI output as Markdown in the real AI panel (offscreen, no model needed): the worker's own signals carry
the text in, the summary and the chat render it with HTML disabled, end reasons read as notes, the summary
box grows with its text, and the status line never outlives the article it was about."""

from __future__ import annotations

from PySide6.QtGui import QTextDocument

from app.ai.requests import ChatAskRequest, SummarizeRequest
from app.ai.results import FinishReason, Reply, ReplyKind
from app.ui.markdown_view import end_note, markdown_html, markdown_plain

HOSTILE = "<img src=x onerror=alert(1)> <b>bold?</b> [click](javascript:alert(1)) <script>x()</script>"


def panel_of(ctl):
    ctl.window.set_side_panel_visible(True)
    ctl.window.resize(1400, 900)
    ctl.window.select_row(0)
    panel = ctl.ai_panel
    assert panel is not None and panel.article is not None
    return panel


def stream_summary(panel, chunks: list[str], req: int = 9001) -> None:
    panel._summary_req = req  # as summarise() would have set it; the text arrives on the worker's signal
    for chunk in chunks:
        panel.worker.text_arrived.emit(req, chunk)


def test_markdown_renders_and_never_passes_html_through() -> None:
    out = markdown_html(
        "# Otters\n\n- fish\n- **crabs**\n\n```\ncode\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    assert "<h1>Otters</h1>" in out and "<li><strong>crabs</strong></li>" in out
    assert "<pre><code>code" in out and "<table>" in out and "<td>1</td>" in out
    hostile = markdown_html(HOSTILE)
    assert "<img" not in hostile and "<script" not in hostile and "<b>" not in hostile
    assert 'href="javascript' not in hostile and "&lt;img" in hostile
    assert end_note("length") == "cut at the length limit" and end_note("cancelled") == "stopped"


def test_streamed_summary_shows_as_markdown(qtbot, controller) -> None:
    panel = panel_of(controller)
    stream_summary(panel, ["# Main", " points\n\n", "- first\n", "- **second**\n"])
    shown = panel.summary_view.toPlainText()
    assert "#" not in shown and "**" not in shown and shown.startswith("Main points")
    doc = panel.summary_view.document()
    items = [b.text().strip() for b in _blocks(doc) if b.textList() is not None]
    assert items == ["first", "second"]
    assert panel.summary_text == "# Main points\n\n- first\n- **second**\n"  # the source, for Copy


def test_model_output_cannot_inject_markup(qtbot, controller) -> None:
    panel = panel_of(controller)
    stream_summary(panel, [HOSTILE])
    assert "<img src=x" in panel.summary_view.toPlainText()  # shown as text
    assert "<img" not in panel.summary_view.toHtml() and "javascript" not in _anchors(panel.summary_view)
    panel._chat_req = 9002
    panel._chat_items.append(("ai", ""))
    panel.worker.text_arrived.emit(9002, HOSTILE)
    assert "<img src=x" in panel.chat_view.toPlainText() and "<img" not in panel.chat_view.toHtml()


def reply_ending(reason: FinishReason) -> Reply:
    return Reply(ReplyKind.CHAT, "", reason, 0, 0)


def test_chat_notes_replace_raw_finish_tags(qtbot, controller) -> None:
    panel = panel_of(controller)
    panel.input.setText("What do otters eat?")
    panel._chat_items.append(("user", "You: What do otters eat?"))
    panel._chat_items.append(("ai", ""))
    panel._chat_req = 9003
    panel.worker.text_arrived.emit(9003, "Mostly **fish** and")
    ask = ChatAskRequest(panel.article.id, "What do otters eat?")
    panel.worker.finished.emit(9003, ask, reply_ending(FinishReason.LENGTH))
    text = panel.chat_view.toPlainText()
    assert "[length]" not in text and "cut at the length limit" in text
    assert "You: What do otters eat?" in text and "Mostly fish and" in text and "**" not in text
    panel._chat_items.append(("ai", ""))
    panel._chat_req = 9004
    panel.worker.text_arrived.emit(9004, "Crabs")
    panel.worker.finished.emit(9004, ask, reply_ending(FinishReason.CANCELLED))
    text = panel.chat_view.toPlainText()
    assert "[cancelled]" not in text and text.rstrip().endswith("stopped")
    panel._chat_req = 9005
    panel.worker.finished.emit(9005, ask, reply_ending(FinishReason.EOS))
    assert panel.chat_view.toPlainText() == text  # a normal end adds no note


def test_chat_transcript_survives_switching_articles(qtbot, controller) -> None:
    panel = panel_of(controller)
    first = panel.article.id
    panel._chat_items[:] = [("user", "You: hi"), ("ai", "# Hello")]
    panel._render_chat()
    controller.window.select_row(1)
    qtbot.waitUntil(lambda: panel.article is not None and panel.article.id != first)
    assert panel.chat_view.toPlainText() == ""
    controller.window.select_row(0)
    qtbot.waitUntil(lambda: panel.article is not None and panel.article.id == first)
    assert "Hello" in panel.chat_view.toPlainText() and "#" not in panel.chat_view.toPlainText()


def test_summary_box_grows_with_its_text(qtbot, controller) -> None:
    panel = panel_of(controller)
    stream_summary(panel, ["One line."])
    short = panel.summary_view.height()
    stream_summary(panel, ["\n\n" + "\n\n".join(f"Point {n} of a long summary." for n in range(12))])
    qtbot.waitUntil(lambda: panel.summary_view.height() > short)
    assert panel.summary_view.height() <= int(panel.height() * 0.6) + 1
    panel.set_article(None)
    qtbot.waitUntil(lambda: panel.summary_view.height() == short)


def test_status_is_cleared_when_the_article_changes(qtbot, controller) -> None:
    panel = panel_of(controller)
    first = panel.article.id
    panel._summary_req = 9006
    panel.worker.failed.emit(9006, SummarizeRequest(first), "the model file is missing")
    assert panel.status.text().startswith("⚠")
    controller.window.select_row(1)
    qtbot.waitUntil(lambda: panel.article is not None and panel.article.id != first)
    assert panel.status.text() == ""


def test_markdown_plain_matches_what_the_view_shows(qtbot, controller) -> None:
    panel = panel_of(controller)
    stream_summary(panel, ["*a* `b`\n\n1. c"])
    assert panel.summary_view.toPlainText() == markdown_plain("*a* `b`\n\n1. c")


def _blocks(doc: QTextDocument):
    block = doc.begin()
    while block.isValid():
        yield block
        block = block.next()


def _anchors(view) -> str:
    return " ".join(
        fmt.anchorHref()
        for block in _blocks(view.document())
        for fmt in (r.format for r in block.textFormats())
        if fmt.isAnchor()
    )
