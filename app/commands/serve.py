"""`hearth serve [--port 1200] [--host 127.0.0.1]`: the local feed server, until Ctrl-C or SIGTERM.

Ctrl-C (SIGINT) exits with 130 like every command. A shell starts background jobs (`hearth serve &`
in a script) with SIGINT ignored and Python then never installs its handler, so such a server can
only be stopped cleanly by SIGTERM (what `kill`, systemd and service managers send): that exits 0.
"""

from __future__ import annotations

import argparse
import signal
from typing import TYPE_CHECKING

from app.config import Key
from app.i18n import _

if TYPE_CHECKING:
    from app.commands.context import Context


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "serve", help=_("serve every feed as RSS/Atom/JSON on 127.0.0.1 (RSSHub-compatible source paths)")
    )
    parser.add_argument("--port", type=int, help=_("port (default: the server.port setting, 1200)"))
    parser.add_argument("--host", default="127.0.0.1", help=_("a loopback address (default 127.0.0.1)"))
    parser.set_defaults(func=cmd_serve)


def cmd_serve(ctx: Context, args: argparse.Namespace) -> int:
    from app.server import FeedServer

    server = FeedServer(ctx.library, host=args.host, port=args.port)
    key = _(" (add ?key=… : server.access_key is set)") if ctx.settings.get(Key.SERVER_ACCESS_KEY) else ""
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        server.start()
        ctx.print(
            _("Hearth feed server on {url}/ {key}— Ctrl-C stops it").format(url=server.base_url, key=key)
        )
        server.serve_forever()
    except _Terminated:
        ctx.print(_("Hearth feed server stopped"))
    finally:
        server.stop()  # idempotent; covers a signal that came before serve_forever's own cleanup
        signal.signal(signal.SIGTERM, previous)
    return 0


class _Terminated(Exception):
    """SIGTERM arrived: stop serving and exit normally."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise _Terminated
