"""Shared QtWebEngine helpers: off-the-record profiles, the browser's user agent, and cookie collection.

Profiles used for signing in and for challenges are off-the-record on purpose: cookie values live only
in memory here and in the OS keyring, never in a Chromium cookie database inside the data dir.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QCoreApplication, QObject, Qt, QUrl, Signal
from PySide6.QtNetwork import QNetworkCookie
from PySide6.QtWebEngineCore import QWebEngineProfile

from app.vault.cookies import host_matches_site

_QTWEBENGINE_TOKEN = re.compile(r"\s*QtWebEngine/\S+")


def prepare_webengine() -> None:
    """Call before the QApplication exists: QtWebEngine needs OpenGL contexts shared across threads."""
    if QCoreApplication.instance() is None:
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)


def browser_user_agent(profile: QWebEngineProfile) -> str:
    """Chromium's own user agent without the QtWebEngine token (sites gate on unusual browsers)."""
    return _QTWEBENGINE_TOKEN.sub("", profile.httpUserAgent())


def make_profile(parent: QObject | None = None, *, user_agent: str | None = None) -> QWebEngineProfile:
    """A fresh off-the-record profile (nothing on disk), with `user_agent` or the plain Chromium one."""
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
]
