"""Fixtures for storage tests: a real SQLite file per test, and a small factory for parsed items."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.models import ParsedItem
from app.storage import Store, open_store

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "hearth.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    s = open_store(db_path)
    yield s
    s.close()


def make_item(n: int, *, title: str | None = None, body: str | None = None, days_ago: float | None = None,
              published: datetime | None = None, **kw: object) -> ParsedItem:  # fmt: skip
    """Item number `n`; dated `days_ago` days before T0 when given."""
    if published is None and days_ago is not None:
        published = T0 - timedelta(days=days_ago)
    return ParsedItem(
        guid=f"urn:item:{n}",
        url=f"https://example.org/{n}",
        title=f"Item {n}" if title is None else title,
        published=published,
        content_html=f"<p>Body of item {n}</p>" if body is None else body,
        **kw,  # type: ignore[arg-type]
    )


def fts_ok(store: Store) -> None:
    """Raise if the FTS index disagrees with its content table (SQLite's own integrity check)."""
    store._conn.execute("INSERT INTO article_fts(article_fts, rank) VALUES ('integrity-check', 1)")
