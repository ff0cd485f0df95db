"""Folders: a tree (parent_id) of named groups of feeds; names are unique among siblings."""

from __future__ import annotations

import sqlite3

from app.errors import NotFoundError, StorageError
from app.models import Folder
from app.storage.db import StoreBase

_COLUMNS = "id, name, parent_id, position"


def _folder(row: sqlite3.Row | tuple) -> Folder:
    return Folder(id=row[0], name=row[1], parent_id=row[2], position=row[3])


class FolderStore(StoreBase):
    def add_folder(self, name: str, parent_id: int | None = None) -> Folder:
        name = _clean_name(name)
        with self._write() as conn:
            if parent_id is not None:
                self.get_folder(parent_id)
            self._refuse_sibling_name(name, parent_id, None)
            position = conn.execute(
                "SELECT COALESCE(MAX(position) + 1, 0) FROM folders WHERE parent_id IS ?", (parent_id,)
            ).fetchone()[0]
            cur = conn.execute(
                "INSERT INTO folders(name, parent_id, position) VALUES (?, ?, ?)", (name, parent_id, position)
            )
            return Folder(id=int(cur.lastrowid or 0), name=name, parent_id=parent_id, position=position)

    def rename_folder(self, folder_id: int, name: str) -> None:
        name = _clean_name(name)
        with self._write() as conn:
            folder = self.get_folder(folder_id)
            self._refuse_sibling_name(name, folder.parent_id, folder_id)
            conn.execute("UPDATE folders SET name = ? WHERE id = ?", (name, folder_id))

    def move_folder(self, folder_id: int, parent_id: int | None) -> None:
        """Re-parent a folder; refuses to put a folder inside itself or one of its descendants."""
        with self._write() as conn:
            folder = self.get_folder(folder_id)
            if parent_id is not None:
                self.get_folder(parent_id)
                if parent_id in self._subtree_ids(folder_id):
                    raise StorageError(
                        f"cannot move folder {folder.name!r} inside itself",
                        hint="choose a folder outside the one being moved",
                    )
            self._refuse_sibling_name(folder.name, parent_id, folder_id)
            conn.execute("UPDATE folders SET parent_id = ? WHERE id = ?", (parent_id, folder_id))

    def remove_folder(self, folder_id: int) -> None:
        """Delete a folder; its feeds and sub-folders move up to its parent."""
        with self._write() as conn:
            folder = self.get_folder(folder_id)
            conn.execute("UPDATE feeds SET folder_id = ? WHERE folder_id = ?", (folder.parent_id, folder_id))
            conn.execute(
                "UPDATE folders SET parent_id = ? WHERE parent_id = ?", (folder.parent_id, folder_id)
            )
            conn.execute("DELETE FROM folders WHERE id = ?", (folder_id,))

    def list_folders(self) -> list[Folder]:
        """Every folder in tree order: each parent before its children, siblings by position then name."""
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM folders ORDER BY position, name COLLATE NOCASE, id"
        )
        children: dict[int | None, list[Folder]] = {}
        for row in rows:
            folder = _folder(row)
            children.setdefault(folder.parent_id, []).append(folder)
        ordered: list[Folder] = []
        stack = list(reversed(children.get(None, [])))
        while stack:
            folder = stack.pop()
            ordered.append(folder)
            stack.extend(reversed(children.pop(folder.id, [])))
        return ordered

    def get_folder(self, folder_id: int) -> Folder:
        row = self._conn.execute(f"SELECT {_COLUMNS} FROM folders WHERE id = ?", (folder_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no folder with id {folder_id}", hint="`hearth list` shows the folders")
        return _folder(row)

    def find_folder(self, name: str, parent_id: int | None = None) -> Folder | None:
        """The folder called `name` (case-insensitive) directly under `parent_id`, if any."""
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM folders WHERE parent_id IS ? AND name = ? COLLATE NOCASE ORDER BY id",
            (parent_id, name.strip()),
        ).fetchone()
        return None if row is None else _folder(row)

    def _subtree_ids(self, folder_id: int) -> list[int]:
        """`folder_id` and every folder below it."""
        rows = self._conn.execute(
            """WITH RECURSIVE tree(id) AS (
                   SELECT ? UNION SELECT f.id FROM folders f JOIN tree ON f.parent_id = tree.id)
               SELECT id FROM tree""",
            (folder_id,),
        )
        return [row[0] for row in rows]

    def _refuse_sibling_name(self, name: str, parent_id: int | None, folder_id: int | None) -> None:
        other = self.find_folder(name, parent_id)
        if other is not None and other.id != folder_id:
            raise StorageError(
                f"a folder named {other.name!r} already exists there", hint="pick another name"
            )


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise StorageError("a folder needs a name")
    return name
