"""Plain text of HTML, the one form every reader of an article's text sees: the search index, the AI,
export and the CLI. Blocks become paragraphs (a blank line apart), whitespace collapses, an image
counts as its alt text, and scripts, styles and the head vanish."""

from __future__ import annotations

import html as htmllib
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # lxml loads with the first HTML to read (every store opening imports this module)
    from lxml import etree

_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "details", "div", "dl", "dt", "figcaption",
        "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre",
        "section", "summary", "table", "tr", "ul",
    }
)  # fmt: skip
_SKIP_TAGS = frozenset({"script", "style", "template", "head", "title", "noscript"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_MARKUP_HINT = re.compile(r"<[a-zA-Z!/]|&#?\w+;")


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: blocks become lines, whitespace collapses, scripts and styles vanish."""
    if not html or not html.strip():
        return ""
    if not _MARKUP_HINT.search(html):
        return _tidy(html)
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return _tidy(htmllib.unescape(re.sub(r"<[^>]*>", " ", html)))
    pieces: list[str] = [root.text or ""]
    _collect_text(root, pieces)
    return _tidy("".join(pieces))


def _collect_text(element: etree._Element, pieces: list[str]) -> None:
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in _SKIP_TAGS:
            pass
        elif tag:
            block = tag in _BLOCK_TAGS
            if block:
                pieces.append("\n")
            if tag == "img" and child.get("alt"):
                pieces.append(child.get("alt", ""))
            if child.text:
                pieces.append(child.text)
            _collect_text(child, pieces)
            if block:
                pieces.append("\n")
            elif tag in ("td", "th"):
                pieces.append(" ")
        if child.tail:
            pieces.append(child.tail)


def _tidy(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
