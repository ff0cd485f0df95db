"""Sign in to a site inside Hearth: a browser window whose cookies (HttpOnly ones included) and exact
user agent go to the vault when the login cookie appears or the user presses Done."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QTimer, QUrl, Signal
from PySide6.QtWebEngineCore import QWebEnginePage
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from app.config import Key, Settings
from app.errors import HearthError
from app.i18n import _
from app.ui.webprofile import CookieCollector, make_profile
from app.urls import netloc_of
from app.vault.cookies import SITE_RULES, normalize_site, validate_cookies
from app.vault.store import CookieVault

log = logging.getLogger(__name__)

SETTLE_MS = 400  # after the login cookie, let the rest of the same response's cookies arrive


def login_url(site: str, settings: Settings) -> str:
    """Where a site's sign-in page is: Zhihu's comes from the zhihu.www_base setting, others from their rules."""
    site = normalize_site(site)
    rules = SITE_RULES.get(site)
    if site == "zhihu.com":
        return settings.get(Key.ZHIHU_WWW_BASE).rstrip("/") + (rules.login_path if rules else "/signin")
    if rules is not None and "://" in rules.login_path:
        return rules.login_path  # Bilibili's passport page, Weibo's mobile sign-in
    return f"https://www.{site}/"


class SignInWindow(QDialog):
    """A browser on the site's login page; `signed_in(site)` once its cookies are in the vault."""

    signed_in = Signal(str)

    def __init__(self, site: str, vault: CookieVault, url: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.site = normalize_site(site)
        self._vault = vault
        self._rules = SITE_RULES.get(self.site)
        self._done = False
        self.setWindowTitle(_("Sign in to {site}").format(site=self.site))
        self.resize(1000, 760)
        # the view (and its page) is created before the profile, so Qt deletes the page first
        self.view = QWebEngineView(self)
        self.profile = make_profile(self)
        self.user_agent = self.profile.httpUserAgent()
        self.collector = CookieCollector(
            self.profile, self.site, extra_hosts=(QUrl(url).host(), netloc_of(url))
        )
        self.collector.cookie_seen.connect(self._on_cookie_seen)
        self.page = QWebEnginePage(self.profile, self.view)
        self.view.setPage(self.page)
        self.status = QLabel(
            _("Sign in to {site} as usual; Hearth keeps the cookies in your OS keyring.").format(
                site=self.site
            ),
            self,
        )
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.done_button = buttons.addButton(_("Done"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.done_button.setToolTip(_("Store the cookies this window has now and close it"))
        buttons.accepted.connect(self.finish)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.timeout.connect(self.finish)
        self.view.load(QUrl(url))

    def _on_cookie_seen(self, name: str) -> None:
        login_cookie = self._rules.login_cookie if self._rules else None
        if name == login_cookie and not self._done and not self._settle.isActive():
            self.status.setText(_("Signed in; storing the cookies…"))
            self._settle.start(SETTLE_MS)

    def finish(self) -> bool:
        """Validate and store what the profile has collected; close on success, say why not otherwise."""
        if self._done:
            return True
        cookies = self.collector.cookies()
        try:
            warnings = validate_cookies(self.site, cookies)
            self._vault.set(self.site, cookies, self.user_agent, expires=self.collector.expiries())
        except HearthError as exc:
            self.status.setText(exc.user_message())
            return False
        self._done = True
        if warnings:
            log.info("signed in to %s with warnings: %s", self.site, "; ".join(warnings))
        self.signed_in.emit(self.site)
        self.accept()
        return True

    def done(self, result: int) -> None:
        self._settle.stop()
        super().done(result)


def run_signin(paths: Any, settings: Settings, site: str) -> bool:
    """`hearth cookies signin SITE`: a standalone window; True when the cookies were stored."""
    from PySide6.QtWidgets import QApplication

    from app.ui.webprofile import prepare_webengine

    prepare_webengine()
    app = QApplication.instance() or QApplication(["hearth"])  # kept referenced until the dialog ends
    vault = CookieVault.from_settings(settings)
    window = SignInWindow(site, vault, login_url(site, settings))
    window.show()
    accepted = window.exec() == QDialog.DialogCode.Accepted
    # Tear down now, page before profile: left to interpreter exit, the profile can go first and
    # QtWebEngine crashes ("Release of profile requested but WebEnginePage still not deleted").
    window.page.deleteLater()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()
    return accepted
