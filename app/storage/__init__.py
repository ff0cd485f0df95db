"""Hearth's SQLite storage: `open_store(path)` gives a `Store` (see app/storage/store.py)."""

from app.storage.migrations import SCHEMA_VERSION
from app.storage.store import Store, open_store

__all__ = ["SCHEMA_VERSION", "Store", "open_store"]
