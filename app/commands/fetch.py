"""`hearth add URL` (find the feed, subscribe, first fetch) and `hearth refresh` (fetch due feeds).

Exit codes: 0 done (refresh: even when some feeds failed, they are listed); 1 a one-line error
(unreachable address, no feed found, unknown feed id) or a refresh in which every feed failed
(offline, a broken proxy); 2 `add` found several feeds and needs `--pick N` or the chosen address.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.errors import HearthError
from app.models import Feed, FeedLink

if TYPE_CHECKING:
    from app.cli import Context
    from app.fetching import FeedOutcome, Refresher, RefreshReport
    from app.storage import Store

EXIT_CHOOSE = 2


def register(sub: argparse._SubParsersAction) -> None:
    add = sub.add_parser("add", help="subscribe to a feed (or the feed a web page offers) and fetch it")
    add.add_argument("url", metavar="URL", help="the feed's address, or a web page that links to its feed")
    add.add_argument("--folder", metavar="NAME", help="put it in this folder (created if missing)")
    add.add_argument("--title", metavar="T", help="your own title for it (default: the feed's)")
    add.add_argument("--pick", type=int, metavar="N", help="when the page offers several feeds, take the Nth")
    full = add.add_mutually_exclusive_group()
    full.add_argument(
        "--full-text", action="store_const", const="on", dest="full_text", help="fetch each article's page"
    )
    full.add_argument("--no-full-text", action="store_const", const="off", dest="full_text", help="never")
    add.set_defaults(func=cmd_add)

    option = sub.add_parser("feed-option", help="show or set a feed's options (full text for teaser feeds)")
    option.add_argument("feed_id", type=int, metavar="ID", help="the feed (`hearth list` shows ids)")
    option.add_argument(
        "--full-text",
        choices=("auto", "on", "off"),
        help="fetch each new article's page: auto (when the feed only gives teasers), on or off",
    )
    option.set_defaults(func=cmd_feed_option)

    refresh = sub.add_parser("refresh", help="fetch the feeds that are due (or --all, or --feed ID ...)")
    which = refresh.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="every enabled feed, due or not")
    which.add_argument("--feed", type=int, nargs="+", metavar="ID", dest="feed_ids", help="these feeds")
    refresh.add_argument("-q", "--quiet", action="store_true", help="no progress bar, only errors")
    refresh.set_defaults(func=cmd_refresh)


# -- add ----------------------------------------------------------------------------------------
def cmd_add(ctx: Context, args: argparse.Namespace) -> int:
    from app.fetching import FetchOptions, discover
    from app.fetching.cookies import CookieMemo
    from app.sources.registry import match_url

    found = match_url(args.url)  # a site without a feed (Zhihu, exec:COMMAND): subscribe to its source
    if found is not None:
        return _add_source(ctx, args, *found)
    options = FetchOptions.from_settings(ctx.settings)
    links = discover(args.url, options=options, cookie_header_for=CookieMemo(_vault_lookup(ctx)))
    link = _choose(ctx, links, args.pick)
    if link is None:
        return EXIT_CHOOSE
    store = ctx.store
    folder_id = _folder_id(store, args.folder) if args.folder else None
    feed = store.add_feed(link.url, title=(args.title or "").strip(), folder_id=folder_id)
    if args.full_text:
        store.set_full_text(feed.id, args.full_text)
    with _refresher(ctx) as refresher:
        report = refresher.refresh(feed_ids=[feed.id])
    feed = store.get_feed(feed.id)
    where = f" in {args.folder}" if args.folder else ""
    ctx.print(f"subscribed to {feed.title or feed.url} (feed {feed.id}){where}")
    outcome = report.by_feed().get(feed.id)
    if outcome is not None and outcome.error:
        print(f"hearth: the first fetch failed: {outcome.error}", file=ctx.err)
    else:
        ctx.print(f"{report.new_articles} articles")
    return 0


def _add_source(ctx: Context, args: argparse.Namespace, source: Any, params: dict[str, str]) -> int:
    """Subscribe to a source (no discovery); the title stays empty so the first fetch names the feed."""
    from app.sources.registry import source_feed_url, source_title

    store = ctx.store
    folder_id = _folder_id(store, args.folder) if args.folder else None
    feed = store.add_feed(
        source_feed_url(source, params),
        title=(args.title or "").strip(),
        kind=source.id,
        params=params,
        folder_id=folder_id,
    )
    with _refresher(ctx) as refresher:
        report = refresher.refresh(feed_ids=[feed.id])
    feed = store.get_feed(feed.id)
    ctx.print(f"subscribed to {feed.title or source_title(source, params)} ({source.name}, feed {feed.id})")
    outcome = report.by_feed().get(feed.id)
    if outcome is not None and outcome.error:
        print(f"hearth: the first fetch failed: {outcome.error}", file=ctx.err)
    else:
        ctx.print(f"{report.new_articles} articles")
    if source.site:  # what the site's request budget allows its feeds (issue 15)
        from app.sources.registry import budget_notes

        for note in budget_notes(store.list_feeds(), ctx.settings, site=source.site):
            ctx.print(f"note: {note}")
    return 0


def _choose(ctx: Context, links: list[FeedLink], pick: int | None) -> FeedLink | None:
    if pick is not None:
        if not 1 <= pick <= len(links):
            raise HearthError(
                f"--pick {pick} is out of range: the page offers {len(links)} feed(s)",
                hint=f"pick a number from 1 to {len(links)}",
            )
        return links[pick - 1]
    if len(links) == 1:
        return links[0]
    ctx.print(f"this page offers {len(links)} feeds:")
    for n, link in enumerate(links, 1):
        title = f"  {link.title}" if link.title else ""
        ctx.print(f"{n:>3}. {link.url}{title}")
    print("hearth: several feeds found — re-run with the address you want, or add --pick N", file=ctx.err)
    return None


def _folder_id(store: Store, name: str) -> int:
    wanted = name.strip().casefold()
    for folder in store.list_folders():
        if folder.name.casefold() == wanted:
            return folder.id
    return store.add_folder(name.strip()).id


def cmd_feed_option(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store
    feed = store.get_feed(args.feed_id)
    if args.full_text:
        store.set_full_text(feed.id, args.full_text)
    setting = store.full_text_setting(feed.id)
    seen = {
        True: "detected as a teaser feed",
        False: "not detected as a teaser feed",
        None: "not checked yet",
    }
    state = "on" if setting.enabled else "off"
    ctx.print(f"feed {feed.id} full text: {setting.mode} ({state}; {seen[setting.teaser]})")
    return 0


# -- refresh ------------------------------------------------------------------------------------
def cmd_refresh(ctx: Context, args: argparse.Namespace) -> int:
    with _refresher(ctx) as refresher:
        feeds = refresher.select_feeds(all=args.all, feed_ids=args.feed_ids)
        if not feeds:
            ctx.print("no feeds are due (hearth refresh --all fetches them anyway)")
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
        print(
            f"hearth: all {report.done} feed(s) failed — check your connection (and fetch.proxy)",
            file=ctx.err,
        )
        return 1
    return 0


def _print_summary(ctx: Context, report: RefreshReport, *, quiet: bool) -> None:
    errors = report.errors
    if not quiet:
        ctx.print(
            f"refreshed {report.done} feed(s) in {report.elapsed:.1f} s: {report.new_articles} new article(s), "
            f"{report.not_modified} not modified, {len(errors)} error(s)"
        )
        for outcome in report.outcomes:
            if outcome.new_url:
                ctx.print(
                    f"  feed {outcome.feed_id} moved permanently to {outcome.new_url} (address updated)"
                )
    if errors:
        ctx.print("errors:")
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


# -- wiring -------------------------------------------------------------------------------------
def _refresher(ctx: Context) -> Refresher:
    from app.fetching import Refresher

    return Refresher(
        ctx.store, ctx.settings, cookie_header_for=_vault_lookup(ctx), fetch_source=_source_fetcher(ctx)
    )


def _source_fetcher(ctx: Context) -> Any:
    """`fetch_source` for Zhihu and script feeds: the vault's cookies, per-site gates kept in the store.
    Headless, there is no challenge solver: a challenge tells the user to open the sign-in window.
    Built on the first source feed, so a refresh of plain feeds never pays for importing the sources."""
    built: list[Any] = []

    async def fetch_source(feed: Feed) -> Any:
        if not built:
            from app.sources.registry import make_source_fetcher
            from app.vault import CookieVault

            built.append(
                make_source_fetcher(
                    ctx.settings,
                    vault=CookieVault.from_settings(ctx.settings),
                    site_states=ctx.store,
                    data_dir=ctx.paths.data_dir,
                )
            )
        return await built[0](feed)

    def interval_for(feed: Feed, wanted: Any, parsed: Any = None) -> Any:  # the site's budget (registry)
        return built[0].interval_for(feed, wanted, parsed) if built else wanted

    fetch_source.interval_for = interval_for  # type: ignore[attr-defined]
    return fetch_source


def _vault_lookup(ctx: Context) -> Callable[[str], str | None]:
    """Cookies only from the vault (the OS keyring), opened on the first request that asks; when the
    vault holds no site at all, no request ever asks the keyring again."""
    opened: dict[str, Any] = {}

    def lookup(url: str) -> str | None:
        if "vault" not in opened:
            from app.vault import CookieVault

            vault = CookieVault.from_settings(ctx.settings)
            has_sites = bool(vault.sites())  # a VaultError here means: no cookies this time
            opened.update(vault=vault, has_sites=has_sites)
        return opened["vault"].cookie_header_for(url) if opened["has_sites"] else None

    return lookup
