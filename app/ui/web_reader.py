"""The article view: a locked-down QWebEngineView that renders articles like a browser's reader mode.

Page scripts, plugins, file: access and navigation are off; every request goes through the `hearth:`
scheme (reader_scheme), links open in the user's browser, and its off-the-record profile keeps
nothing on disk. Hearth itself still asks the page things with `runJavaScript` in the application
world (page scripts being off does not stop that), e.g. the layout width in tests.
"""

from __future__ import annotations

import atexit
import json
import logging
import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QWheelEvent
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineScript,
    QWebEngineSettings,
)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QWidget
from shiboken6 import Shiboken

from app.models import Article
from app.ui.reader_html import PageOptions, render_article, render_message
from app.ui.reader_scheme import SCHEME, ReaderSchemeHandler, RemoteRequestBlocker
from app.ui.resource_fetcher import ResourceFetcher
from app.ui.theme import LIGHT, ThemeColours, web_reader_css
from app.ui.webprofile import use_software_rendering

log = logging.getLogger(__name__)

OPENABLE_SCHEMES = ("http", "https", "mailto")
_OFF = (
    "JavascriptEnabled",
    "JavascriptCanOpenWindows",
    "JavascriptCanAccessClipboard",
    "JavascriptCanPaste",
    "LocalContentCanAccessRemoteUrls",
    "LocalContentCanAccessFileUrls",
    "LocalStorageEnabled",
    "PluginsEnabled",
    "PdfViewerEnabled",
    "FullScreenSupportEnabled",
    "ScreenCaptureEnabled",
    "WebGLEnabled",
    "Accelerated2dCanvasEnabled",
    "AllowGeolocationOnInsecureOrigins",
    "AllowWindowActivationFromJavaScript",
    "ErrorPageEnabled",
    "NavigateOnDropEnabled",
    "HyperlinkAuditingEnabled",
    "DnsPrefetchEnabled",
    "AutoLoadIconsForPage",
    "XSSAuditingEnabled",
)


_live_pages: weakref.WeakSet[QWebEnginePage] = weakref.WeakSet()


def reader_profile(fetcher: ResourceFetcher | None) -> QWebEngineProfile:
    """The app's one reader profile (made on first use, owned by the application so that it outlives
    every page); its scheme handler fetches through `fetcher`."""
    app = QCoreApplication.instance()
    profile = getattr(app, "_hearth_reader_profile", None)
    if profile is None:
        profile = make_reader_profile(app)
        app._hearth_reader_profile = profile  # type: ignore[union-attr]
        app.aboutToQuit.connect(release_reader_pages)  # type: ignore[union-attr]
        atexit.register(release_reader_pages)  # interpreter exit without quit() (tests, a crash path)
    profile.reader_handler.fetcher = fetcher
    return profile


def release_reader_pages() -> None:
    """Delete every reader page while its profile still lives: QtWebEngine crashes at exit when the
    profile goes first ("Release of profile requested but WebEnginePage still not deleted")."""
    for page in list(_live_pages):
        if Shiboken.isValid(page):
            Shiboken.delete(page)
    _live_pages.clear()


def make_reader_profile(parent: QObject | None) -> QWebEngineProfile:
    """An off-the-record profile whose only network is Hearth's scheme handler."""
    use_software_rendering()
    profile = QWebEngineProfile(parent)  # no storage name: off the record, nothing on disk
    profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
    profile.setPersistentCookiesPolicy(QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies)
    profile.setSpellCheckEnabled(False)
    profile.reader_handler = ReaderSchemeHandler(None, profile)  # type: ignore[attr-defined]
    profile.reader_blocker = RemoteRequestBlocker(profile)  # type: ignore[attr-defined]
    profile.installUrlSchemeHandler(SCHEME.encode("ascii"), profile.reader_handler)  # type: ignore[attr-defined]
    profile.setUrlRequestInterceptor(profile.reader_blocker)  # type: ignore[attr-defined]
    return profile


def lock_down(settings: QWebEngineSettings) -> None:
    attr = QWebEngineSettings.WebAttribute
    for name in _OFF:
        member = getattr(attr, name, None)
        if member is not None:
            settings.setAttribute(member, False)
    settings.setAttribute(attr.AutoLoadImages, True)  # images come through the scheme only
    settings.setAttribute(attr.PlaybackRequiresUserGesture, True)
    settings.setUnknownUrlSchemePolicy(QWebEngineSettings.UnknownUrlSchemePolicy.DisallowUnknownUrlSchemes)


class ReaderPage(QWebEnginePage):
    """Loads only hearth: pages; a clicked link goes to the user's browser instead."""

    link_clicked = Signal(QUrl)

    def acceptNavigationRequest(self, url: QUrl, kind: QWebEnginePage.NavigationType, is_main: bool) -> bool:
        if url.scheme() == SCHEME and kind != QWebEnginePage.NavigationType.NavigationTypeLinkClicked:
            return True
        if (
            kind == QWebEnginePage.NavigationType.NavigationTypeLinkClicked
            and url.scheme() in OPENABLE_SCHEMES
        ):
            self.link_clicked.emit(url)
        return False

    def createWindow(self, _kind: QWebEnginePage.WebWindowType) -> QWebEnginePage | None:
        return None  # target=_blank is stripped; anything else asking for a window gets none

    def javaScriptConsoleMessage(self, *_args: Any) -> None:
        return  # page scripts never run; Hearth's own probes log nothing


class WebReader(QWebEngineView):
    link_opened = Signal(QUrl)
    zoom_requested = Signal(int)  # +1 / -1 from Ctrl+wheel (the window owns the reading size)
    page_loaded = Signal(bool)

    def __init__(self, fetcher: ResourceFetcher | None, parent: QWidget | None = None) -> None:
        use_software_rendering()  # before QtWebEngine starts (webprofile)
        super().__init__(parent)
        self.setObjectName("webReader")
        self._profile = reader_profile(fetcher)
        self.handler: ReaderSchemeHandler = self._profile.reader_handler  # type: ignore[attr-defined]
        self.blocker: RemoteRequestBlocker = self._profile.reader_blocker  # type: ignore[attr-defined]
        self.handler.remote_images = True
        self.handler.served.clear()
        self.blocker.blocked.clear()
        page = ReaderPage(self._profile, self)
        _live_pages.add(page)
        lock_down(page.settings())
        page.link_clicked.connect(self._on_link_clicked)
        page.loadFinished.connect(self._on_load_finished)
        self.setPage(page)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.setAcceptDrops(False)
        self.article: Article | None = None
        self.loaded = False
        self._feed_title = ""
        self._colours: ThemeColours = LIGHT
        self._font_px = 16
        self._message: tuple[str, list[str]] = ("", [])
        self._wheel_target: QObject | None = None
        self._restore_y: float | None = None  # where to scroll back to once the re-rendered page has loaded
        self._marked: tuple[str, str] | None = None  # set_marked_text waiting for the page to load

    # content ------------------------------------------------------------------------------------
    def configure(self, colours: ThemeColours, font_px: int, remote_images: bool) -> None:
        """Theme, reading size and remote images; re-renders what is shown if anything changed."""
        changed = (colours, font_px, remote_images) != (
            self._colours,
            self._font_px,
            self.handler.remote_images,
        )
        self._colours, self._font_px = colours, font_px
        self.handler.remote_images = remote_images
        self.page().setBackgroundColor(QColor(colours.base))
        if changed:
            self._render_current()

    def show_article(self, article: Article, feed_title: str = "", *, keep_scroll: bool = False) -> None:
        """Show `article`; keep_scroll re-renders the same article where the reader was (a translation
        arriving block by block, the Original / Translated toggle)."""
        if not keep_scroll:
            self._restore_y = None
        elif self.loaded:
            self._restore_y = self.page().scrollPosition().y()
        self.article = article
        self._feed_title = feed_title
        self._render_current()

    def show_message(self, heading: str, paragraphs: list[str]) -> None:
        self.article = None
        self._message = (heading, paragraphs)
        self._render_current()

    def _render_current(self) -> None:
        css = web_reader_css(self._colours, self._font_px)
        if self.article is not None:
            options = PageOptions(css=css, remote_images=self.handler.remote_images)
            html = render_article(self.article, self._feed_title, options)
        else:
            html = render_message(css, *self._message)
        self.loaded = False
        self._marked = None
        self.page().load(QUrl(self.handler.add_page(html)))

    def _on_load_finished(self, ok: bool) -> None:
        self.loaded = ok
        self._watch_wheel()
        if ok and self._restore_y:
            self.evaluate(f"window.scrollTo(0, {float(self._restore_y)})", lambda _r: None)
        self._restore_y = None
        if ok and self._marked is not None:
            self.set_marked_text(*self._marked)
        self.page_loaded.emit(ok)

    def set_marked_text(self, marker: str, text: str) -> None:
        """Replace the text of the one text node that starts with `marker` (kept in front) without re-rendering:
        the block of a translation being written. Waits for a page still loading; a new page forgets it."""
        if not self.loaded:
            self._marked = (marker, text)
            return
        self._marked = None
        script = (
            "(function(m, t){const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);"
            "while (w.nextNode()) { if (w.currentNode.data.startsWith(m)) { w.currentNode.data = m + t; return; } }"
            f"}})({json.dumps(marker)}, {json.dumps(text)})"
        )
        self.evaluate(script, lambda _r: None)

    # asking the page (application world: works with page scripts off) -------------------------
    def evaluate(self, script: str, callback: Callable[[Any], None]) -> None:
        self.page().runJavaScript(script, QWebEngineScript.ScriptWorldId.ApplicationWorld, callback)

    # scrolling ----------------------------------------------------------------------------------
    def scroll_page(self) -> bool:
        """Scroll down one page; False when already at the bottom or not laid out yet (the caller moves on)."""
        page = self.page()
        if not self.loaded:
            return False
        bottom = page.scrollPosition().y() + self.height() / max(page.zoomFactor(), 0.1)
        if bottom >= page.contentsSize().height() - 2:
            return False
        self.evaluate(f"window.scrollBy(0, {max(40, self.height() - 40)})", lambda _r: None)
        return True

    # links and Ctrl+wheel -----------------------------------------------------------------------
    def _on_link_clicked(self, url: QUrl) -> None:
        self.link_opened.emit(url)
        if not QDesktopServices.openUrl(url):
            log.info("no browser could open %s", url.toString())

    def _watch_wheel(self) -> None:
        target = self.focusProxy()
        if target is not None and target is not self._wheel_target:
            target.installEventFilter(self)
            self._wheel_target = target

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        wheel = event.type() == QEvent.Type.Wheel and isinstance(event, QWheelEvent)
        if wheel and event.modifiers() & Qt.KeyboardModifier.ControlModifier:  # type: ignore[attr-defined]
            delta = event.angleDelta().y()  # type: ignore[attr-defined]
            if delta:
                self.zoom_requested.emit(1 if delta > 0 else -1)
            return True
        return super().eventFilter(watched, event)
