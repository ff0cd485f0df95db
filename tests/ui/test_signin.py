"""The sign-in window against a local fake login page, with real offscreen QtWebEngine and the real keyring."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import Settings
from app.ui.signin import SignInWindow, login_url
from app.vault import CookieVault
from tests.support.http import LocalServer, Reply, Request

D_C0 = '"AGDfVWk4ZBePTqvPzn2TbIMWOvL7Fn2MkKk=|1690000000"'
Z_C0 = "2|1:0|10:1700000000|4:z_c0|92:c2VjcmV0LXotYzA=|f00d"
LOGIN_PAGE = """<!doctype html><html><body>
<form method="post" action="/login"><input name="user" value="me"><input name="password" value="pw"></form>
</body></html>"""


def _serve_login(server: LocalServer) -> None:
    server.route(
        "/signin",
        Reply(
            200,
            LOGIN_PAGE,
            {"Content-Type": "text/html", "Set-Cookie": f"d_c0={D_C0}; Path=/; Max-Age=31536000"},
        ),
    )

    def login(req: Request) -> Reply:
        assert req.method == "POST" and b"user=me" in req.body
        reply = Reply(200, "<html><body>welcome</body></html>", {"Content-Type": "text/html"})
        # two Set-Cookie headers: LocalServer sends each header once, so use the raw list form
        reply.headers = {"Set-Cookie": f"z_c0={Z_C0}; HttpOnly; Path=/; Max-Age=7776000"}
        return reply

    server.route("/login", login)


def _window(server: LocalServer, qtbot) -> SignInWindow:
    settings = Settings(None, {"zhihu.www_base": server.url("")})
    vault = CookieVault.from_settings(settings)
    window = SignInWindow("zhihu.com", vault, login_url("zhihu.com", settings))
    qtbot.addWidget(window)
    return window


def test_signing_in_stores_httponly_cookies_and_the_user_agent(
    secret_service: object, server: LocalServer, qtbot, data_dir: Path
) -> None:
    _serve_login(server)
    window = _window(server, qtbot)
    loaded: list[bool] = []
    window.page.loadFinished.connect(loaded.append)
    window.show()
    qtbot.waitUntil(lambda: loaded == [True], timeout=15000)
    assert window.collector.get("d_c0") is not None
    assert CookieVault().get("zhihu.com") is None  # nothing stored before the login cookie
    with qtbot.waitSignal(window.signed_in, timeout=15000) as signal:
        window.page.runJavaScript("document.forms[0].submit()")
    assert signal.args == ["zhihu.com"]
    stored = CookieVault().get("zhihu.com")
    assert stored is not None
    assert stored.cookies == {"d_c0": D_C0, "z_c0": Z_C0}
    assert stored.user_agent == window.profile.httpUserAgent()
    assert "Chrome/" in stored.user_agent and "QtWebEngine" not in stored.user_agent
    assert stored.expires["z_c0"] is not None and stored.expires["z_c0"] > 1.7e9
    assert "z_c0" in window.collector.http_only()
    # the page saw the browser's exact user agent, the one stored for later requests
    assert server.requests_to("/login")[0].headers["user-agent"] == stored.user_agent
    assert not window.isVisible()


def test_done_without_the_required_cookie_says_why_and_stays_open(
    secret_service: object, server: LocalServer, qtbot
) -> None:
    server.route("/signin", Reply(200, LOGIN_PAGE, {"Content-Type": "text/html"}))
    window = _window(server, qtbot)
    window.show()
    qtbot.waitUntil(lambda: len(server.requests_to("/signin")) == 1, timeout=15000)
    assert window.finish() is False
    assert "no cookies found" in window.status.text()
    assert window.isVisible() and CookieVault().get("zhihu.com") is None


def test_cookies_of_other_sites_are_not_collected(secret_service: object, server: LocalServer, qtbot) -> None:
    window = _window(server, qtbot)
    seen: list[str] = []
    window.profile.cookieStore().cookieAdded.connect(lambda c: seen.append(bytes(c.name().data()).decode()))
    with qtbot.waitSignal(window.page.loadFinished, timeout=15000):
        window.page.setHtml(
            "<script>document.cookie='other=1; path=/'</script>", "http://evil-zhihu.com.localhost/"
        )
    qtbot.waitUntil(lambda: "other" in seen, timeout=5000)  # the browser has it ...
    with qtbot.waitSignal(window.collector.cookie_seen, timeout=15000):
        window.page.setHtml("<script>document.cookie='d_c0=x; path=/'</script>", server.url("/x"))
    assert window.collector.cookies() == {"d_c0": "x"}  # ... the collector kept only the site's


@pytest.mark.parametrize(
    ("site", "expected"),
    [
        ("zhihu", "https://www.zhihu.com/signin"),
        ("bilibili.com", "https://passport.bilibili.com/login"),
        ("weibo.cn", "https://passport.weibo.cn/signin/login?entry=mweibo&r=https%3A%2F%2Fm.weibo.cn%2F"),
        ("example.org", "https://www.example.org/"),
    ],
)
def test_login_url(site: str, expected: str) -> None:
    assert login_url(site, Settings(None, {})) == expected
