"""`hearth translate|ask|brief`: AI over the library from the terminal (translations stream block by block, answers
cite their sources, briefings link back to each article)."""

from __future__ import annotations

import argparse
import threading
from typing import TYPE_CHECKING

from app.commands.ai import _assistant, _stream
from app.errors import HearthError
from app.i18n import _, ngettext
from app.text import html_to_text

if TYPE_CHECKING:
    from app.ai.translate import TranslatedBlock
    from app.commands.context import Context
    from app.storage.ai_rules import FeedRules


def register(sub: argparse._SubParsersAction) -> None:
    tr = sub.add_parser("translate", help=_("translate an article into your language (cached)"))
    tr.add_argument("article_id", type=int)
    tr.add_argument(
        "--to", dest="language", help=_("language code or name (default: ai.language, else the system's)")
    )
    tr.add_argument(
        "--refresh", action="store_true", help=_("translate again even if a translation is cached")
    )
    tr.set_defaults(func=cmd_translate)

    ask = sub.add_parser(
        "ask", help=_("ask your library: an answer with numbered citations of your articles")
    )
    ask.add_argument("question")
    ask.add_argument(
        "--scope", default="all",
        help=_("all, starred, unread, feed:ID, folder:ID, since:YYYY-MM-DD, until:YYYY-MM-DD, days:N (comma-joined)"),
    )  # fmt: skip
    ask.add_argument("--sources", type=int, default=5, help=_("at most this many articles (default 5)"))
    ask.set_defaults(func=cmd_ask)

    brief = sub.add_parser("brief", help=_("a briefing of the last day's articles of a scope (cached)"))
    brief.add_argument("--scope", default="all", help=_("as for ask: all, starred, feed:ID, folder:ID ..."))
    brief.add_argument("--since", help=_("YYYY-MM-DD[THH:MM] (default: 24 hours ago)"))
    brief.add_argument("--refresh", action="store_true", help=_("write it again even if one is cached"))
    brief.set_defaults(func=cmd_brief)

    rules = sub.add_parser(
        "ai-rules", help=_("show or set a feed's AI rules, or run them on its unread articles")
    )
    rules.add_argument("feed_id", type=int, nargs="?", help=_("the feed (none: list every feed with rules)"))
    for name in ("summarize", "translate"):
        rules.add_argument(
            f"--{name}", choices=("on", "off"), help=f"{name} its new articles in the background"
        )
    rules.add_argument("--language", help=_("translate into this language (default: ai.language)"))
    rules.add_argument(
        "--run", action="store_true", help=_("apply the rules to the feed's unread articles now")
    )
    rules.add_argument(
        "--cap", type=int, help=_("at most this many model runs (default: ai.rules_per_refresh)")
    )
    rules.set_defaults(func=cmd_ai_rules)


def cmd_translate(ctx: Context, args: argparse.Namespace) -> int:
    assistant = _assistant(ctx)
    translator = assistant.translator()
    cancel = threading.Event()
    streamed: list[bool] = []

    title: list[str | None] = [None]  # the title so far (it streams), printed before the body's first text

    def on_title(text: str) -> None:
        title[0] = text

    def print_title() -> None:
        if title[0] is not None:
            ctx.print(f"# {title[0]}\n")
            title[0] = None

    def on_block(block: TranslatedBlock) -> None:
        print_title()
        streamed.append(True)
        ctx.print("\n")

    def on_text(piece: str) -> None:
        print_title()
        ctx.print(piece, end="")

    try:
        result = translator.translate_article(
            args.article_id, language=args.language, refresh=args.refresh, on_title=on_title,
            on_text=on_text, on_block=on_block, cancel=cancel,
        )  # fmt: skip
    except KeyboardInterrupt:
        cancel.set()
        raise
    print_title()
    if result.cached:
        ctx.print(html_to_text(result.html))
    if result.cached:
        note = _("from cache")
    else:
        note = _("{done} of {total} blocks").format(done=result.blocks_done, total=result.blocks_total)
    ctx.err.write(
        _("[{language}; {note}; model {model}]").format(
            language=result.language, note=note, model=result.model_id
        )
        + "\n"
    )
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
        ctx.print("\n" + _("Sources:"))
        for source in result.sources:
            url = f" {source.url}" if source.url else ""
            mark = "" if source.cited else " (not cited)"
            ctx.print(f"  [{source.number}] {source.title}{url} <{source.link}>{mark}")
    first = f"; first text after {result.first_text_s:.2f}s" if result.first_text_s is not None else ""
    ctx.err.write(f"[{result.finish_reason}; {len(result.sources)} sources{first}]\n")
    return 0


def cmd_brief(ctx: Context, args: argparse.Namespace) -> int:
    from datetime import datetime

    assistant = _assistant(ctx)
    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since).astimezone()
        except ValueError:
            raise HearthError(
                f"--since {args.since!r} is not a date", hint="e.g. 2026-12-01 or 2026-12-01T07:00"
            ) from None
    result = assistant.briefing(args.scope, since=since, refresh=args.refresh, on_text=_stream(ctx))
    ctx.print("")
    if result.items:
        ctx.print("\n" + _("Articles:"))
        for number, item in enumerate(result.items, 1):
            ctx.print(f"  [{number}] {item.title}" + (f" {item.url}" if item.url else "") + f" <{item.link}>")
    ctx.err.write(
        f"[{_('from cache') if result.cached else result.finish_reason}; "
        + ngettext("{n} article", "{n} articles", len(result.items)).format(n=len(result.items))
        + "]\n"
    )
    return 0


def cmd_ai_rules(ctx: Context, args: argparse.Namespace) -> int:
    from app.ai.languages import normalise_language
    from app.storage.ai_rules import FeedRules

    store = ctx.store
    if args.feed_id is None:
        for rules in store.all_feed_rules().values():
            ctx.print(_describe(store.get_feed(rules.feed_id).title, rules))
        return 0
    rules = store.feed_rules(args.feed_id)
    feed = store.get_feed(args.feed_id)
    if args.summarize or args.translate or args.language is not None:
        rules = FeedRules(
            args.feed_id,
            rules.summarize if args.summarize is None else args.summarize == "on",
            rules.translate if args.translate is None else args.translate == "on",
            rules.language
            if args.language is None
            else (normalise_language(args.language) if args.language else ""),
        )
        store.set_feed_rules(rules)
    ctx.print(_describe(feed.title, rules))
    if args.run:
        from app.ai.rules import run_feed_rules
        from app.models import ArticleQuery

        ids = store.query_ids(ArticleQuery(feed_ids=(args.feed_id,), unread_only=True))
        outcome = run_feed_rules(_assistant(ctx), args.feed_id, ids, cap=args.cap)
        ctx.print(
            _("summarised {summarised}, translated {translated}, left for later {later}").format(
                summarised=len(outcome.summarized),
                translated=len(outcome.translated),
                later=len(outcome.left_for_later),
            )
        )
        for error in outcome.errors:
            ctx.err.write(f"! {error}\n")
    return 0


def _describe(title: str, rules: FeedRules) -> str:
    on = [name for name, flag in (("summarize", rules.summarize), ("translate", rules.translate)) if flag]
    lang = f" into {rules.language}" if rules.translate and rules.language else ""
    return f"{rules.feed_id}\t{title}: {', '.join(on) or 'no rules'}{lang}"
