"""`hearth translate|ask|brief`: AI over the library from the terminal (translations stream block by block, answers
cite their sources, briefings link back to each article)."""

from __future__ import annotations

import argparse
import threading
from typing import TYPE_CHECKING

from app.commands.ai import _assistant
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
