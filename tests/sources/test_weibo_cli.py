"""`hearth add` + `hearth refresh` of Weibo feeds in a real data dir, with the cookie in the real keyring."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import run as hearth
from app.models import ArticleQuery
from app.storage import open_store
from app.vault import CookieVault
from tests.sources.fake_weibo import UID, FakeWeibo
from tests.sources.test_weibo import UA


@pytest.fixture
def weibo(data_dir: Path, secret_service: object) -> Iterator[FakeWeibo]:
    with FakeWeibo() as fake:
        for key, value in (("weibo.m_base", fake.base), ("weibo.min_spacing_seconds", "0")):
            assert hearth(["config", "set", key, value]) == 0
        yield fake


def test_add_and_refresh_a_users_posts_and_the_timeline(
    weibo: FakeWeibo, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    CookieVault().set("weibo.com", FakeWeibo.cookies(), UA)
    assert hearth(["add", f"https://m.weibo.cn/u/{UID}"]) == 0
    out = capsys.readouterr().out
    assert "subscribed to 何同学的微博 (Weibo user posts, feed 1)" in out and "4 articles" in out
    assert hearth(["add", "https://m.weibo.cn/"]) == 0
    assert "2 articles" in capsys.readouterr().out
    assert hearth(["refresh", "--all", "-q"]) == 0
    store = open_store(data_dir / "hearth.sqlite3")
    try:
        posts = min(store.list_feeds(), key=lambda f: f.id)
        assert posts.url == f"https://weibo.com/u/{UID}" and posts.kind == "weibo.user"
        assert store.count_articles(ArticleQuery(feed_ids=(posts.id,))) == 4
    finally:
        store.close()


def test_an_expired_cookie_and_a_432_as_the_user_sees_them(
    weibo: FakeWeibo, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    CookieVault().set("weibo.com", FakeWeibo.cookies(), UA)
    weibo.expired = True
    assert hearth(["add", f"https://weibo.com/u/{UID}"]) == 0
    err = capsys.readouterr().err
    assert "the first fetch failed: Weibo says you are not signed in: the cookie expired" in err
    assert "hearth cookies signin weibo.com" in err
    weibo.expired = False
    weibo.ban_status, weibo.ban_next = 432, 1
    hearth(["refresh", "--all"])
    out = capsys.readouterr()
    assert "weibo.com blocked us (HTTP 432: Weibo's risk control)" in out.out + out.err


def test_cookies_set_for_weibo_cn_cover_weibo_com_and_check(
    weibo: FakeWeibo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    header = "; ".join(f"{k}={v}" for k, v in FakeWeibo.cookies().items())
    monkeypatch.setattr("sys.stdin", io.StringIO(header))
    assert hearth(["cookies", "set", "https://m.weibo.cn/", "--user-agent", UA]) == 0
    assert "stored 3 cookies for weibo.com" in capsys.readouterr().out
    vault = CookieVault()
    for url in ("https://weibo.com/u/1", "https://m.weibo.cn/api/config", "https://passport.weibo.cn/x"):
        assert "SUB=" in (vault.cookie_header_for(url) or ""), url
    assert vault.cookie_header_for("https://wx1.sinaimg.cn/large/a.jpg") is None
    assert hearth(["cookies", "check", "weibo.cn"]) == 0
    assert "weibo.com: signed in as 何同学 (uid 1195230310)" in capsys.readouterr().out
    weibo.expired = True
    assert hearth(["cookies", "check", "weibo.com"]) == 1
    assert "not signed in: the cookie expired" in capsys.readouterr().out


def test_cookies_set_without_sub_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], weibo: FakeWeibo
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("SUBP=x; _T_WM=y"))
    assert hearth(["cookies", "set", "weibo.com"]) == 1
    assert "the weibo.com cookie has no SUB" in capsys.readouterr().err
