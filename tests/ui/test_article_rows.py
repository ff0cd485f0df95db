"""The article list's rich rows (issue 13): a snippet and a thumbnail painted by the delegate, worked out
off the GUI thread (the database thread, Hearth's fetcher), a compact mode with one line per row, and no
image request at all while remote images are off. Real store, real fetcher, a real 127.0.0.1 server."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QColor, QImage

from app.config import Settings
from app.models import ArticleQuery, Enclosure, ParsedItem
from app.storage import open_store
from app.ui.article_delegate import ArticleDelegate
from app.ui.article_list_view import ArticleListView
from app.ui.article_model import DATE, FEED, TITLE, ArticleListModel
from app.ui.article_previews import PreviewCache, first_image, preview_of
from app.ui.background import TaskPool
from app.ui.db_executor import DbExecutor
from app.ui.resource_fetcher import ResourceFetcher
from tests.support.http import LocalServer, Reply

RED = QColor(220, 20, 20)

# socket connections made by the GUI thread while a test watches (an audit hook cannot be removed, so it
# is installed once and records only while `_watch` holds a list)
_watch: list[list[str]] = []


def _audit(event: str, _args: tuple) -> None:
    if event == "socket.connect" and _watch and threading.current_thread() is threading.main_thread():
        _watch[-1].append(event)


sys.addaudithook(_audit)


def _png(colour: QColor, w: int = 200, h: int = 120) -> bytes:
    image = QImage(w, h, QImage.Format.Format_RGB32)
    image.fill(colour)
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    return bytes(buf.data().data())


class RecordingFetcher:
    """The real ResourceFetcher, with a note of every address asked of it (asked synchronously)."""

    def __init__(self, fetcher: ResourceFetcher) -> None:
        self.fetcher = fetcher
        self.asked: list[str] = []

    def fetch(self, url: str, on_done) -> None:
        self.asked.append(url)
        self.fetcher.fetch(url, on_done)


@dataclass
class ListRig:
    server: LocalServer
    view: ArticleListView
    model: ArticleListModel
    previews: PreviewCache
    remote: list[bool]
    fetcher: RecordingFetcher


@pytest.fixture
def rig(qtbot, tmp_path: Path) -> Iterator[ListRig]:
    with LocalServer() as server:
        server.route("/pic.png", Reply(200, _png(RED), {"Content-Type": "image/png"}))
        path = tmp_path / "hearth.sqlite3"
        now = datetime.now(UTC)
        with open_store(path) as store:
            feed = store.add_feed(server.url("/feed.xml"), title="Pictures")
            store.upsert_articles(feed.id, [
                ParsedItem(guid="a", url="https://example.org/a", title="With a picture",
                           published=now, content_html=f'<p>Lighthouses of the northern coast, '
                           f'photographed at dawn.</p><img src="{server.url("/pic.png")}" width="800">'),
                ParsedItem(guid="b", url="https://example.org/b", title="No text", published=now - timedelta(hours=1),
                           content_html=""),
            ])  # fmt: skip
        gui_store = open_store(path)
        db = DbExecutor(path)
        fetcher = ResourceFetcher(tmp_path / "cache", Settings())
        tasks = TaskPool(2)
        remote = [True]
        recording = RecordingFetcher(fetcher)
        previews = PreviewCache(db.submit, recording, tasks.submit, lambda: remote[0])
        model = ArticleListModel(gui_store)
        view = ArticleListView()
        qtbot.addWidget(view)
        view.setModel(model)
        view.setup_header()
        view.set_previews(previews, compact=False)
        view.resize(700, 400)
        try:
            yield ListRig(server, view, model, previews, remote, recording)
        finally:
            fetcher.close()
            db.close()
            gui_store.close()


def _row_band(view: ArticleListView, row: int) -> QImage:
    rect = view.visualRect(view.model().index(row, TITLE))
    return view.viewport().grab(rect).toImage()


def _count(image: QImage, test) -> int:
    return sum(
        1
        for y in range(0, image.height(), 2)
        for x in range(0, image.width(), 2)
        if test(image.pixelColor(x, y))
    )


def _is_red(c: QColor) -> bool:
    return c.red() > 180 and c.green() < 80 and c.blue() < 80


def test_rich_row_paints_snippet_and_thumbnail_fetched_off_the_gui_thread(qtbot, rig: ListRig) -> None:
    seen: list[str] = []
    _watch.append(seen)
    try:
        rig.model.set_query(ArticleQuery(smart="all"))
        rig.view.show()
        qtbot.waitExposed(rig.view)
        first = rig.model.article_id(0)
        assert first is not None
        qtbot.waitUntil(lambda: rig.previews.preview(first) is not None, timeout=10000)
        preview = rig.previews.preview(first)
        assert preview is not None and preview.snippet.startswith("Lighthouses of the northern coast")
        assert preview.image_url == rig.server.url("/pic.png")
        rig.view.viewport().repaint()  # asks for the thumbnail
        qtbot.waitUntil(lambda: rig.previews.thumbnail(preview.image_url) is not None, timeout=10000)
        rig.view.viewport().repaint()
    finally:
        _watch.remove(seen)
    assert seen == []  # the image came through the fetcher's thread, never a GUI-thread socket
    assert len(rig.server.requests_to("/pic.png")) == 1
    assert rig.fetcher.asked == [rig.server.url("/pic.png")]  # asked once, though painted many times
    band = _row_band(rig.view, 0)
    right = band.copy(band.width() - 90, 0, 90, band.height())
    assert _count(right, _is_red) > 200  # the thumbnail, at the right
    left = band.copy(0, 0, band.width() - 100, band.height())
    assert _count(left, _is_red) == 0
    # the snippet's band (between the title and the feed line) has ink only where there is a snippet
    base = rig.view.palette().color(rig.view.viewport().backgroundRole())

    def snippet_ink(row: int) -> int:
        rect = rig.view.visualRect(rig.model.index(row, TITLE))
        band = rig.view.delegate.snippet_band(rect, rig.view.font()).adjusted(0, 0, -100, 0)
        shot = rig.view.viewport().grab(band).toImage()
        return _count(shot, lambda c: abs(c.lightness() - base.lightness()) > 40)

    assert snippet_ink(0) > 30
    assert snippet_ink(1) == 0  # the article without text


def test_compact_mode_is_one_line_with_the_feed_and_date_columns(qtbot, rig: ListRig) -> None:
    rig.model.set_query(ArticleQuery(smart="all"))
    rig.view.show()
    qtbot.waitExposed(rig.view)
    rich_height = rig.view.visualRect(rig.model.index(0, TITLE)).height()
    assert rig.view.isColumnHidden(FEED) and rig.view.isColumnHidden(DATE)
    rig.view.set_compact(True)
    compact_height = rig.view.visualRect(rig.model.index(0, TITLE)).height()
    assert compact_height < rich_height
    assert compact_height < 2.2 * rig.view.fontMetrics().height()
    assert rich_height >= 3 * rig.view.fontMetrics().height()
    assert not rig.view.isColumnHidden(FEED) and not rig.view.isColumnHidden(DATE)
    rig.view.set_compact(False)
    assert rig.view.visualRect(rig.model.index(0, TITLE)).height() == rich_height
    # the narrow-list rule still hides the Feed column in compact mode
    rig.view.set_feed_column_hidden(True)
    rig.view.set_compact(True)
    assert rig.view.isColumnHidden(FEED) and not rig.view.isColumnHidden(DATE)


def test_remote_images_off_means_no_request_to_the_image_server(qtbot, rig: ListRig) -> None:
    rig.remote[0] = False
    rig.model.set_query(ArticleQuery(smart="all"))
    rig.view.show()
    qtbot.waitExposed(rig.view)
    first = rig.model.article_id(0)
    assert first is not None
    qtbot.waitUntil(lambda: rig.previews.preview(first) is not None, timeout=10000)
    rig.view.viewport().repaint()  # paints the row with its preview: a thumbnail would be asked for here
    url = rig.previews.preview(first).image_url  # type: ignore[union-attr]
    assert url is not None and rig.previews.thumbnail(url) is None
    assert rig.fetcher.asked == []  # nothing asked of the fetcher, so nothing can reach the server
    assert rig.server.requests_to("/pic.png") == []
    band = _row_band(rig.view, 0)
    assert _count(band, _is_red) == 0


def test_delegate_without_previews_is_compact() -> None:
    delegate = ArticleDelegate(None)
    assert delegate.compact


def test_previews_skip_tracking_pixels_and_fall_back_to_an_image_enclosure() -> None:
    html = '<img src="https://t.example/p.gif" width="1" height="1"><img src="data:x"><img src=\'https://e.org/b.jpg\'>'
    assert first_image(html) == "https://e.org/b.jpg"
    assert first_image("<p>no pictures</p>") is None
    assert (
        first_image('<img src="/img/a.png">', "https://site.example/post/1")
        == "https://site.example/img/a.png"
    )
    assert first_image('<img src="/img/a.png">') is None  # relative, and nothing to resolve it against
    from app.models import Article

    article = Article(
        id=1, feed_id=1, guid="g", url=None, title="t", author=None, published=None, updated=None,
        content_html="<p>" + "word " * 200 + "</p>", summary_html="",
        enclosures=(Enclosure("https://e.org/a.mp3", "audio/mpeg"), Enclosure("https://e.org/c.png", "image/png")),
        first_seen=datetime.now(UTC),
    )  # fmt: skip
    preview = preview_of(article)
    assert preview.image_url == "https://e.org/c.png"
    assert preview.snippet.endswith("…") and len(preview.snippet) <= 241 and "\n" not in preview.snippet
