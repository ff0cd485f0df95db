"""Shared QtWebEngine helpers: off-the-record profiles, the browser's user agent, and cookie collection.

Profiles used for signing in and for challenges are off-the-record on purpose: cookie values live only
in memory here and in the OS keyring, never in a Chromium cookie database inside the data dir.

Web views draw in software (use_software_rendering, before the first QtWebEngine object): Qt Quick's
software renderer under each view, so QtWebEngine runs Chromium with --disable-gpu, and on X11 no
OpenGL driver in the process at all. With Mesa that driver is llvmpipe (swrast_dri + libLLVM, ~60 MB
resident in Hearth's process, for an article reader that composites a few static layers).
HEARTH_WEB_GPU=1 keeps Qt's default (OpenGL under Qt Quick, Chromium's GPU compositing).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QCoreApplication, QObject, Qt, QUrl, Signal
from PySide6.QtGui import QGuiApplication, QOpenGLContext
from PySide6.QtNetwork import QNetworkCookie
from PySide6.QtWebEngineCore import QWebEngineProfile

from app.vault.cookies import host_matches_site

log = logging.getLogger(__name__)

_QTWEBENGINE_TOKEN = re.compile(r"\s*QtWebEngine/\S+")
WEB_GPU_ENV = "HEARTH_WEB_GPU"  # =1: web views composite with OpenGL (Qt's default) instead of software
XCB_GL_ENV = "QT_XCB_GL_INTEGRATION"
_rendering: list[bool] = []  # [software?] once decided: QtWebEngine reads it once per process


def prepare_webengine() -> None:
    """Call before the QApplication exists: QtWebEngine needs OpenGL contexts shared across threads."""
    if QCoreApplication.instance() is None:
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)


def use_software_rendering(environ: MutableMapping[str, str] | None = None) -> bool:
    """Decide, once per process and before the first web view or profile, how web views draw; True
    when in software. Later calls return the first answer (QtWebEngine has started by then)."""
    if _rendering:
        return _rendering[0]
    environ = os.environ if environ is None else environ
    software = environ.get(WEB_GPU_ENV, "") != "1"
    _rendering.append(software)
    if not software:
        return False
    from PySide6.QtQuick import QQuickWindow, QSGRendererInterface  # after the first paint, with the reader

    # Qt Quick in software: QtWebEngine then gives Chromium --use-gl=disabled and --disable-gpu itself
    QQuickWindow.setGraphicsApi(QSGRendererInterface.GraphicsApi.Software)
    if QGuiApplication.platformName() == "xcb" and XCB_GL_ENV not in environ:
        # QtWebEngine still probes OpenGL at start (its GPU vendor check); on X11 that loads the driver,
        # which is never unloaded. xcb picks its GL integration once, on the first question about GL:
        # ask it now with "none", then take the variable back so the browser Hearth opens gets GL.
        environ[XCB_GL_ENV] = "none"
        try:
            QOpenGLContext.supportsThreadedOpenGL()
        finally:
            del environ[XCB_GL_ENV]
    log.debug("web views draw in software (%s=1 for OpenGL)", WEB_GPU_ENV)
    return True


def browser_user_agent(profile: QWebEngineProfile) -> str:
    """Chromium's own user agent without the QtWebEngine token (sites gate on unusual browsers)."""
    return _QTWEBENGINE_TOKEN.sub("", profile.httpUserAgent())


def make_profile(parent: QObject | None = None, *, user_agent: str | None = None) -> QWebEngineProfile:
    """A fresh off-the-record profile (nothing on disk), with `user_agent` or the plain Chromium one."""
    use_software_rendering()
    profile = QWebEngineProfile(parent)
    profile.setHttpUserAgent(user_agent or browser_user_agent(profile))
    return profile


@dataclass(frozen=True, slots=True)
class SeenCookie:
    name: str
    value: str
    domain: str
    expires: float | None
    http_only: bool


def seen_cookie(cookie: QNetworkCookie) -> SeenCookie:
    expiry = cookie.expirationDate()
    return SeenCookie(
        bytes(cookie.name().data()).decode("utf-8", "replace"),
        bytes(cookie.value().data()).decode("utf-8", "replace"),
        cookie.domain().lstrip(".").lower(),
        None if cookie.isSessionCookie() or not expiry.isValid() else expiry.toSecsSinceEpoch() * 1.0,
        cookie.isHttpOnly(),
    )


def inject_cookies(profile: QWebEngineProfile, url: str, cookies: Mapping[str, str]) -> None:
    """Put stored cookies into the profile's store for `url`'s host (host-only, path /)."""
    origin = QUrl(url)
    store = profile.cookieStore()
    for name, value in cookies.items():
        cookie = QNetworkCookie(QByteArray(name.encode()), QByteArray(value.encode()))
        cookie.setPath("/")
        cookie.setDomain(origin.host())
        store.setCookie(cookie, origin)


class CookieCollector(QObject):
    """Follows a profile's cookie store and keeps the cookies of one site (or of an exact host alias).

    HttpOnly cookies (Zhihu's z_c0) arrive here too: the store sees what JavaScript cannot.
    """

    cookie_seen = Signal(str)  # a cookie name, never its value

    def __init__(self, profile: QWebEngineProfile, site: str, *, extra_hosts: tuple[str, ...] = ()) -> None:
        super().__init__(profile)
        self.site = site
        self._hosts = {h.lower() for h in extra_hosts if h}
        self._cookies: dict[str, SeenCookie] = {}
        store = profile.cookieStore()
        store.cookieAdded.connect(self._on_cookie_added)
        store.cookieRemoved.connect(self._on_cookie_removed)
        store.loadAllCookies()

    def _belongs(self, cookie: SeenCookie) -> bool:
        return cookie.domain in self._hosts or host_matches_site(cookie.domain, self.site)

    def _on_cookie_added(self, cookie: QNetworkCookie) -> None:
        seen = seen_cookie(cookie)
        if seen.name and self._belongs(seen):
            self._cookies[seen.name] = seen
            self.cookie_seen.emit(seen.name)

    def _on_cookie_removed(self, cookie: QNetworkCookie) -> None:
        seen = seen_cookie(cookie)
        current = self._cookies.get(seen.name)
        if current is not None and current.value == seen.value and self._belongs(seen):
            del self._cookies[seen.name]

    def get(self, name: str) -> SeenCookie | None:
        return self._cookies.get(name)

    def cookies(self) -> dict[str, str]:
        return {name: c.value for name, c in self._cookies.items()}

    def expiries(self) -> dict[str, float | None]:
        return {name: c.expires for name, c in self._cookies.items()}

    def http_only(self) -> list[str]:
        return sorted(name for name, c in self._cookies.items() if c.http_only)


__all__ = [
    "CookieCollector",
    "SeenCookie",
    "browser_user_agent",
    "inject_cookies",
    "make_profile",
    "prepare_webengine",
    "seen_cookie",
    "use_software_rendering",
]
