"""Solve Zhihu's `__zse_ck` verification page in a hidden QtWebEngine page, for sources in any thread.

Sources run in the refresh worker's event loop; QtWebEngine must run on the GUI thread. The
`ChallengeSolver` lives on the GUI thread: `solve()` (any thread) posts a queued request and returns a
`concurrent.futures.Future`; `solve_challenge()` is the awaitable form sources get as their solver.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtWebEngineCore import QWebEnginePage

from app.errors import ChallengeError
from app.i18n import _
from app.ui.webprofile import CookieCollector, inject_cookies, make_profile
from app.urls import host_of
from app.vault.cookies import host_matches_site

log = logging.getLogger(__name__)

CHALLENGE_COOKIE = "__zse_ck"
CHALLENGE_MARK = "zh-zse-ck"
DEFAULT_TIMEOUT_S = 15.0


def is_challenge_page(body: str | bytes) -> bool:
    """True for Zhihu's verification page (it carries a `zh-zse-ck` meta element)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return CHALLENGE_MARK in text


@dataclass
class _Job:
    url: str
    user_agent: str
    cookies: dict[str, str]
    timeout_s: float
    future: concurrent.futures.Future[dict[str, str]] = field(default_factory=concurrent.futures.Future)


class _Attempt(QObject):
    """One hidden page solving one challenge; resolves its job's future exactly once, then cleans up."""

    def __init__(self, job: _Job, parent: QObject) -> None:
        super().__init__(parent)
        self.job = job
        self._injected = dict(job.cookies)
        self.view_host = QObject(self)  # the page's parent, created before the profile: deleted first
        self.profile = make_profile(self, user_agent=job.user_agent)
        host = host_of(job.url)
        site = "zhihu.com" if host_matches_site(host, "zhihu.com") else host
        self.collector = CookieCollector(self.profile, site or "invalid.invalid", extra_hosts=(host,))
        self.collector.cookie_seen.connect(self._on_cookie_seen)
        self.page = QWebEnginePage(self.profile, self.view_host)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._on_timeout)

    def start(self) -> None:
        inject_cookies(self.profile, self.job.url, self._injected)
        self.timer.start(int(self.job.timeout_s * 1000))
        self.page.load(QUrl(self.job.url))

    def _on_cookie_seen(self, name: str) -> None:
        seen = self.collector.get(name)
        # the injected (stale) __zse_ck is reported too; only a new value means the script ran
        if name != CHALLENGE_COOKIE or seen is None or seen.value == self._injected.get(name):
            return
        cookies = {**self._injected, **self.collector.cookies()}
        self._finish(result=cookies)

    def _on_timeout(self) -> None:
        self._finish(
            error=ChallengeError(
                _("Zhihu's verification page did not set {cookie} within {seconds:.0f} s").format(
                    cookie=CHALLENGE_COOKIE, seconds=self.job.timeout_s
                ),
                hint=_("sign in again with `hearth cookies signin zhihu.com` (or paste a fresh cookie)"),
            )
        )

    def _finish(self, *, result: dict[str, str] | None = None, error: Exception | None = None) -> None:
        self.timer.stop()
        future = self.job.future
        try:
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result or {})
        except concurrent.futures.InvalidStateError:
            pass  # the waiting side cancelled or gave up first
        self.page.triggerAction(QWebEnginePage.WebAction.Stop)
        self.collector.cookie_seen.disconnect(self._on_cookie_seen)
        self.deleteLater()


class ChallengeSolver(QObject):
    """Lives on the GUI thread; `solve()` and `solve_challenge()` may be called from any thread."""

    _requested = Signal(object)

    def __init__(self, parent: QObject | None = None, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        super().__init__(parent)
        self.timeout_s = timeout_s
        self._requested.connect(self._on_requested, Qt.ConnectionType.QueuedConnection)
        self._lock = threading.Lock()
        self._closed = False

    def solve(
        self, url: str, user_agent: str, cookies: Mapping[str, str], *, timeout_s: float | None = None
    ) -> concurrent.futures.Future[dict[str, str]]:
        """Queue a challenge; the future gets every cookie of the site afterwards (the new __zse_ck included)."""
        job = _Job(url, user_agent, dict(cookies), timeout_s or self.timeout_s)
        with self._lock:
            if self._closed:
                job.future.set_exception(
                    ChallengeError(_("Hearth is shutting down; the verification was not run"))
                )
                return job.future
        self._requested.emit(job)
        return job.future

    async def solve_challenge(self, url: str, user_agent: str, cookies: dict[str, str]) -> dict[str, str]:
        """The awaitable form (sources' `ChallengeSolver` type); bounded by the solver's timeout."""
        future = self.solve(url, user_agent, cookies)
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        """Refuse new work (pending pages end with their own timers)."""
        with self._lock:
            self._closed = True

    @Slot(object)
    def _on_requested(self, job: _Job) -> None:
        if job.future.done():  # cancelled by the waiting side already
            return
        log.info("solving a verification page for %s", host_of(job.url))
        _Attempt(job, self).start()


_installed: ChallengeSolver | None = None


def install_challenge_solver(
    parent: QObject | None = None, *, timeout_s: float = DEFAULT_TIMEOUT_S
) -> ChallengeSolver:
    """Create the app-wide solver on the GUI thread (call once, after the QApplication exists)."""
    global _installed
    _installed = ChallengeSolver(parent, timeout_s=timeout_s)
    return _installed


async def solve_challenge(url: str, user_agent: str, cookies: dict[str, str]) -> dict[str, str]:
    """For sources: solve through the installed solver, or say clearly that only the app window can."""
    if _installed is None:
        raise ChallengeError(
            _("Zhihu wants verification, which needs Hearth's window (a hidden browser page)"),
            hint=_("open Hearth, or refresh the cookie with `hearth cookies signin zhihu.com`"),
        )
    return await _installed.solve_challenge(url, user_agent, cookies)
