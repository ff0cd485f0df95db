"""Feed icons: one in the disk cache shows at once; downloads wait for the window's first paint (the
download thread and its imports would slow the launch), then run through Hearth's fetcher."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QIcon, QImage

from app.config import Settings
from app.models import Feed
from app.ui.favicons import FaviconLoader, favicon_url
from app.ui.resource_fetcher import ResourceFetcher
from tests.support.http import LocalServer, Reply


def _png(colour: str) -> bytes:
    image = QImage(16, 16, QImage.Format.Format_ARGB32)
    image.fill(QColor(colour))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def test_cached_icons_show_at_once_and_downloads_wait_for_release(qtbot, tmp_path: Path) -> None:
    with LocalServer() as server:
        server.route("/favicon.ico", Reply(200, _png("red"), {"Content-Type": "image/png"}))
        fetcher = ResourceFetcher(tmp_path / "cache", Settings())
        try:
            cached = Feed(1, "https://cached.example/feed.xml", "Cached", site_url="https://cached.example/")
            remote = Feed(2, server.url("/feed.xml"), "Remote")
            path = fetcher.cached_path(favicon_url(cached) or "")
            path.parent.mkdir(parents=True)
            path.write_bytes(_png("blue"))
            icons: dict[int, QIcon] = {}
            loader = FaviconLoader(fetcher, icons.__setitem__, hold=True)
            loader.load([cached, remote])
            assert list(icons) == [1]  # from the disk cache, before any event loop turn
            qtbot.wait(300)
            assert server.requests == [] and list(icons) == [1]  # held: nothing downloaded yet
            loader.release()
            qtbot.waitUntil(lambda: 2 in icons, timeout=10000)
            assert [r.path for r in server.requests] == ["/favicon.ico"]
            assert icons[2].pixmap(16, 16).toImage().pixelColor(8, 8) == QColor("red")
            loader.load([Feed(3, server.url("/other.xml"), "Same site")])  # released: at once (cached now)
            assert 3 in icons and len(server.requests) == 1
        finally:
            fetcher.close()
