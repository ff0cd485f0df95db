"""Parsing off the event loop: feedparser costs milliseconds of CPU per feed, so bodies go to a small
process pool (started on first use, kept until `close`) running `app.feeds.parse.parse_feed`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
from concurrent.futures import BrokenExecutor
from typing import TYPE_CHECKING

from app.errors import FeedParseError
from app.fetching.options import mp_start_method
from app.i18n import _
from app.models import ParsedFeed

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent() -> None:
    """Worker initializer: a parse worker must not outlive Hearth (a killed app would leave it behind:
    with fork it holds both ends of its task pipe, so it never sees end-of-file)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(0)


def _parse(body: bytes, url: str, content_type: str | None, max_items: int) -> ParsedFeed:
    from app.feeds.parse import parse_feed

    return parse_feed(body, url=url, content_type=content_type, max_items=max_items)


class ParserPool:
    """`await pool.parse(body, url, content_type)`; with `workers=0` it parses in a thread instead."""

    def __init__(self, workers: int, start_method: str | None = None, *, max_items: int = 500) -> None:
        self.workers = workers
        self.max_items = max_items
        self.start_method = start_method
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                import multiprocessing  # with the pool: the window shows before either is needed
                from concurrent.futures import ProcessPoolExecutor

                method = mp_start_method(self.start_method)
                context = multiprocessing.get_context(method) if method else None
                if method == "forkserver":
                    context.set_forkserver_preload(["app.feeds.parse"])
                self._executor = ProcessPoolExecutor(
                    self.workers, mp_context=context, initializer=_die_with_parent
                )
                log.debug("started %d parse workers (%s)", self.workers, method or "default")
            return self._executor

    async def parse(self, body: bytes, url: str, content_type: str | None) -> ParsedFeed:
        loop = asyncio.get_running_loop()
        if self.workers <= 0:
            return await loop.run_in_executor(None, _parse, body, url, content_type, self.max_items)
        try:
            return await loop.run_in_executor(self._pool(), _parse, body, url, content_type, self.max_items)
        except BrokenExecutor:
            # a worker died (out of memory, killed): start a fresh pool and parse this one in-process
            log.warning("a parse worker died; restarting the pool")
            self._discard()
            return _parse(body, url, content_type, self.max_items)
        except FeedParseError:
            raise
        except (MemoryError, RecursionError) as exc:
            raise FeedParseError(
                f"the feed is too large or too deeply nested to parse ({type(exc).__name__})",
                hint=_("the server sends a broken feed"),
            ) from None

    def _discard(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
