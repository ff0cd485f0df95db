"""The SQLite connection: pragmas, explicit write transactions, and the value conversions every table uses.

Python's implicit transaction handling is off (`isolation_level=None`); writes go through
`StoreBase._write()`, which issues `BEGIN IMMEDIATE` so a writer waits for the lock up front
instead of failing half-way. Readers never wait for a writer: the database is in WAL mode.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.errors import StorageError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000


def connect(path: str | Path) -> sqlite3.Connection:
    """Open `path` with Hearth's pragmas: WAL, foreign keys on, a 5 s busy timeout."""
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; a crash loses at most the last commit
        conn.execute("PRAGMA temp_store = MEMORY")
    except sqlite3.DatabaseError as exc:
        if _error_name(exc).startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_FULL", "SQLITE_IOERR")):
            raise _storage_error(exc, path, opening=True) from exc
        raise StorageError(
            f"cannot open the database {path}: {exc}",
            hint="check the file is a Hearth database and the disk is writable (move a damaged file away)",
        ) from exc
    if str(mode).lower() != "wal" and str(path) != ":memory:":
        log.warning("database %s is in %s mode, not WAL; readers may wait for writers", path, mode)
    return conn


class StoreBase:
    """The connection and the write-transaction helper shared by the store's parts."""

    path: Path
    _conn: sqlite3.Connection

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._depth = 0

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (`BEGIN IMMEDIATE ... COMMIT`); nested calls join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield self._conn
            finally:
                self._depth -= 1
            return
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _storage_error(exc, self.path) from exc
        self._depth = 1
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except (sqlite3.OperationalError, sqlite3.DatabaseError) as exc:
            # locked past the timeout, disk full, read-only, I/O error, a damaged file: the whole
            # transaction is rolled back, so nothing is half-written. Constraint errors stay raw.
            if isinstance(exc, (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError)):
                self._rollback()
                raise
            self._rollback()
            raise _storage_error(exc, self.path) from exc
        except BaseException:
            self._rollback()
            raise
        finally:
            self._depth = 0

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.DatabaseError:  # SQLite may already have rolled back (SQLITE_FULL, IOERR)
                log.debug("rollback after a failed write", exc_info=True)

    def close(self) -> None:
        self._conn.close()


def _error_name(exc: sqlite3.Error) -> str:
    return str(getattr(exc, "sqlite_errorname", "") or "")


def _storage_error(exc: sqlite3.Error, path: str | Path = "", *, opening: bool = False) -> StorageError:
    """A user-facing error for a failed open or write, by SQLite's own error code."""
    name = _error_name(exc)
    where = Path(path).parent if path and str(path) != ":memory:" else None
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(exc) or "busy" in str(exc):
        return StorageError(
            f"the database is busy: {exc}", hint="another Hearth process is writing; try again"
        )
    if name.startswith("SQLITE_FULL"):
        return StorageError(
            "the disk is full: Hearth could not save this change (nothing was half-written; "
            "everything saved before is intact)",
            hint=f"free some space on the disk that holds {where or 'the data folder'}, then try again",
        )
    if name.startswith("SQLITE_READONLY") or (opening and name.startswith("SQLITE_CANTOPEN")):
        return StorageError(
            f"Hearth's data folder {where or ''} is read-only: nothing can be saved there".replace("  ", " "),
            hint="make the folder and hearth.sqlite3 writable, or choose another with --data-dir / HEARTH_DATA_DIR",
        )
    if name.startswith("SQLITE_IOERR"):
        return StorageError(
            f"the disk reported an I/O error while saving: {exc}",
            hint=f"check the disk that holds {where or 'the data folder'} (it may be full, removed or failing)",
        )
    return StorageError(
        f"the database refused a write: {exc}", hint="check the disk has space and is writable"
    )


def to_ts(value: datetime | None) -> float | None:
    """An aware datetime as unix seconds (a naive one is taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def from_ts(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def now_ts() -> float:
    return datetime.now(UTC).timestamp()


def dump_json(value: Any) -> str:
    """Canonical JSON (sorted keys, no spaces) so equal dicts compare equal in SQL."""
    return json.dumps(
        value if value is not None else {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def load_json(text: str | None, default: Any) -> Any:
    if not text:
        return default
    if text == "{}":  # most feeds: skip the parser (hearth list reads two of these per feed)
        return {}
    try:
        return json.loads(text)
    except ValueError:
        log.warning("ignoring malformed JSON in the database: %.60r", text)
        return default


def id_list(ids: Any) -> str:
    """Ids as a JSON array, for `IN (SELECT value FROM json_each(?))` with any number of ids."""
    return json.dumps([int(i) for i in ids])
