"""The reader pane: the web article view, with the light text view standing in until it exists.

The window paints first with the QTextBrowser reader (cheap); right after the first paint the pane
builds the QtWebEngine reader (web_reader) and shows everything in it from then on. Where QtWebEngine
is missing the text reader simply stays. Callers see one widget with one API either way.
"""

from __future__ import annotations

import dataclasses
import html
import logging

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QStackedWidget, QWidget

from app.models import Article
from app.ui.reader_view import OPENABLE_SCHEMES, PLACEHOLDER, WELCOME_TITLE, ReaderView, welcome_paragraphs
from app.ui.resource_fetcher import ResourceFetcher
from app.ui.theme import LIGHT, ThemeColours

log = logging.getLogger(__name__)

DEFAULT_FONT_PX = 16
MIN_FONT_PX = 10
MAX_FONT_PX = 32


class ReaderPane(QStackedWidget):
    anchorClicked = Signal(QUrl)  # a link in the article was clicked (both views)
    link_opened = Signal(QUrl)
    no_browser = Signal(QUrl)  # the system has no browser for this link
    font_size_changed = Signal(int)
    web_ready = Signal()

    def __init__(self, fetcher: ResourceFetcher | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("readerPane")
        self._fetcher = fetcher
        self.text_view = ReaderView(fetcher)
        self.text_view.anchorClicked.disconnect()
        self.text_view.anchorClicked.connect(self.anchorClicked)
        self.anchorClicked.connect(self._open_link)
        self.addWidget(self.text_view)
        self.web: object | None = None  # app.ui.web_reader.WebReader once built
        self.article: Article | None = None
        self._feed_title = ""
        self._message: tuple[str, list[str]] = ("", [html.escape(str(PLACEHOLDER))])
        self._colours: ThemeColours = LIGHT
        self.font_px = DEFAULT_FONT_PX
        self.remote_images = True
        self.translated: tuple[str, str] | None = None  # (title, html) shown instead of the article's own

    # building the web view (after the first paint) -----------------------------------------------
    def enable_web(self) -> bool:
        """Build the QtWebEngine reader and move what is shown into it; False where it cannot run."""
        if self.web is not None:
            return True
        try:
            from app.ui.web_reader import WebReader
        except ImportError as exc:
            log.warning("QtWebEngine is unavailable, articles show in the simple reader: %s", exc)
            return False
        web = WebReader(self._fetcher, self)
        web.page().link_clicked.disconnect()
        web.page().link_clicked.connect(self.anchorClicked)
        web.zoom_requested.connect(self.zoom)
        web.configure(self._colours, self.font_px, self.remote_images)
        self.web = web
        self.addWidget(web)
        self._show_current()
        self.setCurrentWidget(web)
        self.web_ready.emit()
        return True

    # content ------------------------------------------------------------------------------------
    def set_colours(self, colours: ThemeColours) -> None:
        self._colours = colours
        self.text_view.set_colours(colours)
        if self.web is not None:
            self.web.configure(colours, self.font_px, self.remote_images)  # type: ignore[attr-defined]

    def set_remote_images(self, on: bool) -> None:
        self.remote_images = on
        if self.web is not None:
            self.web.configure(self._colours, self.font_px, on)  # type: ignore[attr-defined]

    def show_placeholder(self, text: str = "") -> None:
        text = text or str(PLACEHOLDER)
        self.article = None
        self.translated = None
        self._message = ("", [html.escape(text)])
        self.text_view.show_placeholder(text)
        if self.web is not None:
            self.web.show_message("", [html.escape(text)])  # type: ignore[attr-defined]

    def show_welcome(self) -> None:
        self.article = None
        self.translated = None
        self.text_view.show_welcome()
        self._message = (str(WELCOME_TITLE), welcome_paragraphs())
        if self.web is not None:
            self.web.show_message(*self._message)  # type: ignore[attr-defined]

    def show_article(self, article: Article, feed_title: str = "") -> None:
        self.article = article
        self._feed_title = feed_title
        self.translated = None
        self._render(article, keep_scroll=False)

    def show_translation(self, title: str, body_html: str) -> None:
        """Show the current article's translation (its layout kept); `article` stays the original."""
        if self.article is None:
            return
        self.translated = (title, body_html)
        self._render(self._shown())

    def update_marked_text(self, marker: str, text: str) -> None:
        """The translation's block being written, in place (the web reader; the text view waits for the block)."""
        if self.web is not None and self.translated is not None:
            self.web.set_marked_text(marker, text)  # type: ignore[attr-defined]

    def show_original(self) -> None:
        if self.article is not None:
            self.translated = None
            self._render(self.article)

    def _shown(self) -> Article:
        assert self.article is not None
        if self.translated is None:
            return self.article
        title, body = self.translated
        return dataclasses.replace(self.article, title=title or self.article.title, content_html=body)

    def _render(self, article: Article, *, keep_scroll: bool = True) -> None:
        """Show `article`; keep_scroll (the same article re-rendered: translated or back) stays where it was."""
        if self.web is not None:
            self.web.show_article(article, self._feed_title, keep_scroll=keep_scroll)  # type: ignore[attr-defined]
            return
        bar = self.text_view.verticalScrollBar()
        where = bar.value()
        self.text_view.show_article(article, self._feed_title)
        if keep_scroll:
            bar.setValue(where)

    def _show_current(self) -> None:
        assert self.web is not None
        if self.article is not None:
            self.web.show_article(self._shown(), self._feed_title)  # type: ignore[attr-defined]
        else:
            self.web.show_message(*self._message)  # type: ignore[attr-defined]

    def toPlainText(self) -> str:
        if self.web is None:
            return self.text_view.toPlainText()
        if self.article is not None:
            shown = self._shown()
            body = shown.content_html or shown.summary_html or ""
            return f"{shown.title}\n{_text_of(body)}"
        heading, paragraphs = self._message
        return "\n".join([heading, *(_text_of(p) for p in paragraphs)]).strip()

    # reading size -------------------------------------------------------------------------------
    def set_font_px(self, px: int) -> None:
        px = max(MIN_FONT_PX, min(MAX_FONT_PX, int(px)))
        if px == self.font_px:
            return
        self.font_px = px
        if self.web is not None:
            self.web.configure(self._colours, px, self.remote_images)  # type: ignore[attr-defined]
        self.text_view.set_font_px(px)
        self.font_size_changed.emit(px)

    def zoom(self, step: int) -> None:
        """Ctrl++ / Ctrl+- / Ctrl+wheel: one pixel of reading size per step; 0 goes back to the default."""
        self.set_font_px(DEFAULT_FONT_PX if step == 0 else self.font_px + step)

    # scrolling and links ------------------------------------------------------------------------
    def scroll_page(self) -> bool:
        if self.web is not None:
            return self.web.scroll_page()  # type: ignore[attr-defined]
        return self.text_view.scroll_page()

    def _open_link(self, url: QUrl) -> None:
        if url.scheme() not in OPENABLE_SCHEMES:
            return
        self.link_opened.emit(url)
        if not QDesktopServices.openUrl(url):
            self.no_browser.emit(url)


def _text_of(fragment: str) -> str:
    if not fragment.strip():
        return ""
    import lxml.html  # not at import: the window paints before anything needs it
    from lxml import etree

    try:
        return lxml.html.fragment_fromstring(fragment, create_parent="div").text_content()
    except (etree.ParserError, ValueError):
        return fragment
