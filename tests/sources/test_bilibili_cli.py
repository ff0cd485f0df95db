"""`hearth add` + `hearth refresh` of Bilibili feeds in a real data dir, with the cookie in the real keyring."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from app.cli import run as hearth
from app.models import ArticleQuery
from app.storage import open_store
from app.vault import CookieVault
from tests.sources.fake_bilibili import FakeBilibili
from tests.sources.test_bilibili import UA


@pytest.fixture
def bili(data_dir: Path, secret_service: object) -> Iterator[FakeBilibili]:
    with FakeBilibili() as fake:
        for key, value in (
            ("bilibili.api_base", fake.base),
            ("sites.min_spacing_seconds", "0"),
        ):
            assert hearth(["config", "set", key, value]) == 0
        yield fake


def test_add_and_refresh_a_users_videos(
    bili: FakeBilibili, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    CookieVault().set("bilibili.com", FakeBilibili.cookies(), UA)
    assert hearth(["add", "https://space.bilibili.com/2267573"]) == 0
    out = capsys.readouterr().out
    assert "subscribed to 测试用户 的 bilibili 空间 (Bilibili user videos, feed 1)" in out
    assert "2 articles" in out
    assert hearth(["add", "https://rsshub.app/bilibili/user/dynamic/2267573"]) == 0
    assert "3 articles" in capsys.readouterr().out
    assert hearth(["refresh", "--all", "-q"]) == 0
    store = open_store(data_dir / "hearth.sqlite3")
    try:
        videos, dynamics = sorted(store.list_feeds(), key=lambda f: f.id)
        assert (
            videos.url == "https://space.bilibili.com/2267573/video" and videos.kind == "bilibili.user.video"
        )
        assert store.count_articles(ArticleQuery(feed_ids=(videos.id,))) == 2
        assert store.count_articles(ArticleQuery(feed_ids=(dynamics.id,))) == 3
    finally:
        store.close()
    # the device cookie Hearth fetched is in the vault now, with the login and the UA kept
    kept = CookieVault().get("bilibili.com")
    assert kept is not None and kept.cookies.get("buvid3") and kept.cookies.get("SESSDATA")
    assert kept.user_agent == UA
    assert len(bili.api_requests("/x/frontend/finger/spi")) == 1
    assert bili.signature_failures == []


def test_a_412_shows_as_a_cooldown_and_holds_off(
    bili: FakeBilibili, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    CookieVault().set("bilibili.com", {**FakeBilibili.cookies(), "buvid3": "b3"}, UA)
    bili.ban, bili.ban_next = "412", 1
    assert hearth(["add", "https://space.bilibili.com/2267573"]) == 0
    err = capsys.readouterr().err
    assert "the first fetch failed: bilibili.com blocked us (HTTP 412: Bilibili blocked the request)" in err
    assert "cooling down until" in err and "about an hour" in err
    sent = len(bili.server.requests)
    hearth(["refresh", "--all"])
    assert len(bili.server.requests) == sent  # the cooldown survived the restart of the CLI
    later = capsys.readouterr()
    assert (
        "bilibili.com blocked us (HTTP 412: Bilibili blocked the request) — cooling down until" in later.out
    )
    assert "hearth cookies signin bilibili.com" in later.out  # still says what to do


def test_cookies_set_and_check(
    bili: FakeBilibili, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    header = "; ".join(f"{k}={v}" for k, v in FakeBilibili.cookies().items())
    monkeypatch.setattr("sys.stdin", io.StringIO(f"Cookie: {header}\n"))
    assert hearth(["cookies", "set", "bilibili", "--user-agent", UA]) == 0
    out = capsys.readouterr().out
    assert "stored 3 cookies for bilibili.com" in out and "warning: no buvid3" in out
    assert hearth(["cookies", "check", "bilibili.com"]) == 0
    assert "bilibili.com: signed in as 测试用户 (uid 2267573)" in capsys.readouterr().out
    (nav,) = bili.api_requests("/x/web-interface/nav")
    assert nav.headers["user-agent"] == UA and nav.headers["sec-ch-ua-platform"] == '"Linux"'
    CookieVault().set("bilibili.com", {"SESSDATA": "stale", "buvid3": "b"}, UA)
    assert hearth(["cookies", "check", "bilibili.com"]) == 1
    assert "not signed in: the cookie expired" in capsys.readouterr().out


def test_the_vault_sends_bilibilis_cookie_to_its_hosts_only(bili: FakeBilibili) -> None:
    from app.config import Settings

    CookieVault().set("bilibili.com", FakeBilibili.cookies(), UA)
    CookieVault().set("zhihu.com", {"d_c0": "x"}, UA)
    vault = CookieVault.from_settings(Settings(None, {"bilibili.api_base": bili.base}))
    assert "SESSDATA=" in (vault.cookie_header_for("https://api.bilibili.com/x/nav") or "")
    assert "SESSDATA=" in (vault.cookie_header_for(bili.base + "/x/nav") or "")  # the configured base
    assert vault.cookie_header_for("https://i0.hdslb.com/bfs/a.jpg") is None
    assert vault.cookie_header_for("https://www.zhihu.com/") == "d_c0=x"


def test_add_tells_the_sites_budget_and_warns(
    bili: FakeBilibili, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    CookieVault().set("bilibili.com", {**FakeBilibili.cookies(), "buvid3": "b3"}, UA)
    for key, value in (("sites.max_per_hour", "4"), ("refresh.interval_minutes", "2")):
        assert hearth(["config", "set", key, value]) == 0
    capsys.readouterr()
    assert hearth(["add", "https://space.bilibili.com/2267573/dynamic"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "3 articles" in out, captured.err  # two requests (the WBI keys, the dynamics) of the four
    # one feed (one request a refresh) over 4 requests an hour: every 15 min at best, not every 2
    assert (
        "note: bilibili.com: 1 feed shares at most 4 an hour; each can be refreshed every 15 min at best"
        in out
    )
    assert (
        "note: warning: bilibili.com: feeds set to refresh every 2 min will really be refreshed about every 15 min"
        in out
    )
    store = open_store(data_dir / "hearth.sqlite3")
    try:
        (feed,) = store.list_feeds()
        assert feed.last_fetch is not None and feed.next_fetch is not None and not feed.last_error
        # scheduled by the site's budget: at least half of its 15 min (2 min would give at most 3)
        assert feed.next_fetch - feed.last_fetch >= timedelta(minutes=7.5)
    finally:
        store.close()
