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
from functools import cached_property
from typing import TYPE_CHECKING, Any

from app import __version__
from app.config import Paths, Settings, resolve_paths
from app.errors import HearthError, StorageError

if TYPE_CHECKING:
    from app.storage import Store

COMMAND_MODULES = ("library", "fetch", "opml", "configure", "model", "cookies", "serve", "ai", "ai_library")


class Context:
    """What every command gets: where the data lives, the settings, and the store (opened on first use)."""

    def __init__(self, paths: Paths, *, out: Any = None, err: Any = None) -> None:
        self.paths = paths
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    @cached_property
    def settings(self) -> Settings:
        return Settings.load(self.paths.settings_path)

    @cached_property
    def store(self) -> Store:
        from app.storage import open_store

        try:
            self.paths.ensure()
        except OSError as exc:  # a read-only or full disk: say so instead of a traceback
            raise StorageError(
                f"cannot use Hearth's data folder {self.paths.data_dir}: {exc.strerror or exc}",
                hint="make it writable (and free some space), or choose another with --data-dir / HEARTH_DATA_DIR",
            ) from None
        return open_store(self.paths.db_path)

    def print(self, *parts: object, sep: str = " ", end: str = "\n") -> None:
        print(*parts, sep=sep, end=end, file=self.out, flush=True)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.__dict__["store"].close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hearth",
        description="Hearth: a feed reader that fetches everything itself. With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"hearth {__version__}")
    parser.add_argument(
        "--data-dir", help="where Hearth keeps its data (default: $HEARTH_DATA_DIR, else the user data dir)"
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"app.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"app.commands.{name}":
                continue  # that command group is not built yet
            raise
        module.register(sub)
    return parser


def run(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    paths = resolve_paths(args.data_dir)
    func: Callable[[Context, argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        return start_gui(paths, argv)
    ctx = Context(paths)
    try:
        return func(ctx, args) or 0
    except HearthError as exc:
        print(f"hearth: {exc.user_message()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("hearth: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        ctx.close()


def start_gui(paths: Paths, argv: list[str]) -> int:
    try:
        from app.ui.application import run_app
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("app.ui"):
            build_parser().print_help()
            return 0
        raise
    return run_app(paths, argv)
