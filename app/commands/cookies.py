"""`hearth cookies set|show|clear|check|signin SITE`: the per-site cookies kept in the OS keyring.

Values are read from stdin and written to the keyring only; nothing here ever prints a value.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from app.config import Key
from app.i18n import _

if TYPE_CHECKING:
    from app.commands.context import Context
    from app.vault.store import CookieVault


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("cookies", help=_("cookies for sites without feeds (kept in the OS keyring)"))
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    put = verbs.add_parser(
        "set", help=_("store a Cookie header read from stdin (e.g. pasted from the browser)")
    )
    put.add_argument("site", help=_("the site: zhihu.com, bilibili.com or weibo.com (covers weibo.cn too)"))
    put.add_argument("--user-agent", help=_("the browser's User-Agent the cookie was earned with"))
    put.set_defaults(func=cmd_set)
    show = verbs.add_parser("show", help=_("cookie names and expiry (never values); every site with no SITE"))
    show.add_argument("site", nargs="?")
    show.set_defaults(func=cmd_show)
    clear = verbs.add_parser("clear", help=_("forget a site's cookies"))
    clear.add_argument("site")
    clear.set_defaults(func=cmd_clear)
    check = verbs.add_parser("check", help=_("ask the site who the cookie signs in as"))
    check.add_argument("site")
    check.set_defaults(func=cmd_check)
    signin = verbs.add_parser("signin", help=_("sign in inside a Hearth browser window and keep its cookies"))
    signin.add_argument("site")
    signin.set_defaults(func=cmd_signin)


def _vault(ctx: Context) -> CookieVault:
    vault = ctx.library.vault
    assert vault is not None  # the CLI's library always has the keyring's vault
    return vault


def cmd_set(ctx: Context, args: argparse.Namespace) -> int:
    from app.vault.cookies import normalize_site, parse_cookie_header, validate_cookies

    site = normalize_site(args.site)
    if sys.stdin.isatty():
        ctx.print(f"Paste the Cookie header for {site}, then press Ctrl-D:", end="")
    text = sys.stdin.read()
    cookies = parse_cookie_header(text)
    warnings = validate_cookies(site, cookies)
    vault = _vault(ctx)
    stored = vault.set(site, cookies, args.user_agent)
    ctx.print(f"stored {len(stored.cookies)} cookies for {site}: {', '.join(stored.names())}")
    where = vault.backend_info()
    if where.kind == "plaintext":  # only ever the user's own explicit choice (see app/vault/backend.py)
        ctx.print(f"note: they are in {where.describe()}, not in an OS keyring")
    for warning in warnings:
        ctx.print(f"warning: {warning}")
    if not args.user_agent:
        ctx.print(
            "note: no --user-agent given; pass your browser's User-Agent so challenge cookies stay valid"
        )
    return 0


def cmd_show(ctx: Context, args: argparse.Namespace) -> int:
    from app.vault.cookies import normalize_site

    vault = _vault(ctx)
    sites = [normalize_site(args.site)] if args.site else vault.sites()
    if not sites:
        ctx.print("no cookies stored")
        return 0
    for site in sites:
        found = vault.get(site)
        if found is None:
            ctx.print(f"{site}: no cookies stored")
            if args.site:
                return 1
            continue
        saved = _when(found.saved_at) if found.saved_at else "unknown"
        ctx.print(f"{site}: {len(found.cookies)} cookies, saved {saved}")
        ctx.print(f"  user agent: {found.user_agent or '(none recorded)'}")
        for name in found.names():
            expiry = found.expires.get(name)
            ctx.print(f"  {name}  expires {_when(expiry) if expiry else 'with the session / unknown'}")
    return 0


def cmd_clear(ctx: Context, args: argparse.Namespace) -> int:
    from app.vault.cookies import normalize_site

    site = normalize_site(args.site)
    if _vault(ctx).clear(site):
        ctx.print(f"cleared the cookies for {site}")
    else:
        ctx.print(f"no cookies were stored for {site}")
    return 0


def cmd_check(ctx: Context, args: argparse.Namespace) -> int:
    from app.sources.cookie_check import check_site

    result = check_site(
        args.site,
        _vault(ctx),
        ctx.settings,
        site_states=ctx.store,  # the check passes the site gate like every request to the site
        timeout=ctx.settings.get(Key.FETCH_TIMEOUT),
    )
    ctx.print(f"{result.site}: {result.message}")
    return 0 if result.ok else 1


def cmd_signin(ctx: Context, args: argparse.Namespace) -> int:
    from app.vault.cookies import normalize_site

    site = normalize_site(args.site)
    if ctx.windows is None:  # app.cli.run called without the desktop app (as a library)
        from app.errors import HearthError

        raise HearthError(
            "the sign-in window needs Hearth's desktop app",
            hint="run `hearth cookies signin SITE` from a shell, or paste the cookie with `hearth cookies set`",
        )
    ok = ctx.windows.sign_in(ctx.paths, ctx.settings, site)
    ctx.print(f"signed in to {site}; cookies stored" if ok else f"sign-in to {site} was cancelled")
    return 0 if ok else 1


def _when(stamp: float | None) -> str:
    if stamp is None:
        return "unknown"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))
