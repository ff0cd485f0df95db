"""Subscriptions as a tree of `Outline`s: import (merging folders by name and skipping known feeds) and export.

OPML itself is parsed and written by app.feeds.opml; storage only sees the models.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from app.errors import StorageError
from app.models import FeedKind, Outline
from app.storage.db import StoreBase, now_ts
from app.urls import runs_command


class OutlineStore(StoreBase):
    def import_outlines(
        self, outlines: Sequence[Outline], *, parent_id: int | None = None, allow_commands: bool = False
    ) -> tuple[int, int, int]:
        """Add the tree under `parent_id` in one transaction; returns (feeds_added, duplicates_merged, folders_added).

        A folder whose name (case-insensitive) already exists at that level is reused; a feed whose
        URL and kind are already subscribed anywhere is a duplicate and left where it is. A feed that
        would run a command is refused (StorageError, nothing written) unless `allow_commands`: the
        caller shows the commands and asks first (app.feeds.opml.split_commands).
        """
        if not allow_commands:
            self._refuse_commands(outlines)
        counts = [0, 0, 0]
        with self._write() as conn:
            if parent_id is not None:
                self.get_folder(parent_id)  # type: ignore[attr-defined]
            self._import_level(conn, outlines, parent_id, counts)
        return counts[0], counts[1], counts[2]

    def _refuse_commands(self, outlines: Sequence[Outline]) -> None:
        for outline in outlines:
            # a feed whose URL or kind would run a command (app.sources.script): only an explicit yes adds one
            if runs_command(outline.url, outline.kind):
                raise StorageError(
                    f"refusing to add {outline.title!r} from an outline list: it runs a command ({outline.url})",
                    hint="import it with the scripts allowed after reading the command",
                )
            self._refuse_commands(outline.children)

    def _import_level(
        self, conn: sqlite3.Connection, outlines: Sequence[Outline], parent_id: int | None, counts: list[int]
    ) -> None:
        for outline in outlines:
            if outline.url:
                url = outline.url.strip()
                known = conn.execute(
                    "SELECT 1 FROM feeds WHERE url = ? AND kind = ?", (url, outline.kind)
                ).fetchone()
                if known:
                    counts[1] += 1
                    continue
                conn.execute(
                    "INSERT INTO feeds(url, title, site_url, kind, folder_id, created) VALUES (?, ?, ?, ?, ?, ?)",
                    (url, " ".join(outline.title.split()), outline.site_url or None, outline.kind or FeedKind.FEED,
                     parent_id, now_ts()),
                )  # fmt: skip
                counts[0] += 1
                continue
            name = " ".join(outline.title.split()) or "Untitled"
            row = conn.execute(
                "SELECT id FROM folders WHERE parent_id IS ? AND name = ? COLLATE NOCASE ORDER BY id",
                (parent_id, name),
            ).fetchone()
            if row is None:
                position = conn.execute(
                    "SELECT COALESCE(MAX(position) + 1, 0) FROM folders WHERE parent_id IS ?", (parent_id,)
                ).fetchone()[0]
                folder_id = conn.execute(
                    "INSERT INTO folders(name, parent_id, position) VALUES (?, ?, ?)",
                    (name, parent_id, position),
                ).lastrowid
                counts[2] += 1
            else:
                folder_id = row[0]
            self._import_level(conn, outline.children, folder_id, counts)

    def export_outlines(self) -> list[Outline]:
        """The whole tree: at each level the folders (in their order) first, then the feeds by title."""
        folders = self._conn.execute(
            "SELECT id, name, parent_id FROM folders ORDER BY position, name COLLATE NOCASE, id"
        ).fetchall()
        feeds = self._conn.execute(
            "SELECT folder_id, url, title, site_url, kind FROM feeds "
            "ORDER BY CASE WHEN title = '' THEN url ELSE title END COLLATE NOCASE, id"
        ).fetchall()
        child_folders: dict[int | None, list[tuple]] = {}
        for row in folders:
            child_folders.setdefault(row[2], []).append(row)
        child_feeds: dict[int | None, list[Outline]] = {}
        for folder_id, url, title, site_url, kind in feeds:
            child_feeds.setdefault(folder_id, []).append(
                Outline(title=title or url, url=url, site_url=site_url, kind=kind)
            )

        def level(parent: int | None, seen: frozenset[int]) -> list[Outline]:
            items = [
                Outline(title=name, children=tuple(level(folder_id, seen | {folder_id})))
                for folder_id, name, _ in child_folders.get(parent, [])
                if folder_id not in seen  # a cycle cannot be made through the API; never loop if one exists
            ]
            return items + child_feeds.get(parent, [])

        return level(None, frozenset())
