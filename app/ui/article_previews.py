"""What a rich list row shows besides its title: a plain-text snippet and the article's first image.

Nothing here runs on the GUI thread but bookkeeping. `PreviewCache.preview(id)` answers from memory or
queues the id; the queue goes to the database thread in one batch (`store.get_article` +
`html_to_text` there), and `changed` fires when the answers are in, so the view repaints those rows.
Thumbnails come through Hearth's own fetcher (app/ui/resource_fetcher.py, its disk cache) and are
decoded and scaled on a worker thread; with remote images off no image is ever asked for.
"""

from __future__ import annotations

import html as htmllib
import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from PySide6.QtCore import QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap

from app.models import Article
from app.text import html_to_text

log = logging.getLogger(__name__)

SNIPPET_CHARS = 240
MAX_PREVIEWS = 5000  # rows remembered (a few KB each at most)
MAX_THUMBNAILS = 400
THUMB_SIZE = QSize(64, 64)
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""\b(src|width|height)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)

Submit = Callable[[Callable[[Any], Any], Callable[[Any], None] | None], None]
BackgroundSubmit = Callable[[Callable[[], Any], Callable[[Any], None] | None], None]


@dataclass(frozen=True, slots=True)
class Preview:
    snippet: str
    image_url: str | None


def first_image(html: str, base: str | None = None) -> str | None:
    """The first http(s) `<img src>` of `html` that is not a tracking pixel (width or height of 1-2);
    a relative address is resolved against `base` (the article's own address)."""
    for tag in _IMG.finditer(html or ""):
        attrs: dict[str, str] = {}
        for match in _ATTR.finditer(tag.group(0)):
            attrs[match.group(1).lower()] = next(g for g in match.groups()[1:] if g is not None)
        src = htmllib.unescape(attrs.get("src", "")).strip()
        if src and base and not src.startswith(("http://", "https://", "data:")):
            src = urljoin(base, src)
        if not src.startswith(("http://", "https://")):
            continue
        if any(attrs.get(side, "").strip() in ("0", "1", "2") for side in ("width", "height")):
            continue
        return src
    return None


def preview_of(article: Article) -> Preview:
    """The snippet (the text's first SNIPPET_CHARS characters on one line) and the image a row shows."""
    html = article.content_html or article.summary_html
    text = " ".join(html_to_text(html).split())
    if len(text) > SNIPPET_CHARS:
        text = text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"
    base = article.url if article.url and article.url.startswith(("http://", "https://")) else None
    image = first_image(html, base)
    if image is None:
        image = next(
            (e.url for e in article.enclosures if e.type.startswith("image/") and e.url.startswith("http")),
            None,
        )
    return Preview(text, image)


def _previews(store: Any, ids: list[int]) -> dict[int, Preview]:
    """On the database thread: the previews of `ids` (articles deleted meanwhile are left out)."""
    from app.errors import NotFoundError

    found: dict[int, Preview] = {}
    for article_id in ids:
        try:
            found[article_id] = preview_of(store.get_article(article_id))
        except NotFoundError:
            continue
    return found


def _thumbnail(path: Path) -> QImage | None:
    """On a worker thread: the image at `path` scaled to cover THUMB_SIZE, centre-cropped."""
    image = QImage(str(path))
    if image.isNull():
        return None
    scaled = image.scaled(
        THUMB_SIZE, Qt.AspectRatioMode.KeepAspectRatioByExpanding, Qt.TransformationMode.SmoothTransformation
    )
    x = (scaled.width() - THUMB_SIZE.width()) // 2
    y = (scaled.height() - THUMB_SIZE.height()) // 2
    return scaled.copy(x, y, THUMB_SIZE.width(), THUMB_SIZE.height())


class PreviewCache(QObject):
    changed = Signal()  # some previews or thumbnails arrived: repaint

    def __init__(
        self,
        submit: Submit,
        fetcher: Any,
        background: BackgroundSubmit,
        remote_images: Callable[[], bool],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._submit = submit
        self._fetcher = fetcher
        self._background = background
        self._remote_images = remote_images
        self._previews: OrderedDict[int, Preview] = OrderedDict()
        self._wanted: list[int] = []
        self._asked: set[int] = set()
        self._thumbs: OrderedDict[str, QPixmap | None] = OrderedDict()
        self._thumbs_asked: set[str] = set()
        self._flush = QTimer(self, singleShot=True, interval=0)
        self._flush.timeout.connect(self._send)

    def preview(self, article_id: int) -> Preview | None:
        """The preview if known; otherwise None now and `changed` once it has been worked out."""
        found = self._previews.get(article_id)
        if found is not None:
            self._previews.move_to_end(article_id)
            return found
        if article_id not in self._asked:
            self._asked.add(article_id)
            self._wanted.append(article_id)
            self._flush.start()
        return None

    def forget(self, article_ids: Iterable[int] | None = None) -> None:
        """Drop remembered previews (all, or these articles' after new content arrived)."""
        if article_ids is None:
            self._previews.clear()
            self._asked.clear()
            return
        for article_id in article_ids:
            self._previews.pop(article_id, None)
            self._asked.discard(article_id)

    def thumbnail(self, url: str) -> QPixmap | None:
        """The row's thumbnail if it is ready; else None now (fetched and decoded off this thread)."""
        if url in self._thumbs:
            self._thumbs.move_to_end(url)
            return self._thumbs[url]
        if url in self._thumbs_asked or not self._remote_images():
            return None
        self._thumbs_asked.add(url)
        self._fetcher.fetch(url, lambda path, url=url: self._on_fetched(url, path))
        return None

    def _send(self) -> None:
        ids, self._wanted = self._wanted, []
        if ids:
            self._submit(lambda store: _previews(store, ids), self._on_previews)

    def _on_previews(self, found: dict[int, Preview]) -> None:
        self._previews.update(found)
        while len(self._previews) > MAX_PREVIEWS:
            old, _preview = self._previews.popitem(last=False)
            self._asked.discard(old)
        if found:
            self.changed.emit()

    def _on_fetched(self, url: str, path: Path | None) -> None:
        if path is None:
            self._store_thumb(url, None)
            return
        self._background(lambda: _thumbnail(path), lambda image, url=url: self._on_decoded(url, image))

    def _on_decoded(self, url: str, image: QImage | None) -> None:
        self._store_thumb(url, QPixmap.fromImage(image) if image is not None else None)

    def _store_thumb(self, url: str, pixmap: QPixmap | None) -> None:
        self._thumbs[url] = pixmap
        while len(self._thumbs) > MAX_THUMBNAILS:
            old, _pixmap = self._thumbs.popitem(last=False)
            self._thumbs_asked.discard(old)
        if pixmap is not None:
            self.changed.emit()


def previews_for(ctx: Any, remote_images: Callable[[], bool], parent: QObject | None = None) -> PreviewCache:
    """The window's preview cache: the database thread, Hearth's fetcher, the task pool for decoding."""
    return PreviewCache(ctx.db.submit, ctx.resources, ctx.tasks.submit, remote_images, parent)
