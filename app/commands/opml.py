"""`hearth import-opml`, `hearth export-opml` and `hearth export-rss`: subscriptions and articles out and in."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import HearthError, OPMLError
from app.files import replace_file
from app.i18n import _, ngettext
from app.models import ArticleQuery

if TYPE_CHECKING:
    from app.commands.context import Context

DEFAULT_EXPORT_LIMIT = 200
MISSING_SHOWN = 10  # article ids listed when some have no translation into the chosen language


def register(sub: argparse._SubParsersAction) -> None:
    imp = sub.add_parser("import-opml", help=_("subscribe to every feed in an OPML file (folders kept)"))
    imp.add_argument("file", metavar="FILE", help=_("an OPML file from another reader ('-' reads stdin)"))
    imp.add_argument(
        "--allow-scripts",
        action="store_true",
        help=_(
            "also add outlines that run a command on this computer (exec:...); each command is listed first"
        ),
    )
    imp.set_defaults(func=cmd_import)

    exp = sub.add_parser("export-opml", help=_("write all subscriptions as OPML 2.0"))
    exp.add_argument(
        "file", metavar="FILE", nargs="?", default="-", help=_("where to write (default: stdout)")
    )
    exp.set_defaults(func=cmd_export)

    rss = sub.add_parser("export-rss", help=_("write articles as an RSS, Atom or JSON feed"))
    which = rss.add_mutually_exclusive_group(required=True)
    which.add_argument("--feed", type=int, metavar="ID", help=_("one feed's articles"))
    which.add_argument(
        "--folder", type=int, metavar="ID", help=_("the articles of a folder (and its sub-folders)")
    )
    which.add_argument("--starred", action="store_true", help=_("starred articles"))
    which.add_argument("--search", metavar="QUERY", help=_("articles matching a full-text search"))
    rss.add_argument(
        "--format", choices=("rss", "atom", "json"), default="rss", help=_("rss (default), atom or json")
    )
    rss.add_argument(
        "--limit", type=int, default=DEFAULT_EXPORT_LIMIT, metavar="N", help=_("newest N (default 200)")
    )
    rss.add_argument(
        "-o", "--output", metavar="FILE", default="-", help=_("where to write (default: stdout)")
    )
    rss.add_argument(
        "--with-summaries",
        action="store_true",
        help=_("put each article's local AI summary above its content"),
    )
    rss.add_argument(
        "--with-translations",
        "--translations",
        action="store_true",
        help=_("put each article's AI translation above it"),  # and its translated title as the item's
    )
    rss.add_argument(
        "--to",
        metavar="LANG",
        help=_(
            "with the cached AI translations into LANG (zh, en, ...); the others are exported as they are"
        ),
    )
    rss.set_defaults(func=cmd_export_rss)


def cmd_import(ctx: Context, args: argparse.Namespace) -> int:
    """Import an OPML file; outlines that run a command are skipped and listed unless --allow-scripts."""
    data = _read(args.file)
    from app.feeds.opml import read_opml, shown_command, split_commands

    try:
        report = read_opml(data)
    except OPMLError as exc:
        ctx.err.write(f"hearth: {args.file}: {exc.user_message()}\n")
        return 1
    if report.repaired:
        ctx.err.write(
            _(
                "hearth: {file} is not well-formed XML ({problem}); read it leniently, as other readers do"
            ).format(file=args.file, problem=report.repaired)
            + "\n"
        )
    for skipped in report.skipped:
        ctx.err.write(_("hearth: skipped {what}").format(what=skipped) + "\n")
    _kept, commands = split_commands(report.outlines)
    allow = bool(args.allow_scripts)
    for command in commands:
        if allow:
            ctx.print(
                _("adding script feed {title!r}, which runs: {command}").format(
                    title=command.title, command=shown_command(command)
                )
            )
        else:
            ctx.err.write(
                _("hearth: skipped script feed {title!r}, which would run: {command}").format(
                    title=command.title, command=shown_command(command)
                )
                + "\n"
            )
    if commands and not allow:
        ctx.err.write(
            ngettext(
                "hearth: {n} outline runs a command on this computer and was not imported; "
                "after reading it, add it with: hearth import-opml {file} --allow-scripts",
                "hearth: {n} outlines run a command on this computer and were not imported; "
                "after reading them, add them with: hearth import-opml {file} --allow-scripts",
                len(commands),
            ).format(n=len(commands), file=args.file)
            + "\n"
        )
    done = ctx.library.import_opml(report, allow_scripts=allow)
    added, folders, merged, skipped_total = done.added, done.folders, done.duplicates, done.skipped
    parts = [
        ngettext("imported {n} feed", "imported {n} feeds", added).format(n=added)
        + ngettext(" in {n} folder", " in {n} folders", folders).format(n=folders),
        ngettext("{n} duplicate merged", "{n} duplicates merged", merged).format(n=merged),
    ]
    if skipped_total:
        parts.append(ngettext("{n} skipped", "{n} skipped", skipped_total).format(n=skipped_total))
    ctx.print(_(", ").join(parts))
    return 0


def cmd_export(ctx: Context, args: argparse.Namespace) -> int:
    done = ctx.library.export_opml()
    _write(ctx, args.file, done.data)
    if args.file != "-":
        feeds, folders = done.feeds, done.folders
        ctx.print(
            ngettext("exported {n} feed", "exported {n} feeds", feeds).format(n=feeds)
            + ngettext(" in {n} folder", " in {n} folders", folders).format(n=folders)
            + _(" to {file}").format(file=args.file)
        )
    return 0


def cmd_export_rss(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store
    if args.limit < 1:
        raise HearthError(_("--limit must be at least 1"))
    if args.feed is not None:
        feed = store.get_feed(args.feed)
        title, link = feed.title or feed.url, feed.site_url or feed.url
        rows = store.list_articles(ArticleQuery(feed_ids=(feed.id,)), limit=args.limit)
    elif args.folder is not None:
        folder = store.get_folder(args.folder)
        title, link = folder.name, f"https://hearth.invalid/folder/{folder.id}"
        rows = store.list_articles(ArticleQuery(folder_id=folder.id), limit=args.limit)
    elif args.starred:
        title, link = "Starred", "https://hearth.invalid/starred"
        rows = store.list_articles(ArticleQuery(smart="starred"), limit=args.limit)
    else:
        title, link = f"Search: {args.search}", "https://hearth.invalid/search"
        rows = store.search(args.search, limit=args.limit)
    articles = [store.get_article(row.id) for row in rows]
    from app.feeds.export import export_articles

    ids = [a.id for a in articles]
    summaries = ctx.store.latest_summaries(ids) if args.with_summaries else None
    translations = titles = None
    if args.to:  # the cached translations into one language; the others go out as they are, and are counted
        from app.ai.languages import normalise_language

        language = normalise_language(args.to)
        translations = ctx.store.latest_translations(ids, "body", language)
        titles = ctx.store.latest_translations(ids, "title", language)
        _say_missing(ctx, [i for i in ids if i not in translations], language)
    elif args.with_translations:
        # each article's newest translation (any language) of its body and title, paired by language in export
        translations = ctx.store.latest_translations(ids, "body")
        titles = ctx.store.latest_translations(ids, "title")
    data = export_articles(
        articles,
        title=title,
        link=link,
        fmt=args.format,
        description=f"Exported by Hearth: {title}",
        ai_summaries=summaries,
        ai_translations=translations,
        ai_titles=titles,
    )
    _write(ctx, args.output, data)
    if args.output != "-":
        ctx.print(
            ngettext(
                "exported {n} article to {file}", "exported {n} articles to {file}", len(articles)
            ).format(n=len(articles), file=args.output)
        )
    return 0


def _say_missing(ctx: Context, missing: list[int], language: str) -> None:
    """On stderr: how many articles have no cached translation into `language`, and how to make them (a model
    run each, minutes for a long article on a CPU: not done by an export)."""
    if not missing:
        return
    shown = " ".join(str(i) for i in missing[:MISSING_SHOWN]) + (
        " ..." if len(missing) > MISSING_SHOWN else ""
    )
    ctx.err.write(
        ngettext(
            "hearth: {n} article has no translation into {language} and was exported as it is ({ids}); "
            "translate it with: hearth translate ID --to {language}",
            "hearth: {n} articles have no translation into {language} and were exported as they are ({ids}); "
            "translate each with: hearth translate ID --to {language}",
            len(missing),
        ).format(n=len(missing), language=language, ids=shown)
        + "\n"
    )


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    path = Path(name)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise HearthError(
            _("cannot read {file}: {reason}").format(file=name, reason=exc.strerror or exc),
            hint=_("check the path"),
        ) from exc


def _write(ctx: Context, name: str, data: bytes) -> None:
    if name == "-":
        out = getattr(ctx.out, "buffer", None)
        if out is not None:
            out.write(data)
            out.flush()
        else:
            ctx.out.write(data.decode("utf-8"))
        return
    try:
        replace_file(name, data)
    except OSError as exc:
        raise HearthError(
            _("cannot write {file}: {reason}").format(file=name, reason=exc.strerror or exc),
            hint=_("check the path"),
        ) from exc
