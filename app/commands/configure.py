"""`hearth config get|set|list`: the one settings file in the data dir."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from app.i18n import _

if TYPE_CHECKING:
    from app.commands.context import Context


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("config", help=_("read and change settings"))
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    get = verbs.add_parser("get", help=_("print one setting"))
    get.add_argument("key")
    get.set_defaults(func=cmd_get)
    put = verbs.add_parser("set", help=_("change one setting"))
    put.add_argument("key")
    put.add_argument("value")
    put.set_defaults(func=cmd_set)
    lst = verbs.add_parser("list", help=_("every setting with its value and help"))
    lst.set_defaults(func=cmd_list)


def cmd_get(ctx: Context, args: argparse.Namespace) -> int:
    ctx.print(_show(ctx.settings.get(args.key)))
    return 0


def cmd_set(ctx: Context, args: argparse.Namespace) -> int:
    value = ctx.settings.set_text(args.key, args.value)
    ctx.settings.save()
    ctx.print(f"{args.key} = {_show(value)}")
    return 0


def cmd_list(ctx: Context, args: argparse.Namespace) -> int:
    for spec, value in ctx.settings.items():
        ctx.print(f"{spec.key} = {_show(value)}    # {_(spec.help)}")
    return 0


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
