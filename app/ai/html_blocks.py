"""An article's HTML as a sequence of kept markup and translatable text runs, so a translation can replace the
text paragraph by paragraph while headings, lists, images, code and tables' structure stay exactly as they were.

A text run is the text between two block boundaries (a block tag, <br>, an image); inline tags inside a run
(links, emphasis) are flattened into it, because a sentence has to be translated whole. <pre>, <code> blocks,
<script>/<style> and <svg> are kept verbatim.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser


def _tags(text: str) -> frozenset[str]:
    return frozenset(text.split())


BLOCK_TAGS = _tags(
    "address article aside blockquote body caption dd details dialog div dl dt fieldset figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hgroup hr html li main nav ol p section summary table tbody td tfoot th "
    "thead tr ul"
)
KEPT_TAGS = _tags("img video audio source track iframe embed object picture input hr wbr")
VERBATIM_TAGS = _tags("pre script style svg math textarea")
VOID_TAGS = _tags("area base br col embed hr img input link meta param source track wbr")
HEADINGS = _tags("h1 h2 h3 h4 h5 h6")


@dataclass
class Run:
    """Translatable text: `text` is the source with whitespace collapsed, `kind` the block it sits in."""

    text: str
    kind: str  # "heading", "item" (list item), "caption", "paragraph"


Piece = str | Run  # a str is markup (and untranslatable text) kept as it is


def split_blocks(source: str) -> list[Piece]:
    """The pieces of `source`; joining them with each Run's html-escaped text gives the document back (up to
    inline tags and whitespace)."""
    parser = _BlockParser()
    parser.feed(source)
    parser.close()
    parser.flush()
    return _merge(parser.pieces)


def render(pieces: list[Piece], translated: dict[int, str] | None = None) -> str:
    """HTML with each Run (numbered in order from 0) replaced by its translation when there is one."""
    out: list[str] = []
    number = 0
    for piece in pieces:
        if isinstance(piece, Run):
            text = (translated or {}).get(number, piece.text)
            out.append(html.escape(text, quote=False).replace("\n", "<br>"))
            number += 1
        else:
            out.append(piece)
    return "".join(out)


def runs(pieces: list[Piece]) -> list[Run]:
    return [piece for piece in pieces if isinstance(piece, Run)]


# --- long runs in pieces of whole sentences ----------------------------------------------------------------
CJK_ENDS = frozenset("。！？")
LATIN_ENDS = frozenset(".!?")
CLOSERS = frozenset("\"'”’」』）)]")


def sentences(text: str) -> list[str]:
    """`text` cut after each sentence end (CJK 。！？ anywhere; Latin . ! ? before a space or the end, with the
    quotes and brackets that close it), each part keeping its trailing spaces: joined they give `text` back."""
    out: list[str] = []
    start, i, n = 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch not in CJK_ENDS and ch not in LATIN_ENDS:
            i += 1
            continue
        j = i + 1
        while j < n and (text[j] in CJK_ENDS or text[j] in LATIN_ENDS or text[j] in CLOSERS):
            j += 1
        if ch in CJK_ENDS or j == n or text[j].isspace():
            while j < n and text[j].isspace():
                j += 1
            out.append(text[start:j])
            start = j
        i = j
    if start < n:
        out.append(text[start:])
    return out


def sentence_pieces(
    text: str, count: Callable[[str], int], limit: int, first_limit: int | None = None
) -> list[str]:
    """`text` in pieces of whole sentences of at most `limit` tokens each (`first_limit` for the first piece), as
    counted by `count`; a sentence longer than the limit is a piece of its own. Short text is one piece."""
    first_limit = limit if first_limit is None else first_limit
    if count(text) <= first_limit:
        return [text]
    pieces: list[str] = []
    current, used = "", 0
    for sentence in sentences(text):
        size = count(sentence)
        cap = first_limit if not pieces else limit
        if current and used + size > cap:
            pieces.append(current.strip())
            current, used = "", 0
        current += sentence
        used += size
    if current.strip():
        pieces.append(current.strip())
    return pieces


class _BlockParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[Piece] = []
        self._text: list[str] = []
        self._stack: list[str] = []  # open block tags, for the kind of a run
        self._verbatim: list[str] = []  # open verbatim tags (nesting of the same name)

    # text runs ------------------------------------------------------------------------------------
    def flush(self) -> None:
        raw = "".join(self._text)
        self._text = []
        text = " ".join(raw.split())
        if text:
            self.pieces.append(Run(text, self._kind()))
        elif raw:
            self.pieces.append(html.escape(raw, quote=False))

    def _kind(self) -> str:
        for tag in reversed(self._stack):
            if tag in HEADINGS:
                return "heading"
            if tag in ("li", "dt", "dd"):
                return "item"
            if tag in ("figcaption", "caption"):
                return "caption"
        return "paragraph"

    # parser callbacks -----------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        markup = _start(tag, attrs)
        if self._verbatim:
            self.pieces.append(markup)
            if tag == self._verbatim[-1] and tag not in VOID_TAGS:
                self._verbatim.append(tag)
            return
        if tag in VERBATIM_TAGS:
            self.flush()
            self.pieces.append(markup)
            self._verbatim.append(tag)
        elif tag in BLOCK_TAGS or tag in KEPT_TAGS or tag == "br":
            self.flush()
            self.pieces.append(markup)
            if tag in BLOCK_TAGS and tag not in VOID_TAGS:
                self._stack.append(tag)
        # inline tags are flattened into the run

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._verbatim:
            self.pieces.append(_start(tag, attrs, close=True))
        elif tag in BLOCK_TAGS or tag in KEPT_TAGS or tag == "br":
            self.flush()
            self.pieces.append(_start(tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        if self._verbatim:
            if tag == self._verbatim[-1]:
                self._verbatim.pop()
            self.pieces.append(f"</{tag}>")
            return
        if tag in BLOCK_TAGS and tag not in VOID_TAGS:
            self.flush()
            self.pieces.append(f"</{tag}>")
            if tag in self._stack:
                while self._stack and self._stack.pop() != tag:
                    pass
        elif tag in KEPT_TAGS and tag not in VOID_TAGS:
            self.flush()
            self.pieces.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self._verbatim:
            self.pieces.append(html.escape(data, quote=False))
        else:
            self._text.append(data)

    def handle_comment(self, data: str) -> None:
        pass  # comments are dropped


def _start(tag: str, attrs: list[tuple[str, str | None]], *, close: bool = False) -> str:
    parts = [tag]
    for name, value in attrs:
        parts.append(name if value is None else f'{name}="{html.escape(value, quote=True)}"')
    return "<" + " ".join(parts) + (" />" if close else ">")


def _merge(pieces: list[Piece]) -> list[Piece]:
    """Adjacent markup strings joined into one (fewer pieces, same output)."""
    merged: list[Piece] = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged
