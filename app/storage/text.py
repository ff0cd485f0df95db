"""Text helpers for storage: the form the search index sees, safe FTS5 queries, item hashes.

The plain text of an article's HTML is `app.text.html_to_text`, the same for search, the AI and export.

Chinese and Japanese are written without spaces, and SQLite's unicode61 tokenizer would make a whole
sentence one token; so both the indexed text and the query put a space around every CJK character and
a CJK word is searched as a phrase of characters ("中文" -> the phrase "中 文"), an exact substring match.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from app.models import ParsedItem

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006"
_CJK_CHAR = re.compile(f"([{_CJK}])")


def index_text(text: str) -> str:
    """`text` as the search index stores it: every CJK character a token of its own."""
    return _CJK_CHAR.sub(r" \1 ", text) if _CJK_CHAR.search(text) else text


def fts_query(text: str) -> str | None:
    """A user's raw search text as a safe FTS5 query, or None when it holds nothing searchable.

    Words are ANDed; "quoted words" form a phrase; a trailing * makes a prefix search. Every piece is
    passed as a quoted FTS5 string, so operators, stray quotes and brackets never raise a syntax error.
    """
    parts = text.replace("\x00", " ").split('"')  # FTS5's parser stops a string at NUL
    balanced = len(parts) % 2 == 1
    phrases: list[str] = []
    for index, part in enumerate(parts):
        pieces = [part] if balanced and index % 2 == 1 else part.split()
        for piece in pieces:
            prefix = piece.endswith("*") and not (balanced and index % 2 == 1)
            piece = piece.strip().rstrip("*")
            # a piece with no letter or digit has no token, and an empty phrase would match nothing
            if any(ch.isalnum() for ch in piece):
                phrases.append(_phrase(piece) + ("*" if prefix else ""))
    return " AND ".join(phrases) if phrases else None


def _phrase(words: str) -> str:
    return '"' + " ".join(index_text(words).split()).replace('"', '""') + '"'


def item_hash(item: ParsedItem) -> bytes:
    """A digest of everything stored from an item, to skip unchanged items without comparing columns."""
    digest = hashlib.blake2b(digest_size=16)
    for value in _hashed_fields(item):
        digest.update(value.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.digest()


def _hashed_fields(item: ParsedItem) -> Sequence[str]:
    enclosures = "\x01".join(f"{e.url}\x02{e.type}\x02{e.length}" for e in item.enclosures)
    return (
        item.title,
        item.url or "",
        item.author or "",
        item.published.isoformat() if item.published else "",
        item.updated.isoformat() if item.updated else "",
        item.content_html,
        item.summary_html,
        enclosures,
    )
