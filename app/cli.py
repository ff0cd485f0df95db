"""The `hearth` command line: global options, dispatch to `app.commands.*`, one-line errors.

Each module in `app/commands/` exposes `register(subparsers)` and sets `func(ctx, args) -> int`
on its parsers. With no subcommand, `hearth` starts the desktop app.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable

from app import __version__
from app.commands.context import Context, Windows
from app.config import resolve_paths
from app.errors import HearthError
from app.i18n import _
from app.language import choose_cli_language

__all__ = ["Context", "Windows", "build_parser", "run"]

COMMAND_MODULES = ("library", "fetch", "opml", "configure", "model", "cookies", "serve", "ai", "ai_library")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hearth",
        description=_(
            "Hearth: a feed reader that fetches everything itself. With no command, opens the window."
        ),
    )
    parser.add_argument("--version", action="version", version=f"hearth {__version__}")
    parser.add_argument(
        "--data-dir",
        help=_("where Hearth keeps its data (default: $HEARTH_DATA_DIR, else the user data dir)"),
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help=_("more logging on stderr"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"app.commands.{name}").register(sub)
    return parser


def run(argv: list[str], *, windows: Windows | None = None) -> int:
    """Run `hearth ARGV`; `windows` (from app.__main__) opens the desktop app and the sign-in window,
    so this module never imports the UI. Without it, `hearth` with no command prints this help."""
    choose_cli_language(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    paths = resolve_paths(args.data_dir)
    func: Callable[[Context, argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        if windows is None:
            parser.print_help()
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
