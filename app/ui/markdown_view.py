"""Model output as Markdown: rendered to HTML with raw HTML disabled, so a model can never inject markup.

markdown-it-py (CommonMark, plus tables and strikethrough) escapes every `<` it does not produce itself
and refuses `javascript:`, `vbscript:`, `file:` and `data:` links; QTextBrowser then shows the result.
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import TYPE_CHECKING

from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QFrame, QTextBrowser

from app.ai.results import FinishReason
from app.i18n import lazy_gettext

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
# why generation ended, as a short note for the reader instead of a raw "[length]" tag
END_NOTES = {
    FinishReason.LENGTH: lazy_gettext("cut at the length limit"),
    FinishReason.CANCELLED: lazy_gettext("stopped"),
}
NOTE_STYLE = "color: #888888; font-size: small; font-style: italic;"
# headings sized for a side panel, not a page; code set apart from prose
PANEL_CSS = (
    "h1 { font-size: x-large; } h2 { font-size: large; } h3, h4, h5, h6 { font-size: medium; }"
    " pre, code { font-family: monospace; } table { border-collapse: collapse; }"
    " th, td { border: 1px solid #888888; padding: 2px 4px; }"
)


@lru_cache(maxsize=256)  # a streamed chat re-renders every earlier reply on each token: those hit
def markdown_html(text: str) -> str:
    """`text` (Markdown from a model) as safe HTML: any HTML in it is shown as text, never interpreted."""
    return _parser().render(text or "")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    """Made on the first model output (markdown-it is ~4 MB: not loaded while the window starts)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


def markdown_plain(text: str) -> str:
    """What a QTextBrowser shows (its plain text) for `text` rendered as Markdown."""
    doc = QTextDocument()
    doc.setHtml(markdown_html(text))
    return doc.toPlainText()


def end_note(reason: FinishReason | str) -> str:
    """The reader's words for a finish reason (LENGTH -> "cut at the length limit")."""
    return str(END_NOTES.get(reason, reason.replace("_", " ")))


def note_html(text: str) -> str:
    return f"<p style='{NOTE_STYLE}'>— {html.escape(text)}</p>"


def prepare_view(view: QTextBrowser) -> None:
    """Style `view` for rendered Markdown (call once, before any setHtml)."""
    view.document().setDefaultStyleSheet(PANEL_CSS)


def fit_to_content(view: QTextBrowser, minimum: int, maximum: int) -> int:
    """Give `view` the height of its document (between `minimum` and `maximum` px); returns that height."""
    doc_height = int(view.document().size().height())
    frame = 2 * view.frameWidth() if view.frameShape() != QFrame.Shape.NoFrame else 0
    margins = view.contentsMargins().top() + view.contentsMargins().bottom()
    height = max(minimum, min(maximum, doc_height + frame + margins + 4))
    view.setFixedHeight(height)
    return height
