"""Signing in to Weibo and Bilibili in the real offscreen sign-in window: the HttpOnly login cookies and the
window's UA go to the keyring, a visitor's SUB does not end the sign-in, and later requests carry the same
UA and the client hints that webview sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.sources.hints import client_hints
from app.ui.signin import SignInWindow
from app.vault import CookieVault
from tests.support.http import LocalServer, Reply, Request

PAGE = "<!doctype html><html><body><img src='/pixel'>sign in</body></html>"


def _page(cookie: str) -> Reply:
    return Reply(200, PAGE, {"Content-Type": "text/html", "Set-Cookie": cookie})


@pytest.mark.parametrize(
    ("site", "visitor", "login", "login_name"),
    [
        ("weibo.com", "SUB=_2AkMvisitor; Path=/", "ALF=1790000000; Path=/; HttpOnly", "ALF"),
        ("bilibili.com", "buvid3=B3-infoc; Path=/", "SESSDATA=abc%2C179; Path=/; HttpOnly", "SESSDATA"),
    ],
)
def test_signin_keeps_httponly_login_cookies_and_the_user_agent(
    secret_service: object,
    server: LocalServer,
    qtbot,
    data_dir: Path,
    site: str,
    visitor: str,
    login: str,
    login_name: str,
) -> None:
    server.route("/signin", _page(visitor))
    server.route("/pixel", Reply(200, b"", {"Content-Type": "image/gif"}))
    server.route("/done", _page(login))
    vault = CookieVault()
    window = SignInWindow(site, vault, server.url("/signin"))
    qtbot.addWidget(window)
    loaded: list[bool] = []
    window.page.loadFinished.connect(loaded.append)
    window.show()
    qtbot.waitUntil(lambda: loaded == [True], timeout=15000)
    assert vault.get(site) is None  # a visitor cookie is not a sign-in
    with qtbot.waitSignal(window.signed_in, timeout=15000):
        window.page.load(server.url("/done"))
    stored = vault.get(site)
    assert stored is not None and stored.cookies[login_name]
    assert login_name in window.collector.http_only()
    assert stored.user_agent == window.user_agent and "QtWebEngine" not in (stored.user_agent or "")
    # what the webview sent is what Hearth's own requests will send with this cookie
    sent: Request = server.requests_to("/signin")[0]
    hints = client_hints(stored.user_agent or "")
    assert hints and all(sent.headers.get(name) == value for name, value in hints.items()), sent.headers
