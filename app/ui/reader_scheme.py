"""The web reader's only way out: the `hearth:` scheme, answered from Hearth's own fetcher and cache.

`hearth://page/<n>` is the article page itself (kept in memory), `hearth://res/<token>` an image or
media file fetched by ResourceFetcher (disk cache, Hearth's client, proxy and politeness) and answered
when it arrives. The request interceptor blocks every other request the page makes (http, https,
file, ws ...), so no byte reaches the network except through Hearth.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QFile, QIODevice, QMimeDatabase, QObject
from PySide6.QtWebEngineCore import (
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)

from app.ui.reader_url import RESOURCE_HOST, SCHEME, original_url

if TYPE_CHECKING:
    from app.ui.resource_fetcher import ResourceFetcher

log = logging.getLogger(__name__)

PAGE_HOST = "page"
PAGES_KEPT = 4  # back/forward is off; a few pages cover a reload racing a new article
MEDIA_MAX_BYTES = 400 * 1024 * 1024  # a long podcast episode
_SCHEME_BYTES = SCHEME.encode("ascii")


def register_reader_scheme() -> None:
    """Declare `hearth:` to QtWebEngine; must run before the QApplication exists (later: a no-op)."""
    if QCoreApplication.instance() is not None or QWebEngineUrlScheme.schemeByName(_SCHEME_BYTES).name():
        return
    scheme = QWebEngineUrlScheme(_SCHEME_BYTES)
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    flags = QWebEngineUrlScheme.Flag
    # Secure: treated like https. Not Local (a local page could not load its own images then), no CORS
    # or fetch(): the page has nothing else to talk to, and the interceptor blocks every other scheme.
    scheme.setFlags(flags.SecureScheme)
    QWebEngineUrlScheme.registerScheme(scheme)


class RemoteRequestBlocker(QWebEngineUrlRequestInterceptor):
    """Lets through only `hearth:` (and inline data:) requests; counts what it blocked (for tests)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.blocked: list[str] = []

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        scheme = info.requestUrl().scheme()
        if scheme in (SCHEME, "data"):
            return
        info.block(True)
        url = info.requestUrl().toString()
        if len(self.blocked) < 200:
            self.blocked.append(url)
        log.debug("reader: blocked %s", url)


class ReaderSchemeHandler(QWebEngineUrlSchemeHandler):
    def __init__(self, fetcher: ResourceFetcher | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fetcher = fetcher
        self._pages: OrderedDict[str, bytes] = OrderedDict()
        self._counter = 0
        self._mime = QMimeDatabase()
        self.remote_images = True
        self.served: list[str] = []  # resource addresses answered (for tests), most recent last

    def add_page(self, html: str) -> str:
        """Keep `html` and return the hearth:// address that serves it."""
        self._counter += 1
        key = str(self._counter)
        self._pages[key] = html.encode("utf-8")
        while len(self._pages) > PAGES_KEPT:
            self._pages.popitem(last=False)
        return f"{SCHEME}://{PAGE_HOST}/{key}"

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:
        url = job.requestUrl()
        if job.requestMethod() != QByteArray(b"GET"):
            job.fail(QWebEngineUrlRequestJob.Error.RequestDenied)
        elif url.host() == PAGE_HOST:
            body = self._pages.get(url.path().lstrip("/"))
            if body is None:
                job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            else:
                self._reply_bytes(job, b"text/html;charset=utf-8", body)
        elif url.host() == RESOURCE_HOST:
            self._start_resource(job, url.path(), media=url.query() == "media=1")
        else:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)

    def _start_resource(self, job: QWebEngineUrlRequestJob, path: str, *, media: bool) -> None:
        remote = original_url(path)
        if remote is None or self.fetcher is None:
            job.fail(QWebEngineUrlRequestJob.Error.UrlInvalid)
            return
        if not self.remote_images:
            job.fail(QWebEngineUrlRequestJob.Error.RequestDenied)
            return
        alive = [True]
        job.destroyed.connect(lambda *_: alive.__setitem__(0, False))

        def done(found: Path | None) -> None:
            if not alive[0]:
                return
            try:
                if found is None:
                    job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
                else:
                    self._reply_file(job, found, remote)
            except RuntimeError:  # the page went away while the file was on its way
                log.debug("reader: request for %s ended before its reply", remote)

        limit = MEDIA_MAX_BYTES if media else None
        self.fetcher.fetch(remote, done, max_bytes=limit)

    def _reply_file(self, job: QWebEngineUrlRequestJob, path: Path, remote: str) -> None:
        device = QFile(str(path), job)
        if not device.open(QIODevice.OpenModeFlag.ReadOnly):
            job.fail(QWebEngineUrlRequestJob.Error.RequestFailed)
            return
        mime = self._mime.mimeTypeForFileNameAndData(remote.split("?", 1)[0], device.peek(512)).name()
        self.served.append(remote)
        del self.served[:-200]
        job.reply(QByteArray(mime.encode("ascii")), device)

    @staticmethod
    def _reply_bytes(job: QWebEngineUrlRequestJob, mime: bytes, body: bytes) -> None:
        buffer = QBuffer(job)
        buffer.setData(QByteArray(body))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        job.reply(QByteArray(mime), buffer)
