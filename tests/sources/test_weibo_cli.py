"""`hearth add` + `hearth refresh` of Weibo feeds in a real data dir, with the cookie in the real keyring."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import run as hearth
from app.models import ArticleQuery
from app.secrets import CookieVault
from app.storage import open_store
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
