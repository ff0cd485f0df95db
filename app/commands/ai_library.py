"""`hearth translate|ask|brief`: AI over the library from the terminal (translations stream block by block, answers
cite their sources, briefings link back to each article)."""

from __future__ import annotations

import argparse
import threading
from typing import TYPE_CHECKING

from app.commands.ai import _assistant, _stream
from app.storage.text import html_to_text

if TYPE_CHECKING:
    from app.ai.translate import TranslatedBlock
    from app.cli import Context


def register(sub: argparse._SubParsersAction) -> None:
    tr = sub.add_parser("translate", help="translate an article into your language (cached)")
    tr.add_argument("article_id", type=int)
    tr.add_argument(
        "--to", dest="language", help="language code or name (default: ai.language, else the system's)"
    )
    tr.add_argument("--refresh", action="store_true", help="translate again even if a translation is cached")
    tr.set_defaults(func=cmd_translate)

    ask = sub.add_parser("ask", help="ask your library: an answer with numbered citations of your articles")
    ask.add_argument("question")
    ask.add_argument(
        "--scope", default="all",
        help="all, starred, unread, feed:ID, folder:ID, since:YYYY-MM-DD, until:YYYY-MM-DD, days:N (comma-joined)",
    )  # fmt: skip
    ask.add_argument("--sources", type=int, default=5, help="at most this many articles (default 5)")
    ask.set_defaults(func=cmd_ask)


def cmd_translate(ctx: Context, args: argparse.Namespace) -> int:
    assistant = _assistant(ctx)
    translator = assistant.translator()
    cancel = threading.Event()
    streamed: list[bool] = []

    def on_title(title: str) -> None:
        ctx.print(f"# {title}\n")

    def on_block(block: TranslatedBlock) -> None:
        streamed.append(True)
        ctx.print("\n")

    def on_text(piece: str) -> None:
        ctx.print(piece, end="")

    try:
        result = translator.translate_article(
            args.article_id, language=args.language, refresh=args.refresh, on_title=on_title,
            on_text=on_text, on_block=on_block, cancel=cancel,
        )  # fmt: skip
    except KeyboardInterrupt:
        cancel.set()
        raise
    if result.cached:
        ctx.print(html_to_text(result.html))
    note = "from cache" if result.cached else f"{result.blocks_done} of {result.blocks_total} blocks"
    ctx.err.write(f"[{result.language}; {note}; model {result.model_id}]\n")
    return 0


def cmd_ask(ctx: Context, args: argparse.Namespace) -> int:
    assistant = _assistant(ctx)
    cancel = threading.Event()
    try:
        result = assistant.ask(
            args.question, args.scope, limit=args.sources, on_text=_stream(ctx), cancel=cancel
        )
    except KeyboardInterrupt:
        cancel.set()
        raise
    ctx.print("")
    if result.sources:
        ctx.print("\nSources:")
        for source in result.sources:
            url = f" {source.url}" if source.url else ""
            mark = "" if source.cited else " (not cited)"
            ctx.print(f"  [{source.number}] {source.title}{url} <{source.link}>{mark}")
    first = f"; first text after {result.first_text_s:.2f}s" if result.first_text_s is not None else ""
    ctx.err.write(f"[{result.finish_reason}; {len(result.sources)} sources{first}]\n")
    return 0
