"""The `hearth` command line: global options, dispatch to `app.commands.*`, one-line errors.

Each module in `app/commands/` exposes `register(subparsers)` and sets `func(ctx, args) -> int`
on its parsers. With no subcommand, `hearth` starts the desktop app.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Iterable
from typing import NoReturn

from app import __version__
from app.commands.context import Context, Windows
from app.config import resolve_paths
from app.errors import HearthError
from app.i18n import _
from app.language import choose_cli_language

__all__ = ["Context", "Windows", "add_global_options", "build_parser", "parse_plain_launch", "run"]

COMMAND_MODULES = ("library", "fetch", "opml", "configure", "model", "cookies", "serve", "ai", "ai_library")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hearth",
        description=_(
            "Hearth: a feed reader that fetches everything itself. With no command, opens the window."
        ),
    )
    parser.add_argument("--version", action="version", version=f"hearth {__version__}")
    add_global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"app.commands.{name}").register(sub)
    return parser


def add_global_options(parser: argparse.ArgumentParser) -> None:
    """The options before any command (--version aside: it acts as it is read, so only the full parser has it)."""
    parser.add_argument(
        "--data-dir",
        help=_("where Hearth keeps its data (default: $HEARTH_DATA_DIR, else the user data dir)"),
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help=_("more logging on stderr"))


class _NotPlain(Exception):
    pass


class _LeanParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _NotPlain(message)


def parse_plain_launch(
    argv: list[str], more: Iterable[Callable[[argparse.ArgumentParser], None]] = ()
) -> argparse.Namespace | None:
    """`argv` of a plain `hearth` (the window: global options, and those `more` adds, only), parsed without
    importing every command module to build the full parser (~60 ms of the launch). None when `argv` names a
    command, asks for help or has a mistake: then the full parser reads it (and prints its help or error)."""
    parser = _LeanParser(prog="hearth", add_help=False)
    add_global_options(parser)
    for add in more:
        add(parser)
    try:
        args, rest = parser.parse_known_args(argv)
    except _NotPlain:
        return None
    if rest:
        return None
    args.command = None
    args.func = None
    return args


def run(argv: list[str], *, windows: Windows | None = None) -> int:
    """Run `hearth ARGV`; `windows` (from app.__main__) opens the desktop app and the sign-in window,
    so this module never imports the UI. Without it, `hearth` with no command prints this help."""
    choose_cli_language(argv)
    parser: argparse.ArgumentParser | None = None
    args = parse_plain_launch(argv)
    if args is None:
        parser = build_parser()
        args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    paths = resolve_paths(args.data_dir)
    func: Callable[[Context, argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        if windows is None:
            (parser or build_parser()).print_help()
            return 0
        return windows.start(paths, argv)
    ctx = Context(paths, windows=windows)
    try:
        return func(ctx, args) or 0
    except HearthError as exc:
        print(f"hearth: {exc.user_message()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(_("hearth: interrupted"), file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        ctx.close()
