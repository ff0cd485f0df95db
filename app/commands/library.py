"""`hearth list|show|search|mark-read|star|remove`: reading and tidying the library from a terminal.

Output is plain aligned columns with a header line and the free-text column (title) last, so
`hearth list | awk 'NR>1 {print $1}'` gives the ids. Unknown ids are one-line errors (exit 1).
"""

from __future__ import annotations

import argparse
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from app.errors import HearthError, NotFoundError
from app.i18n import _, ngettext
from app.models import ArticleQuery, ArticleRow

if TYPE_CHECKING:
    from app.commands.context import Context
    from app.storage import Store

FEED_TITLE_WIDTH = 24


def register(sub: argparse._SubParsersAction) -> None:
    lst = sub.add_parser("list", help=_("list feeds with unread counts (or articles, with --articles)"))
    lst.add_argument("--articles", action="store_true", help=_("list articles instead of feeds"))
    lst.add_argument("--feed", type=int, metavar="ID", help=_("only this feed's articles"))
    lst.add_argument("--folder", type=int, metavar="ID", help=_("only articles of feeds in this folder"))
    lst.add_argument("--unread", action="store_true", help=_("only unread articles"))
    lst.add_argument("--starred", action="store_true", help=_("only starred articles"))
    lst.add_argument(
        "--limit", type=_positive, default=None, metavar="N", help=_("at most N articles (newest first)")
    )
    lst.set_defaults(func=cmd_list)

    show = sub.add_parser("show", help=_("print one article as plain text"))
    show.add_argument("id", type=int, metavar="ID")
    show.set_defaults(func=cmd_show)

    search = sub.add_parser("search", help=_("full-text search over titles and article text"))
    search.add_argument("query", nargs="+", help=_('words (all must match); "a phrase"; prefix*'))
    search.add_argument(
        "--limit", type=_positive, default=50, metavar="N", help=_("at most N results (default 50)")
    )
    search.set_defaults(func=cmd_search)

    mark = sub.add_parser("mark-read", help=_("mark articles, a feed or a folder read (or unread)"))
    target = mark.add_mutually_exclusive_group(required=True)
    target.add_argument("--feed", type=int, metavar="ID", help=_("every article of this feed"))
    target.add_argument(
        "--folder", type=int, metavar="ID", help=_("every article of the feeds in this folder")
    )
    target.add_argument("ids", nargs="*", type=int, default=[], metavar="ARTICLE_ID")
    mark.add_argument(
        "--older-than", type=float, metavar="DAYS", help=_("only articles older than DAYS days")
    )
    mark.add_argument("--unread", action="store_true", help=_("mark unread instead"))
    mark.set_defaults(func=cmd_mark_read)

    star = sub.add_parser("star", help=_("star articles (or unstar, with --off)"))
    star.add_argument("ids", nargs="+", type=int, metavar="ARTICLE_ID")
    star.add_argument("--off", action="store_true", help=_("remove the star"))
    star.set_defaults(func=cmd_star)

    remove = sub.add_parser("remove", help=_("unsubscribe from a feed and delete its articles"))
    remove.add_argument("feed_id", type=int, metavar="FEED_ID")
    remove.set_defaults(func=cmd_remove)


def cmd_list(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store
    if not (args.articles or args.feed is not None or args.folder is not None or args.unread or args.starred):
        _print_feeds(ctx, store)
        return 0
    if args.feed is not None:
        store.get_feed(args.feed)
    if args.folder is not None:
        store.get_folder(args.folder)
    query = ArticleQuery(
        smart="starred" if args.starred else None,
        feed_ids=None if args.feed is None else (args.feed,),
        folder_id=args.folder,
        unread_only=args.unread,
    )
    _print_articles(ctx, store.list_articles(query, limit=args.limit))
    return 0


def cmd_show(ctx: Context, args: argparse.Namespace) -> int:
    from app.text import html_to_text

    store = ctx.store
    article = store.get_article(args.id)
    feed = store.get_feed(article.feed_id)
    flags = _(", ").join(
        f
        for f, on in (
            (_("read"), article.read),
            (_("unread"), not article.read),
            (_("starred"), article.starred),
        )
        if on
    )
    # TRANSLATORS: the labels of `hearth show` are padded to line up in English; line them up in yours
    ctx.print(_("Title:  {title}").format(title=article.title or _("(untitled)")))
    ctx.print(_("Feed:   {name} (feed {id})").format(name=feed.title or feed.url, id=feed.id))
    ctx.print(
        _("Date:   {date}").format(date=_date(article.published or article.updated or article.first_seen))
    )
    if article.author:
        ctx.print(_("Author: {author}").format(author=article.author))
    ctx.print(_("Link:   {url}").format(url=article.url or "-"))
    ctx.print(_("Status: {flags}").format(flags=flags))
    for enclosure in article.enclosures:
        ctx.print(_("Attachment: {url} {type}").format(url=enclosure.url, type=enclosure.type).rstrip())
    text = html_to_text(article.content_html or article.summary_html)
    if text:
        ctx.print()
        ctx.print(text)
    return 0


def cmd_search(ctx: Context, args: argparse.Namespace) -> int:
    rows = ctx.store.search(" ".join(args.query), limit=args.limit)
    if not rows:
        print(_("hearth: no articles match"), file=ctx.err)
        return 0
    _print_articles(ctx, rows)
    return 0


def cmd_mark_read(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store
    read = not args.unread
    if args.ids and args.older_than is not None:
        raise HearthError(
            _("--older-than needs --feed or --folder"), hint=_("give article ids alone, or a feed or folder")
        )
    cutoff = None if args.older_than is None else datetime.now(UTC) - timedelta(days=args.older_than)
    if args.ids:
        _require_articles(store, args.ids)
        changed = store.mark_read(args.ids, read)
    elif read:
        if args.feed is not None:
            changed = len(store.mark_feed_read(args.feed, cutoff))
        else:
            changed = len(store.mark_folder_read(args.folder, cutoff))
    else:
        if args.feed is not None:
            store.get_feed(args.feed)
        else:
            store.get_folder(args.folder)
        query = ArticleQuery(feed_ids=None if args.feed is None else (args.feed,), folder_id=args.folder)
        ids = store.query_ids(query)
        if cutoff is not None:
            ids = [row.id for row in store.rows(ids) if row.published is None or row.published < cutoff]
        changed = store.mark_read(ids, read)
    if read:
        ctx.print(ngettext("marked {n} article read", "marked {n} articles read", changed).format(n=changed))
    else:
        ctx.print(
            ngettext("marked {n} article unread", "marked {n} articles unread", changed).format(n=changed)
        )
    return 0


def cmd_star(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store
    _require_articles(store, args.ids)
    changed = store.star(args.ids, not args.off)
    if args.off:
        ctx.print(ngettext("unstarred {n} article", "unstarred {n} articles", changed).format(n=changed))
    else:
        ctx.print(ngettext("starred {n} article", "starred {n} articles", changed).format(n=changed))
    return 0


def cmd_remove(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store
    feed = store.get_feed(args.feed_id)
    count = store.count_articles(ArticleQuery(feed_ids=(feed.id,)))
    store.remove_feed(feed.id)
    ctx.print(
        ngettext(
            "removed feed {id} ({name}) and its {n} article",
            "removed feed {id} ({name}) and its {n} articles",
            count,
        ).format(id=feed.id, name=feed.title or feed.url, n=count)
    )
    return 0


def _print_feeds(ctx: Context, store: Store) -> None:
    feeds = store.list_feeds()
    if not feeds:
        print(
            _("hearth: no feeds yet — add one with `hearth add URL` or `hearth import FILE.opml`"),
            file=ctx.err,
        )
        return
    unread = store.unread_counts()
    paths = _folder_paths(store)
    rows = []
    for feed in feeds:
        status = "off" if not feed.enabled else (str(feed.last_status) if feed.last_status else "-")
        if feed.consecutive_errors:
            status += f" x{feed.consecutive_errors}"
        title = feed.title or feed.url
        if feed.last_error:
            title += f"  [error: {' '.join(feed.last_error.split())}]"
        rows.append(
            (str(feed.id), str(unread.get(feed.id, 0)), status, paths.get(feed.folder_id, "-"), title)
        )
    _table(ctx, ("ID", "UNREAD", "STATUS", "FOLDER", "TITLE"), rows, right=(0, 1))


def _print_articles(ctx: Context, articles: Sequence[ArticleRow]) -> None:
    rows = [
        (
            str(a.id),
            _date(a.published),
            ("*" if a.starred else "") + ("" if a.read else "N") or "-",
            _clip(a.feed_title, FEED_TITLE_WIDTH),
            " ".join(a.title.split()) or "(untitled)",
        )
        for a in articles
    ]
    _table(ctx, ("ID", "DATE", "FLAGS", "FEED", "TITLE"), rows, right=(0,))


def _folder_paths(store: Store) -> dict[int | None, str]:
    folders = {f.id: f for f in store.list_folders()}
    paths: dict[int | None, str] = {}
    for folder_id in folders:
        parts, seen, current = [], set(), folders.get(folder_id)
        while current is not None and current.id not in seen:
            seen.add(current.id)
            parts.append(current.name)
            current = folders.get(current.parent_id) if current.parent_id is not None else None
        paths[folder_id] = "/".join(reversed(parts))  # as named: "News & Photos", not News_&_Photos
    return paths


def _require_articles(store: Store, ids: Sequence[int]) -> None:
    missing = sorted(set(ids) - store.existing_article_ids(ids))
    if missing:
        listed = ", ".join(str(i) for i in missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise NotFoundError(
            f"no article with id {listed}", hint="`hearth list --articles` shows the ids; nothing was changed"
        )


def _table(
    ctx: Context, header: Sequence[str], rows: Sequence[Sequence[str]], *, right: Sequence[int] = ()
) -> None:
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = []
        for i, width in enumerate(widths):
            pad = " " * (width - _width(row[i]))
            cells.append(pad + row[i] if i in right else row[i] + pad)
        ctx.print("  ".join([*cells, row[-1]]))


def _width(text: str) -> int:
    """Terminal columns: East Asian wide characters take two."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split()).replace(" ", "_") or "-"
    if _width(text) <= width:
        return text
    out, used = "", 0
    for ch in text:
        used += _width(ch)
        if used > width - 1:
            break
        out += ch
    return out + "…"


def _date(value: datetime | None) -> str:
    return "-" if value is None else value.astimezone().strftime("%Y-%m-%d %H:%M")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value
