"""What importing or exporting a subscription list did, counted the same way for the CLI and the window."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.models import Outline


@dataclass(frozen=True)
class OpmlImport:
    """One OPML import: feeds added, duplicates merged (in the file, or already subscribed), folders in the
    imported tree, and outlines set aside (unreadable ones, and commands that were not allowed)."""

    added: int
    duplicates: int
    folders: int
    skipped: int


@dataclass(frozen=True)
class OpmlExport:
    data: bytes
    feeds: int
    folders: int


def count_folders(outlines: Sequence[Outline]) -> int:
    return sum(1 + count_folders(o.children) for o in outlines if o.url is None)


def count_feeds(outlines: Sequence[Outline]) -> int:
    return sum(1 if o.url is not None else count_feeds(o.children) for o in outlines)
