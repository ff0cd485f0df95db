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
    """Calls `on_icon(feed_id, icon)` (GUI thread) for every feed whose icon can be had."""

    def __init__(self, fetcher: ResourceFetcher, on_icon: Callable[[int, QIcon], None]) -> None:
        self._fetcher = fetcher
        self._on_icon = on_icon
        self._requested: dict[int, str] = {}

    def load(self, feeds: Iterable[Feed]) -> None:
        for feed in feeds:
            url = favicon_url(feed)
            if url is None or self._requested.get(feed.id) == url:
                continue
            self._requested[feed.id] = url
            self._fetcher.fetch(url, lambda path, feed_id=feed.id: self._loaded(feed_id, path))

    def _loaded(self, feed_id: int, path: Path | None) -> None:
        if path is None:
            return
        pixmap = QPixmap(str(path))
        if pixmap.isNull():
            log.debug("favicon for feed %s is not an image", feed_id)
            return
        self._on_icon(feed_id, QIcon(pixmap))
