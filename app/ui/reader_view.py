"""The reader: a QTextBrowser showing one sanitised article with the theme's stylesheet.

Images come only from Hearth's ResourceFetcher (disk cache, off the GUI thread); the view itself
never loads anything: `loadResource` answers from the cache or with a blank and re-renders on arrival.
Links open in the system browser.
"""

from __future__ import annotations

import base64
import html
import logging
from pathlib import Path
from string import Template
from typing import Any

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QImage, QTextDocument
from PySide6.QtWidgets import QTextBrowser, QWidget

from app.config import resources_dir
from app.dates import format_long_date
from app.i18n import _, lazy_gettext
from app.models import Article
from app.ui.resource_fetcher import ResourceFetcher
from app.ui.theme import LIGHT, ThemeColours, reader_css

log = logging.getLogger(__name__)

OPENABLE_SCHEMES = ("http", "https", "mailto")
PLACEHOLDER = lazy_gettext("Select an article to read it here.")
WELCOME_TITLE = lazy_gettext("Welcome to Hearth")


def welcome_paragraphs() -> list[str]:
    """What a new library shows, as trusted HTML paragraphs in the active language."""
    return [
        _(
            "<b>Add your first feed:</b> press Ctrl+N (File → Add feed…) and paste a site's address, a feed "
            "URL, or a Zhihu page — Hearth finds the feed or turns the page into one."
        ),
        _("<b>Coming from another reader?</b> File → Import OPML… brings your subscriptions and folders."),
        _(
            "Hearth fetches everything itself, from this computer, and keeps refreshing in the background: "
            "closing the window leaves it in the tray. Press <b>?</b> for the keyboard shortcuts."
        ),
    ]


class ReaderView(QTextBrowser):
    link_opened = Signal(QUrl)

    def __init__(self, fetcher: ResourceFetcher | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reader")
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._on_anchor_clicked)
        self._fetcher = fetcher
        self._colours = LIGHT
        self._font_px = 15
        self._template = Template((resources_dir() / "article" / "template.html").read_text(encoding="utf-8"))
        self._html = ""
        self.article: Article | None = None
        self._rerender = QTimer(self, singleShot=True, interval=60)
        self._rerender.timeout.connect(self._render_again)
        self.document().setDocumentMargin(24)
        self.show_placeholder()

    # content ------------------------------------------------------------------------------------
    def set_colours(self, colours: ThemeColours) -> None:
        self._colours = colours
        if self.article is not None:
            self.show_article(self.article, self._feed_title)
        else:
            self.show_placeholder()

    def set_font_px(self, px: int) -> None:
        self._font_px = px
        self.set_colours(self._colours)

    def show_placeholder(self, text: str = "") -> None:
        self.article = None
        self._feed_title = ""
        css = reader_css(self._colours, self._font_px)
        self._set_html(
            f"<html><head><style>{css}</style></head><body><p class='meta' align='center'>"
            f"<br><br>{html.escape(text or str(PLACEHOLDER))}</p></body></html>"
        )

    def show_welcome(self) -> None:
        """What a new library shows: how to get the first feeds in."""
        self.article = None
        self._feed_title = ""
        css = reader_css(self._colours, self._font_px)
        paragraphs = "".join(f"<p>{p}</p>" for p in welcome_paragraphs())
        self._set_html(
            f"<html><head><style>{css}</style></head><body><h1>{html.escape(str(WELCOME_TITLE))}</h1>"
            f"{paragraphs}</body></html>"
        )

    def show_article(self, article: Article, feed_title: str = "") -> None:
        self.article = article
        self._feed_title = feed_title
        self.document().setBaseUrl(QUrl(article.url or ""))
        self._set_html(self.render_html(article, feed_title))
        self.verticalScrollBar().setValue(0)

    def render_html(self, article: Article, feed_title: str) -> str:
        meta = [html.escape(feed_title)] if feed_title else []
        if article.author:
            meta.append(html.escape(article.author))
        when = article.published or article.updated or article.first_seen
        if when:
            meta.append(html.escape(format_long_date(when)))
        enclosures = "".join(
            "<p class='enclosure'>"
            + _("Attachment: <a href='{href}'>{name}</a> {kind}").format(
                href=html.escape(e.url, quote=True),
                name=html.escape(e.url.rsplit("/", 1)[-1] or e.url),
                kind=html.escape(e.type),
            )
            + "</p>"
            for e in article.enclosures
        )
        return self._template.safe_substitute(
            css=reader_css(self._colours, self._font_px),
            url=html.escape(article.url or "", quote=True),
            title=html.escape(article.title or _("(untitled)")),
            meta=" · ".join(meta),
            content=article.content_html
            or article.summary_html
            or "<p><i>" + html.escape(_("This article has no text.")) + "</i></p>",
            enclosures=enclosures,
        )

    def _set_html(self, text: str) -> None:
        self._html = text
        self.setHtml(text)

    def _render_again(self) -> None:
        position = self.verticalScrollBar().value()
        self.setHtml(self._html)
        self.verticalScrollBar().setValue(position)

    # scrolling ----------------------------------------------------------------------------------
    def scroll_page(self) -> bool:
        """Scroll down one page; False when already at the bottom (the caller moves on)."""
        bar = self.verticalScrollBar()
        if bar.value() >= bar.maximum():
            return False
        bar.setValue(bar.value() + max(1, bar.pageStep() - 40))
        return True

    # resources: only through Hearth's fetcher -------------------------------------------------------
    def loadResource(self, kind: int, url: QUrl | str) -> Any:
        if getattr(kind, "value", kind) != QTextDocument.ResourceType.ImageResource.value:
            return None  # no stylesheets or anything else from the network or the disk
        url = QUrl(url)
        text = url.toString()
        if url.scheme() == "data":
            return self._data_image(text)
        if url.scheme() not in ("http", "https") or self._fetcher is None:
            return QImage()
        path = self._fetcher.cached(text)
        if path is not None:
            return self._fit(QImage(str(path)))
        self._fetcher.fetch(text, self._on_image)
        return QImage()

    def _on_image(self, path: Path | None) -> None:
        if path is not None and self.article is not None:
            self._rerender.start()

    def _fit(self, image: QImage) -> QImage:
        limit = max(200, self.viewport().width() - 2 * int(self.document().documentMargin()) - 8)
        if not image.isNull() and image.width() > limit:
            return image.scaledToWidth(limit)
        return image

    def _data_image(self, text: str) -> QImage:
        header, _, payload = text.partition(",")
        image = QImage()
        if header.endswith(";base64"):
            try:
                image.loadFromData(base64.b64decode(payload))
            except ValueError:
                log.debug("bad data: image in article")
        return self._fit(image)

    def _on_anchor_clicked(self, url: QUrl) -> None:
        if url.scheme() in OPENABLE_SCHEMES:
            self.link_opened.emit(url)
            QDesktopServices.openUrl(url)
