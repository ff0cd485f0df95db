"""The web reader on the reader corpus (tests/fixtures/reader): nothing overflows a 480 px pane, code
scrolls on its own, images come only through Hearth's fetcher, page scripts never run, links go to the
browser. The page is asked with runJavaScript in the application world, which works with scripts off."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QBuffer, QIODevice, QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import QColor, QDesktopServices, QImage

from app.ui.reader_scheme import register_reader_scheme

register_reader_scheme()  # before the QApplication exists when this module is collected first

from app.config import Settings  # noqa: E402
from app.models import Article, Enclosure  # noqa: E402
from app.ui.resource_fetcher import ResourceFetcher  # noqa: E402
from tests.support.http import LocalServer, Reply  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "reader"
SIZES = {"wide-800.png": (800, 400), "wide-1600.png": (1600, 900), "small.png": (120, 80)}


def png(width: int, height: int) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#4a90d9"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


@pytest.fixture
def images(server: LocalServer) -> LocalServer:
    for name, (w, h) in SIZES.items():
        server.route(f"/img/{name}", Reply(200, png(w, h), {"Content-Type": "image/png"}))
    return server


@pytest.fixture
def reader(qtbot, tmp_path: Path) -> Any:
    from app.ui.web_reader import WebReader

    fetcher = ResourceFetcher(tmp_path / "cache", Settings())
    view = WebReader(fetcher)
    qtbot.addWidget(view)
    view.resize(480, 700)
    view.show()
    yield view
    fetcher.close()


def article(body: str, url: str, **extra: Any) -> Article:
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    fields = dict(
        id=1, feed_id=1, guid="g", url=url, title="A test article", author="Ann", published=now, updated=None,
        content_html=body, summary_html="", enclosures=(), first_seen=now,
    )  # fmt: skip
    fields.update(extra)
    return Article(**fields)


def show(qtbot, view: Any, item: Article) -> None:
    with qtbot.waitSignal(view.page_loaded, timeout=15000):
        view.show_article(item, "Test feed")


def ask(qtbot, view: Any, script: str) -> Any:
    """The value of `script` (an expression returning JSON text), evaluated by Hearth, not by the page."""
    answers: list[Any] = []
    view.evaluate(f"JSON.stringify({script})", answers.append)
    qtbot.waitUntil(lambda: bool(answers), timeout=10000)
    return json.loads(answers[0])


def wait_images(qtbot, view: Any) -> None:
    qtbot.waitUntil(
        lambda: ask(qtbot, view, "Array.from(document.images).every(i => i.complete)"), timeout=10000
    )


LAYOUT = """(() => {
  const doc = document.documentElement, body = document.body;
  const pres = Array.from(document.querySelectorAll('pre')).map(p => ({
    scroll: p.scrollWidth, client: p.clientWidth, overflow: getComputedStyle(p).overflowX}));
  const imgs = Array.from(document.images).map(i => {
    const r = i.getBoundingClientRect(), box = i.closest('p,figure,picture');
    const caption = box && box.querySelector('figcaption');
    const below = box ? box.getBoundingClientRect().bottom - r.bottom -
      (caption ? caption.getBoundingClientRect().height + parseFloat(getComputedStyle(caption).marginTop) : 0) : null;
    return {w: r.width, h: r.height, nw: i.naturalWidth, nh: i.naturalHeight, below}});
  return {scrollWidth: doc.scrollWidth, width: window.innerWidth, bodyWidth: body.clientWidth, pres, imgs,
          lang: doc.lang, dir: doc.dir, embeds: document.querySelectorAll('a.embed').length,
          iframes: document.querySelectorAll('iframe,video,object,embed').length};
})()"""


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.html")))
def test_corpus_article_fits_a_480px_pane(qtbot, reader, images: LocalServer, name: str) -> None:
    show(qtbot, reader, article((CORPUS / name).read_text(encoding="utf-8"), images.url("/post/1")))
    wait_images(qtbot, reader)
    layout = ask(qtbot, reader, LAYOUT)
    assert layout["width"] <= 480
    assert layout["scrollWidth"] <= layout["width"], layout  # no horizontal scrolling of the article
    for pre in layout["pres"]:
        assert pre["overflow"] == "auto"
    for img in layout["imgs"]:
        assert img["w"] <= layout["bodyWidth"]
        if img["nw"]:
            assert img["h"] == pytest.approx(img["w"] * img["nh"] / img["nw"], abs=2)  # scaled, not squashed
            if img["below"] is not None:
                assert img["below"] < 16  # no blank gap below the image
    if name == "code.html":
        assert layout["pres"] and layout["pres"][0]["scroll"] > layout["pres"][0]["client"]  # its own scroll
    if name == "wide_images.html":
        assert len(layout["imgs"]) == 3 and all(i["nw"] for i in layout["imgs"])
    if name == "cjk.html":
        assert layout["lang"] == "zh"
    if name == "rtl.html":
        assert layout["dir"] == "rtl"
    if name == "embeds.html":
        assert layout["embeds"] == 2 and layout["iframes"] == 0


def test_images_come_only_through_hearths_fetcher(qtbot, reader, images: LocalServer) -> None:
    show(qtbot, reader, article((CORPUS / "remote.html").read_text(), images.url("/post/1")))
    wait_images(qtbot, reader)
    assert ask(qtbot, reader, "document.images[0].src").startswith("hearth://res/")
    assert ask(qtbot, reader, "document.images[0].naturalWidth") == 120
    request = images.requests_to("/img/small.png")[0]
    assert request.headers["user-agent"].startswith("Hearth/")
    assert reader.handler.served == [images.url("/img/small.png")]


def test_the_interceptor_blocks_requests_not_made_through_the_scheme(
    qtbot, reader, images: LocalServer
) -> None:
    direct = images.url("/img/small.png")
    page = reader.handler.add_page(
        f"<html><head><link rel='stylesheet' href='{images.url('/style.css')}'></head><body>"
        f"<img src='{direct}'><img src='file:///etc/hostname'><iframe src='{images.url('/frame')}'></iframe>"
        "<script>document.title = 'script ran'</script></body></html>"
    )
    with qtbot.waitSignal(reader.page().loadFinished, timeout=15000):
        reader.page().load(QUrl(page))
    assert images.requests == []  # nothing reached the network
    assert direct in reader.blocker.blocked and images.url("/style.css") in reader.blocker.blocked
    assert reader.page().title() != "script ran"  # page scripts are off
    assert ask(qtbot, reader, "1 + 1") == 2  # ... while Hearth's own runJavaScript still works


def test_remote_images_can_be_switched_off(qtbot, reader, images: LocalServer) -> None:
    reader.configure(reader._colours, 16, remote_images=False)
    body = (CORPUS / "remote.html").read_text()
    item = article(
        body, images.url("/post/1"), enclosures=(Enclosure(images.url("/img/wide-800.png"), "image/png"),)
    )
    show(qtbot, reader, item)
    assert ask(qtbot, reader, "document.images.length") == 0
    assert ask(qtbot, reader, "document.querySelectorAll('a.image-off').length") == 1
    assert images.requests == []


def test_enclosures_show_images_and_a_podcast_player(qtbot, reader, images: LocalServer) -> None:
    enclosures = (
        Enclosure(images.url("/img/wide-800.png"), "image/png"),
        Enclosure(images.url("/episode.mp3"), "audio/mpeg", 30_000_000),
    )
    show(qtbot, reader, article("<p>Show notes.</p>", images.url("/post/1"), enclosures=enclosures))
    wait_images(qtbot, reader)
    found = ask(
        qtbot, reader,
        "{img: document.querySelector('figure.enclosure img').naturalWidth,"
        " audio: document.querySelector('audio').getAttribute('src'),"
        " controls: document.querySelector('audio').controls}",
    )  # fmt: skip
    assert found["img"] == 800 and found["controls"] is True
    assert found["audio"].startswith("hearth://res/") and found["audio"].endswith("?media=1")


def test_a_clicked_link_opens_in_the_browser_not_in_the_view(qtbot, reader, images: LocalServer) -> None:
    show(qtbot, reader, article((CORPUS / "embeds.html").read_text(), images.url("/post/1")))
    opened: list[str] = []

    class Catcher(QObject):
        @Slot(QUrl)
        def open(self, url: QUrl) -> None:
            opened.append(url.toString())

    catcher = Catcher()
    where = ask(qtbot, reader, "(() => {const r = document.querySelector('a.embed').getBoundingClientRect();"
                " return [r.left + 20, r.top + 10]})()")  # fmt: skip
    QDesktopServices.setUrlHandler("https", catcher, "open")
    try:
        target = reader.focusProxy()
        qtbot.mouseClick(target, Qt.MouseButton.LeftButton, pos=QPoint(int(where[0]), int(where[1])))
        qtbot.waitUntil(lambda: bool(opened), timeout=5000)
    finally:
        QDesktopServices.unsetUrlHandler("https")
    assert opened == ["https://www.youtube.com/embed/dQw4w9WgXcQ"]
    assert reader.page().url().scheme() == "hearth"  # the view itself did not navigate


def test_a_video_iframe_survives_sanitising_as_a_card(qtbot, reader, images: LocalServer) -> None:
    from app.feeds.sanitize import sanitize_html

    stored = sanitize_html(
        '<p>Watch:</p><iframe src="https://player.vimeo.com/video/1?a=1&amp;b=2" width="640"></iframe>',
        base_url="https://example.org/post",
    )
    assert "<iframe" not in stored  # the sanitiser never keeps the frame
    show(qtbot, reader, article(stored, images.url("/post/1")))
    card = ask(qtbot, reader, "[document.querySelectorAll('a.embed').length, document.querySelector('a.embed').href,"
               " document.querySelectorAll('iframe').length]")  # fmt: skip
    assert card == [1, "https://player.vimeo.com/video/1?a=1&b=2", 0]
