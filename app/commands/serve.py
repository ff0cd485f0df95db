"""`hearth serve [--port 1200] [--host 127.0.0.1]`: the local feed server, until Ctrl-C."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.cli import Context


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "serve", help="serve every feed as RSS/Atom/JSON on 127.0.0.1 (RSSHub-compatible source paths)"
    )
    parser.add_argument("--port", type=int, help="port (default: the server.port setting, 1200)")
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address (default 127.0.0.1)")
    parser.set_defaults(func=cmd_serve)


def cmd_serve(ctx: Context, args: argparse.Namespace) -> int:
    from app.server import FeedServer

    server = FeedServer(ctx.paths, ctx.settings, host=args.host, port=args.port)
    server.start()
    key = " (add ?key=… : server.access_key is set)" if ctx.settings.get("server.access_key") else ""
    ctx.print(f"Hearth feed server on {server.base_url}/ {key}— Ctrl-C stops it")
    server.serve_forever()
    return 0
