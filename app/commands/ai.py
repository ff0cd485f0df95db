"""`hearth summarize|digest|chat`: the local AI on articles from the terminal (torch loads only when a verb runs
and needs the model: a cached summary prints without it).

`hearth chat ARTICLE_ID` is a console in the manner of ChatRWKV's: type a question, or a command:
/reset /regen /continue /temp X /topp X /free PROMPT /instruct TEXT /quit.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.config import Key
from app.errors import HearthError, ModelError
from app.i18n import _, lazy_gettext

if TYPE_CHECKING:
    from app.ai.assistant import Assistant
    from app.ai.chat import ChatSession, Reply
    from app.commands.context import Context

CHAT_HELP = lazy_gettext(
    "Ask about the article, or: /reset (forget the chat), /regen (answer again), /continue (more of the last "
    "answer), /temp X, /topp X (sampling for the next answers), /free PROMPT (free generation), "
    "/instruct TEXT (instruction mode), /quit"
)


def register(sub: argparse._SubParsersAction) -> None:
    summ = sub.add_parser("summarize", help=_("summarise an article with the local model (cached)"))
    summ.add_argument("article_id", type=int)
    summ.add_argument("--refresh", action="store_true", help=_("generate again even if a summary is cached"))
    summ.set_defaults(func=cmd_summarize)

    dig = sub.add_parser("digest", help=_("one briefing over the unread articles of a feed or folder"))
    dig.add_argument("scope", help=_("FEED_ID, folder:ID or unread"))
    dig.set_defaults(func=cmd_digest)

    chat = sub.add_parser("chat", help=_("chat about an article in the terminal (/help for commands)"))
    chat.add_argument("article_id", type=int)
    chat.set_defaults(func=cmd_chat)


def _assistant(ctx: Context) -> Assistant:
    if not ctx.settings.get(Key.AI_ENABLED):
        raise ModelError("local AI is switched off", hint="`hearth config set ai.enabled true`")
    return ctx.library.assistant()


def _stream(ctx: Context) -> Callable[[str], None]:
    """Print streamed text as it comes, without the space the model puts after "Assistant:"."""
    started = [False]

    def emit(piece: str) -> None:
        if not started[0]:
            piece = piece.lstrip()
            started[0] = bool(piece)
        ctx.print(piece, end="")

    return emit


def cmd_summarize(ctx: Context, args: argparse.Namespace) -> int:
    assistant = _assistant(ctx)
    article = ctx.store.get_article(args.article_id)
    ctx.print(f"# {article.title or _('(untitled)')}")
    cancel = threading.Event()
    try:
        result = assistant.summarize(article, refresh=args.refresh, on_text=_stream(ctx), cancel=cancel)
    except KeyboardInterrupt:
        cancel.set()
        raise
    ctx.print("")
    notes = [_("from cache") if result.cached else result.finish_reason]
    if result.cut_to is not None:
        notes.append(_("article cut to {n} tokens").format(n=result.cut_to))
    ctx.err.write(
        _("[{notes}; model {model}]").format(notes=_(", ").join(notes), model=result.model_id) + "\n"
    )
    return 0


def cmd_digest(ctx: Context, args: argparse.Namespace) -> int:
    assistant = _assistant(ctx)
    ids = assistant.digest_ids(args.scope)
    result = assistant.digest(ids, on_text=_stream(ctx))
    if not result.items:
        ctx.print(result.text)
        return 0
    ctx.print("\n\n" + _("Articles:"))
    for number, item in enumerate(result.items, 1):
        ctx.print(f"  {number}. {item.title} <{item.link}>" + (f" {item.url}" if item.url else ""))
    return 0


def cmd_chat(ctx: Context, args: argparse.Namespace) -> int:
    assistant = _assistant(ctx)
    article = ctx.store.get_article(args.article_id)
    ctx.print(_("Reading “{title}”…").format(title=article.title or _("(untitled)")))
    chat = assistant.article_chat(article)
    assert chat is not None  # no cancel flag was given
    cut = _(", cut to {n} tokens").format(n=chat.cut_to) if chat.cut_to is not None else ""
    source = _(" (state from the {cache} cache)").format(cache=chat.from_cache) if chat.from_cache else ""
    ctx.print(
        _("Article read: {n} tokens{cut}{source}. {help}").format(
            n=chat.context_tokens, cut=cut, source=source, help=CHAT_HELP
        )
    )
    console = ChatConsole(ctx, chat)
    for line in sys.stdin:
        if not console.handle(line.rstrip("\n")):
            break
    return 0


class ChatConsole:
    """One line in, one action out: a question, or a /command."""

    def __init__(self, ctx: Context, chat: ChatSession) -> None:
        self.ctx = ctx
        self.chat = chat
        self.temperature: float | None = None
        self.top_p: float | None = None

    def handle(self, line: str) -> bool:
        """False when the user asked to quit."""
        line = line.strip()
        if not line:
            return True
        command, _sep, rest = line.partition(" ") if line.startswith("/") else ("", "", line)
        try:
            return self._dispatch(command, rest.strip())
        except HearthError as exc:
            self.ctx.print(f"! {exc.user_message()}")
        except ValueError as exc:
            self.ctx.print(f"! {exc}")
        return True

    def _dispatch(self, command: str, rest: str) -> bool:
        chat, out = self.chat, self._answer_stream()
        sampling = {"temperature": self.temperature, "top_p": self.top_p}
        if command in ("/quit", "/exit", "/q"):
            return False
        if command == "/help":
            self.ctx.print(CHAT_HELP)
        elif command == "/reset":
            chat.reset()
            self.ctx.print(_("(chat reset; the article is still read)"))
        elif command == "/temp":
            self.temperature = _number(rest, 0.0, 5.0, "/temp")
            self.ctx.print(_("(temperature {value})").format(value=self.temperature))
        elif command == "/topp":
            self.top_p = _number(rest, 0.0, 1.0, "/topp")
            self.ctx.print(_("(top-p {value})").format(value=self.top_p))
        elif command == "/regen":
            self._show(chat.regenerate(on_text=out, **sampling))
        elif command == "/continue":
            self._show(chat.continue_(on_text=out))
        elif command == "/free":
            self._show(chat.free(rest.replace("\\n", "\n"), on_text=out, **sampling))
        elif command == "/instruct":
            self._show(chat.instruct(rest, on_text=out, **sampling))
        elif command:
            self.ctx.print(_("! unknown command {command}. {help}").format(command=command, help=CHAT_HELP))
        else:
            self._show(chat.ask(rest, on_text=out, **sampling))
        return True

    def _answer_stream(self) -> Callable[[str], None]:
        started = [False]

        def emit(piece: str) -> None:
            if not started[0]:
                started[0] = True
                self.ctx.print(_("Assistant:"), end="")
            self.ctx.print(piece, end="")

        return emit

    def _show(self, reply: Reply) -> None:
        note = "" if reply.finish_reason == "stop" else f" [{reply.finish_reason}]"
        self.ctx.print(note)


def _number(text: str, low: float, high: float, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} needs a number, e.g. {name} 0.7") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}")
    return value
