"""The library to and from files, from the window: OPML import (asking first about any command outline,
default no) and export, and the list's current view exported as RSS 2.0, Atom or JSON Feed with the saved
AI summaries. Each file is read or written in a store operation (app/ui/operations.py), off the GUI thread;
a failure is shown in the status line and a message box (`report_failure`)."""

from __future__ import annotations

# (dialog classes are imported where they open: PySide6 makes a class's Python type and enums when it is
# imported, and this module loads before the first paint)
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app import HOMEPAGE
from app.errors import HearthError
from app.files import replace_file
from app.i18n import _, ngettext
from app.ui.operations import LIBRARY
from app.ui.window_parts import WindowParts

EXPORT_FORMATS = {"RSS 2.0 (*.xml)": "rss", "Atom (*.atom)": "atom", "JSON Feed (*.json)": "json"}
EXPORT_LIMIT = 1000


class LibraryFiles:
    """What File → Import OPML…, Export OPML… and Export articles… do (their actions are LibraryActions')."""

    def __init__(self, parts: WindowParts, *, request_refresh: Callable[[list[int] | None], None]) -> None:
        self.p = parts
        self._request_refresh = request_refresh  # after an import added feeds

    # OPML ---------------------------------------------------------------------------------------
    def import_opml(self, path: str | None = None) -> None:
        """Read the file in the background; ask about any command outline (default no), then import."""
        from PySide6.QtWidgets import QFileDialog

        if path is None:
            path, _filter = QFileDialog.getOpenFileName(
                self.p.host, _("Import OPML"), "", _("OPML (*.opml *.xml);;All files (*)")
            )
            if not path:
                return
        from app.feeds.opml import read_opml

        def read(_store: Any) -> Any:
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                raise HearthError(
                    _("cannot read {file}: {reason}").format(file=path, reason=exc.strerror or exc),
                    hint=_("check the file"),
                ) from exc
            return read_opml(data)

        self.p.op(read).success(self._on_opml_read).failure(self._failed).run_in_background()

    def _on_opml_read(self, report: Any) -> None:
        from app.feeds.opml import split_commands
        from app.ui.dialogs.opml_import import ScriptOutlinesDialog

        kept, commands = split_commands(report.outlines)
        if not commands:
            self._import_outlines(report, kept, allow=False, declined=[])
            return
        dialog = ScriptOutlinesDialog(commands, self.p.host)
        self.p.dialogs.script_outlines = dialog

        def answered(result: int) -> None:
            self.p.dialogs.script_outlines = None
            dialog.deleteLater()
            if result == ScriptOutlinesDialog.DialogCode.Accepted:
                self._import_outlines(report, report.outlines, allow=True, declined=[])
            else:
                self._import_outlines(report, kept, allow=False, declined=commands)

        dialog.finished.connect(answered)
        dialog.open()

    def _import_outlines(self, report: Any, outlines: list, *, allow: bool, declined: list) -> None:
        from app.ui.dialogs.opml_import import import_notes, show_import_notes

        def job(store: Any) -> tuple[int, int, int]:
            return store.import_outlines(outlines, allow_commands=allow)

        def done(result: tuple[int, int, int]) -> None:
            added, merged, folders = result
            notes = import_notes(report, declined)
            there = merged + report.duplicates
            summary = _("Imported {feeds} ({there} already there) and {folders}").format(
                feeds=ngettext("{n} feed", "{n} feeds", added).format(n=added),
                there=there,
                folders=ngettext("{n} folder", "{n} folders", folders).format(n=folders),
            )
            skipped = len(report.skipped) + len(declined)
            summary += _("; {n} skipped").format(n=skipped) if skipped else ""
            self.p.show_message(summary)
            self.p.dialogs.import_notes = show_import_notes(self.p.host, summary, notes) if notes else None
            if added:
                self._request_refresh(None)

        self.p.op(job, LIBRARY).success(done).failure(self._failed).run_in_background()

    def export_opml(self, path: str | None = None) -> None:
        from PySide6.QtWidgets import QFileDialog

        if path is None:
            path, _filter = QFileDialog.getSaveFileName(
                self.p.host, _("Export OPML"), "hearth.opml", _("OPML (*.opml)")
            )
            if not path:
                return
        from app.feeds.opml import write_opml

        def job(store: Any) -> int:
            outlines = store.export_outlines()
            replace_file(path, write_opml(outlines))
            return len(outlines)

        self.p.op(job).success(
            lambda _n: self.p.show_message(_("Exported the subscriptions to {path}").format(path=path))
        ).failure(self._failed).run_in_background()

    def export_articles(self, path: str | None = None, fmt: str | None = None) -> None:
        """The list's current view (a feed, a folder, Starred, a search) as a feed file, with any saved
        AI summaries above their articles."""
        from PySide6.QtWidgets import QFileDialog

        if path is None:
            path, chosen = QFileDialog.getSaveFileName(
                self.p.host, _("Export articles"), "hearth-export.xml", ";;".join(EXPORT_FORMATS)
            )
            if not path:
                return
            fmt = EXPORT_FORMATS.get(chosen, "rss")
        fmt = fmt or "rss"
        query = self.p.list_model.query
        title = self._view_title()
        from app.feeds.export import export_articles

        def job(store: Any) -> int:
            ids = store.query_ids(query)[:EXPORT_LIMIT]
            articles = [store.get_article(i) for i in ids]
            # summaries the user made travel with their articles (marked as AI summaries)
            summaries = store.latest_summaries(ids)
            replace_file(
                path,
                export_articles(
                    articles, title=f"Hearth: {title}", link=HOMEPAGE, fmt=fmt, ai_summaries=summaries
                ),
            )
            return len(articles)

        self.p.op(job).success(
            lambda n: self.p.show_message(
                ngettext("Exported {n} article to {path}", "Exported {n} articles to {path}", n).format(
                    n=n, path=path
                )
            )
        ).failure(self._failed).run_in_background()

    def _view_title(self) -> str:
        query = self.p.list_model.query
        if query.search:
            return _("search “{text}”").format(text=query.search)
        node = self.p.tree.current_node()
        return node.title if node else _("articles")

    def _failed(self, exc: Exception) -> None:
        report_failure(self.p, exc)


def report_failure(parts: WindowParts, exc: Exception) -> None:
    """A failed file or sign-in job: its message in the status line and in a message box."""
    from PySide6.QtWidgets import QMessageBox

    message = exc.user_message() if isinstance(exc, HearthError) else _("Failed: {reason}").format(reason=exc)
    parts.show_message(message, timeout_ms=15000)
    QMessageBox.warning(parts.host, _("Hearth"), message)
