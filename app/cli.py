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
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from app import __version__
from app.config import Paths, Settings, resolve_paths
from app.errors import HearthError
from app.i18n import _
from app.language import choose_cli_language
from app.library import Library

if TYPE_CHECKING:
    from app.storage import Store

COMMAND_MODULES = ("library", "fetch", "opml", "configure", "model", "cookies", "serve", "ai", "ai_library")


@dataclass(frozen=True)
class Windows:
    """What only the desktop app can do, handed in by the entry point (app.__main__)."""

    start: Callable[[Paths, list[str]], int]  # the desktop app; returns its exit code
    sign_in: Callable[[Paths, Settings, str], bool]  # a sign-in window for a site; True once signed in


class Context:
    """What every command gets: where the data lives, and the `Library` over it (opened on first use)."""

    def __init__(
        self, paths: Paths, *, out: Any = None, err: Any = None, windows: Windows | None = None
    ) -> None:
        self.paths = paths
        self.windows = windows
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    @cached_property
    def library(self) -> Library:
        return Library(self.paths)

    @property
    def settings(self) -> Settings:
        return self.library.settings

    @property
    def store(self) -> Store:
        return self.library.store

    def print(self, *parts: object, sep: str = " ", end: str = "\n") -> None:
        print(*parts, sep=sep, end=end, file=self.out, flush=True)

    def close(self) -> None:
        if "library" in self.__dict__:
            self.__dict__["library"].close()


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
