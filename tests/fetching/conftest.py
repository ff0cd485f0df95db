"""Fixtures for the fetch engine: a real store in a temp dir, real HTTP servers on 127.0.0.x."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.fetching import FetchOptions, Refresher, RefreshReport
from app.storage import Store, open_store
from tests.support.http import LocalServer

# fast timeouts so misbehaving servers cost a test well under a second
TEST_OPTIONS = FetchOptions(connect_timeout=0.5, timeout=2.0, parse_workers=1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(tmp_path / "hearth.sqlite3")
    yield s
    s.close()


@pytest.fixture
def hosts() -> Iterator[Callable[[int], LocalServer]]:
    """`hosts(2)` is a started LocalServer on 127.0.0.2 (a second "host" is just another address)."""
    started: list[LocalServer] = []

    def make(n: int) -> LocalServer:
        srv = LocalServer(host=f"127.0.0.{n}").start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


def run_refresh(store: Store, *, feed_ids: list[int] | None = None, **overrides: object) -> RefreshReport:
    from dataclasses import replace

    options = replace(TEST_OPTIONS, **overrides) if overrides else TEST_OPTIONS
    with Refresher(store, options=options) as refresher:
        return refresher.refresh(all=feed_ids is None, feed_ids=feed_ids)
