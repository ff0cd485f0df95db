"""Feed icons: the feed's icon URL or its site's /favicon.ico, fetched off the GUI thread and cached on disk."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtGui import QIcon, QPixmap

from app.models import Feed
from app.ui.resource_fetcher import ResourceFetcher

log = logging.getLogger(__name__)


def favicon_url(feed: Feed) -> str | None:
    if feed.icon_url:
        return feed.icon_url
    base = feed.site_url or feed.url
    parts = urlsplit(base or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}/favicon.ico"


class FaviconLoader:
    """Calls `on_icon(feed_id, icon)` (GUI thread) for every feed whose icon can be had. With `hold`, icons
    in the disk cache show at once and downloads wait for `release()` (the window's first paint: starting
    the download thread and its imports would slow the launch)."""

    def __init__(
        self, fetcher: ResourceFetcher, on_icon: Callable[[int, QIcon], None], *, hold: bool = False
    ) -> None:
        self._fetcher = fetcher
        self._on_icon = on_icon
        self._requested: dict[int, str] = {}
        self._held: list[tuple[int, str]] | None = [] if hold else None

    def load(self, feeds: Iterable[Feed]) -> None:
        for feed in feeds:
            url = favicon_url(feed)
            if url is None or self._requested.get(feed.id) == url:
                continue
            self._requested[feed.id] = url
            cached = self._fetcher.cached(url)
            if cached is not None:
                self._loaded(feed.id, cached)
            elif self._held is not None:
                self._held.append((feed.id, url))
            else:
                self._fetch(feed.id, url)

    def release(self) -> None:
        """Start the downloads held back (and download at once from now on)."""
        held, self._held = self._held or [], None
        for feed_id, url in held:
            if self._requested.get(feed_id) == url:  # not asked for another URL meanwhile
                self._fetch(feed_id, url)

    def _fetch(self, feed_id: int, url: str) -> None:
        self._fetcher.fetch(url, lambda path: self._loaded(feed_id, path))

    def _loaded(self, feed_id: int, path: Path | None) -> None:
        if path is None:
            return
        pixmap = QPixmap(str(path))
        if pixmap.isNull():
            log.debug("favicon for feed %s is not an image", feed_id)
            return
        self._on_icon(feed_id, QIcon(pixmap))
