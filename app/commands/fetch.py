"""`hearth add URL` (find the feed, subscribe, first fetch) and `hearth refresh` (fetch due feeds).

Exit codes: 0 done (refresh: even when some feeds failed, they are listed); 1 a one-line error
(unreachable address, no feed found, unknown feed id) or a refresh in which every feed failed (its last
line says why, grouped by kind: offline or a broken proxy, blocked by the site, a login needed, not a feed
...); 2 `add` found several feeds and needs `--pick N` or the chosen address.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from app.errors import (
    BlockedError,
    ChallengeError,
    CookieExpiredError,
    CookieMissingError,
    FeedError,
    FeedGoneError,
    FetchTimeoutError,
    HearthError,
    HTTPStatusError,
    NetworkError,
)
from app.i18n import _, lazy_gettext, ngettext
from app.models import Feed, FeedLink

if TYPE_CHECKING:
    from app.commands.context import Context
    from app.fetching import FeedOutcome, RefreshReport
    from app.library import SourceMatch

EXIT_CHOOSE = 2


def register(sub: argparse._SubParsersAction) -> None:
    add = sub.add_parser("add", help=_("subscribe to a feed (or the feed a web page offers) and fetch it"))
    add.add_argument("url", metavar="URL", help=_("the feed's address, or a web page that links to its feed"))
    add.add_argument("--folder", metavar="NAME", help=_("put it in this folder (created if missing)"))
    add.add_argument("--title", metavar="T", help=_("your own title for it (default: the feed's)"))
    add.add_argument(
        "--pick", type=int, metavar="N", help=_("when the page offers several feeds, take the Nth")
    )
    full = add.add_mutually_exclusive_group()
    full.add_argument(
        "--full-text", action="store_const", const="on", dest="full_text", help=_("fetch each article's page")
    )
    full.add_argument("--no-full-text", action="store_const", const="off", dest="full_text", help=_("never"))
    add.set_defaults(func=cmd_add)

    option = sub.add_parser(
        "feed-option", help=_("show or set a feed's options (full text for teaser feeds)")
    )
    option.add_argument("feed_id", type=int, metavar="ID", help=_("the feed (`hearth list` shows ids)"))
    option.add_argument(
        "--full-text",
        choices=("auto", "on", "off"),
        help=_("fetch each new article's page: auto (when the feed only gives teasers), on or off"),
    )
    option.set_defaults(func=cmd_feed_option)

    refresh = sub.add_parser("refresh", help=_("fetch the feeds that are due (or --all, or --feed ID ...)"))
    which = refresh.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help=_("every enabled feed, due or not"))
    which.add_argument("--feed", type=int, nargs="+", metavar="ID", dest="feed_ids", help=_("these feeds"))
    refresh.add_argument("-q", "--quiet", action="store_true", help=_("no progress bar, only errors"))
    refresh.set_defaults(func=cmd_refresh)


# -- add ----------------------------------------------------------------------------------------
def cmd_add(ctx: Context, args: argparse.Namespace) -> int:
    library = ctx.library
    found = library.match_source(args.url)  # a site without a feed (Zhihu, exec:COMMAND): its source
    if found is not None:
        return _add_source(ctx, args, found)
    link = _choose(ctx, library.find_feeds(args.url), args.pick)
    if link is None:
        return EXIT_CHOOSE
    feed = library.subscribe(link.url, title=args.title or "", folder=args.folder, full_text=args.full_text)
    report = library.refresh([feed.id])
    feed = library.store.get_feed(feed.id)
    name = feed.title or feed.url
    if args.folder:
        ctx.print(
            _("subscribed to {name} (feed {id}) in {folder}").format(
                name=name, id=feed.id, folder=args.folder
            )
        )
    else:
        ctx.print(_("subscribed to {name} (feed {id})").format(name=name, id=feed.id))
    outcome = report.by_feed().get(feed.id)
    if outcome is not None and outcome.error:
        print(_("hearth: the first fetch failed: {error}").format(error=outcome.error), file=ctx.err)
    else:
        ctx.print(ngettext("{n} article", "{n} articles", report.new_articles).format(n=report.new_articles))
    return 0


def _add_source(ctx: Context, args: argparse.Namespace, found: SourceMatch) -> int:
    """Subscribe to a source (no discovery); the title stays empty so the first fetch names the feed."""
    library, source = ctx.library, found.source
    feed = library.subscribe_source(found, title=args.title or "", folder=args.folder)
    report = library.refresh([feed.id])
    feed = library.store.get_feed(feed.id)
    ctx.print(
        _("subscribed to {name} ({source}, feed {id})").format(
            name=feed.title or found.title, source=source.name, id=feed.id
        )
    )
    outcome = report.by_feed().get(feed.id)
    if outcome is not None and outcome.error:
        print(_("hearth: the first fetch failed: {error}").format(error=outcome.error), file=ctx.err)
    else:
        ctx.print(ngettext("{n} article", "{n} articles", report.new_articles).format(n=report.new_articles))
    if source.site:  # what the site's request budget allows its feeds (issue 15)
        for note in library.budget_notes(source.site):
            ctx.print(_("note: {note}").format(note=note))
    return 0


def _choose(ctx: Context, links: list[FeedLink], pick: int | None) -> FeedLink | None:
    if pick is not None:
        if not 1 <= pick <= len(links):
            raise HearthError(
                ngettext(
                    "--pick {pick} is out of range: the page offers {n} feed",
                    "--pick {pick} is out of range: the page offers {n} feeds",
                    len(links),
                ).format(pick=pick, n=len(links)),
                hint=_("pick a number from 1 to {n}").format(n=len(links)),
            )
        return links[pick - 1]
    if len(links) == 1:
        return links[0]
    ctx.print(_("this page offers {n} feeds:").format(n=len(links)))
    for n, link in enumerate(links, 1):
        title = f"  {link.title}" if link.title else ""
        ctx.print(f"{n:>3}. {link.url}{title}")
    print(_("hearth: several feeds found — re-run with the address you want, or add --pick N"), file=ctx.err)
    return None


def cmd_feed_option(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store
    feed = store.get_feed(args.feed_id)
    if args.full_text:
        store.set_full_text(feed.id, args.full_text)
    setting = store.full_text_setting(feed.id)
    seen = {
        True: _("detected as a teaser feed"),
        False: _("not detected as a teaser feed"),
        None: _("not checked yet"),
    }
    state = _("on") if setting.enabled else _("off")
    ctx.print(
        _("feed {id} full text: {mode} ({state}; {seen})").format(
            id=feed.id, mode=setting.mode, state=state, seen=seen[setting.teaser]
        )
    )
    return 0


# -- refresh ------------------------------------------------------------------------------------
def cmd_refresh(ctx: Context, args: argparse.Namespace) -> int:
    with ctx.library.refresher() as refresher:
        feeds = refresher.select_feeds(all=args.all, feed_ids=args.feed_ids)
        if not feeds:
            ctx.print(_("no feeds are due (hearth refresh --all fetches them anyway)"))
            return 0
        bar = ProgressBar(ctx.err) if not args.quiet and _is_terminal(ctx.err) else None
        try:
            import asyncio

            report = asyncio.run(refresher.refresh_feeds(feeds, progress=bar.update if bar else None))
        finally:
            if bar is not None:
                bar.finish()
        refresher.apply_retention(report)
    _print_summary(ctx, report, quiet=args.quiet)
    if report.all_failed:
        print(all_failed_line(report.errors), file=ctx.err)
        return 1
    return 0


# What a failed feed's error says about it, by kind, with what to do (the last line of a refresh that failed).
FAILURE_KINDS = {
    "connection": lazy_gettext("could not connect (check your connection and fetch.proxy)"),
    "blocked": lazy_gettext("blocked by the site (sign in again or wait)"),
    "login": lazy_gettext("login needed (add the site's cookie: `hearth cookies`, or sign in from the app)"),
    "not_found": lazy_gettext("not found (check the address)"),
    "not_feed": lazy_gettext("not a feed (the address answers with something else)"),
    "server": lazy_gettext("server error (Hearth tries again later)"),
    "other": lazy_gettext("other error (see the list above)"),
}


def failure_kind(outcome: FeedOutcome) -> str:
    """The key in FAILURE_KINDS for a failed feed, from its error's class (app.errors) and HTTP status."""
    kind, status = outcome.error_type, outcome.status or 0
    if kind is None or not issubclass(kind, HearthError):
        return "other"
    if issubclass(kind, (NetworkError, FetchTimeoutError)):
        return "connection"
    if issubclass(kind, (BlockedError, ChallengeError)) or status == 412:  # 412: a WAF's ban (Bilibili's)
        return "blocked"
    if issubclass(kind, (CookieMissingError, CookieExpiredError)) or status in (401, 407):
        return "login"
    if issubclass(kind, FeedGoneError) or status in (404, 410):
        return "not_found"
    if issubclass(kind, FeedError):
        return "not_feed"
    if issubclass(kind, HTTPStatusError) and status >= 500:
        return "server"
    return "other"


def all_failed_line(errors: list[FeedOutcome]) -> str:
    """The last line of a refresh in which every feed failed, its failures grouped by kind: "hearth: all 3 feeds
    failed: 2 blocked by the site (...), 1 not a feed (...)"; the connection hint alone when every failure was
    the connection (offline, a broken proxy)."""
    n = len(errors)
    counts: dict[str, int] = {}
    for outcome in errors:
        kind = failure_kind(outcome)
        counts[kind] = counts.get(kind, 0) + 1
    if set(counts) == {"connection"}:
        return ngettext(
            "hearth: the feed failed — check your connection (and fetch.proxy)",
            "hearth: all {n} feeds failed — check your connection (and fetch.proxy)",
            n,
        ).format(n=n)
    order = list(FAILURE_KINDS)
    kinds = sorted(counts, key=lambda k: (-counts[k], order.index(k)))
    if n == 1:
        what = str(FAILURE_KINDS[kinds[0]])
    else:
        # TRANSLATORS: one group of a refresh's failures, e.g. "2 blocked by the site (sign in again or wait)"
        what = ", ".join(_("{n} {what}").format(n=counts[k], what=FAILURE_KINDS[k]) for k in kinds)
    return ngettext("hearth: the feed failed: {what}", "hearth: all {n} feeds failed: {what}", n).format(
        n=n, what=what
    )


def _print_summary(ctx: Context, report: RefreshReport, *, quiet: bool) -> None:
    errors = report.errors
    if not quiet:
        # TRANSLATORS: the three parts are joined into "refreshed 2 feeds in 1.5 s: 3 new articles, ..."
        feeds = ngettext("refreshed {n} feed", "refreshed {n} feeds", report.done).format(n=report.done)
        new = ngettext("{n} new article", "{n} new articles", report.new_articles).format(
            n=report.new_articles
        )
        errs = ngettext("{n} error", "{n} errors", len(errors)).format(n=len(errors))
        ctx.print(
            _("{feeds} in {seconds:.1f} s: {new}, {not_modified} not modified, {errors}").format(
                feeds=feeds, seconds=report.elapsed, new=new, not_modified=report.not_modified, errors=errs
            )
        )
        for outcome in report.outcomes:
            if outcome.new_url:
                ctx.print(
                    _("  feed {id} moved permanently to {url} (address updated)").format(
                        id=outcome.feed_id, url=outcome.new_url
                    )
                )
    if errors:
        ctx.print(_("errors:"))
        for outcome in sorted(errors, key=lambda o: o.feed_id):
            ctx.print(f"  [{outcome.feed_id}] {_one_line(outcome.title)}: {outcome.error}")


def _one_line(text: str) -> str:
    return " ".join(text.split())[:60]


class ProgressBar:
    """`[#####.....] 412/1000 Feed title` on one terminal line, redrawn at most 20 times a second."""

    def __init__(self, out: Any, width: int = 30) -> None:
        self.out = out
        self.width = width
        self._last = 0.0

    def update(self, done: int, total: int, feed: Feed, outcome: FeedOutcome) -> None:
        now = time.monotonic()
        if done < total and now - self._last < 0.05:
            return
        self._last = now
        filled = self.width * done // max(total, 1)
        title = _one_line(outcome.title)[:40]
        line = f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} {title}"
        self.out.write(line.ljust(self.width + 60)[: self.width + 60])
        self.out.flush()

    def finish(self) -> None:
        self.out.write("\r" + " " * (self.width + 60) + "\r")
        self.out.flush()


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
