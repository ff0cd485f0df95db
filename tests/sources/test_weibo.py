"""Weibo sources against a fake m.weibo.cn that wants the login cookie and answers with each ban."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.errors import BlockedError, CookieExpiredError, CookieMissingError
from app.fetching.site_gate import GateRegistry
from app.models import ParsedFeed
from app.sources.base import SourceContext
from app.sources.registry import get_source, make_source_fetcher, match_url
from app.sources.sitehttp import site_hosts
from app.storage import open_store
from app.vault.cookies import SiteCookies
from tests.sources.fake_weibo import LONG_FULL, UID, FakeWeibo

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"


@pytest.fixture
def weibo() -> Iterator[FakeWeibo]:
    with FakeWeibo() as fake:
        yield fake


def run_source(
    weibo: FakeWeibo,
    source_id: str,
    params: Mapping[str, str],
    *,
    cookies: Mapping[str, str] | None = None,
    **kw: Any,
) -> ParsedFeed:
    jar = SiteCookies("weibo.com", dict(FakeWeibo.cookies() if cookies is None else cookies), UA)

    async def go() -> ParsedFeed:
        async with httpx.AsyncClient(timeout=10) as client:
            ctx = SourceContext(client=client, settings=weibo.settings(), cookies=jar, **kw)
            return await get_source(source_id).fetch(params, ctx)

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("url", "source_id", "params"),
    [
        (f"https://weibo.com/u/{UID}", "weibo.user", {"uid": UID}),
        (f"https://m.weibo.cn/u/{UID}", "weibo.user", {"uid": UID}),
        (f"https://m.weibo.cn/profile/{UID}", "weibo.user", {"uid": UID}),
        (f"https://weibo.com/{UID}?refer_flag=1", "weibo.user", {"uid": UID}),
        (f"https://rsshub.app/weibo/user/{UID}", "weibo.user", {"uid": UID}),
        ("https://m.weibo.cn/", "weibo.timeline", {"uid": ""}),
        (f"/weibo/timeline/{UID}", "weibo.timeline", {"uid": UID}),
    ],
)
def test_pasted_urls(url: str, source_id: str, params: dict[str, str]) -> None:
    found = match_url(url)
    assert found is not None and found[0].id == source_id and found[1] == params


def test_weibo_cookies_cover_weibo_com_and_weibo_cn_only() -> None:
    allowed = site_hosts("weibo.com", "http://127.0.0.1:4000", domains=("weibo.cn",))
    assert allowed("https://m.weibo.cn/api/config") and allowed("https://weibo.com/ajax/x")
    assert allowed("https://passport.weibo.cn/signin")
    assert not allowed("https://wx1.sinaimg.cn/large/a.jpg")
    assert not allowed("https://notweibo.cn/") and not allowed("https://weibo.cn.evil.org/")


def test_user_posts_with_full_text_pictures_and_video_covers(weibo: FakeWeibo) -> None:
    feed = run_source(weibo, "weibo.user", {"uid": UID})
    assert feed.title == "何同学的微博" and feed.icon_url == "https://wx1.sinaimg.cn/orj480/avatar.jpg"
    long, pics, video, repost = feed.items  # the pinned post from 2024 is not news: left out
    assert long.url == f"https://weibo.com/{UID}/PqLong1" and long.guid == "PqLong1"
    assert LONG_FULL in long.content_html and "全文</a>" not in long.content_html
    assert long.published == datetime(2025, 11, 22, 20, 15, 3, tzinfo=timezone(timedelta(hours=8)))
    assert pics.content_html.index("large/a.jpg") < pics.content_html.index("large/b.jpg")
    assert 'href="https://example.com/a"' in pics.content_html  # the sinaurl redirect unwrapped
    assert 'src="https://wx3.sinaimg.cn/large/cover.jpg"' in video.content_html
    assert (
        video.enclosures[0].url == "https://wx3.sinaimg.cn/large/cover.jpg"
        and "我的新视频" in video.content_html
    )
    assert "原微博的内容" in repost.content_html and "@别人" in repost.content_html
    request = weibo.requests_to("/api/container/getIndex")[-1]
    assert request.headers["mweibo-pwa"] == "1" and request.headers["x-requested-with"] == "XMLHttpRequest"
    assert request.headers["referer"] == f"https://m.weibo.cn/u/{UID}"
    assert request.headers["x-xsrf-token"] == "a1b2c3" and request.headers["user-agent"] == UA
    assert request.headers["sec-ch-ua"] == '"Not=A?Brand";v="24", "Chromium";v="140"'
    assert len(weibo.requests_to("/statuses/show")) == 1  # only the long post


def test_a_known_title_saves_the_profile_request(weibo: FakeWeibo) -> None:
    feed = run_source(weibo, "weibo.user", {"uid": UID}, extra={"known_title": "何同学的微博"})
    assert len(feed.items) == 4
    (index,) = weibo.requests_to("/api/container/getIndex")
    assert f"containerid=107603{UID}" in index.path


def test_home_timeline(weibo: FakeWeibo) -> None:
    feed = run_source(weibo, "weibo.timeline", {"uid": ""})
    assert feed.title == f"{UID} 的 最新关注时间线"
    assert [i.guid for i in feed.items] == ["PqPics2", "PqVid3"]


def test_not_logged_in_asks_to_sign_in_again(weibo: FakeWeibo) -> None:
    with pytest.raises(CookieMissingError, match="SUB"):
        run_source(weibo, "weibo.user", {"uid": UID}, cookies={"SUBP": "x"})
    assert weibo.server.requests == []  # nothing is asked without the login cookie
    weibo.expired = True
    with pytest.raises(CookieExpiredError) as caught:
        run_source(weibo, "weibo.timeline", {})
    assert "hearth cookies signin weibo.com" in caught.value.user_message()
    assert len(weibo.server.requests) == 1  # no retry loop


@pytest.mark.parametrize(("status", "floor"), [(432, timedelta(minutes=30)), (418, timedelta(hours=2))])
def test_432_and_418_cool_the_site_down(
    weibo: FakeWeibo, tmp_path: Path, status: int, floor: timedelta
) -> None:
    store = open_store(tmp_path / "hearth.sqlite3")
    try:
        gate = GateRegistry(store, min_spacing=0, max_per_hour=1000).gate("weibo.com")
        weibo.ban_status, weibo.ban_next = status, 1
        before = datetime.now(UTC)
        with pytest.raises(BlockedError) as caught:
            run_source(weibo, "weibo.user", {"uid": UID}, gate=gate)
        assert f"HTTP {status}" in caught.value.user_message() and "cooling down until" in str(caught.value)
        state = store.get_site_state("weibo.com")
        assert (
            state is not None and state.cooldown_until is not None and state.cooldown_until >= before + floor
        )
        sent = len(weibo.server.requests)
        with pytest.raises(BlockedError):
            run_source(weibo, "weibo.user", {"uid": UID}, gate=gate)
        assert len(weibo.server.requests) == sent
    finally:
        store.close()


def test_weibo_gets_its_own_ten_second_spacing(tmp_path: Path) -> None:
    store = open_store(tmp_path / "hearth.sqlite3")
    try:
        fetcher: Any = make_source_fetcher(Settings(None, {}), site_states=store)
        assert fetcher.gates.gate("weibo.com").min_spacing == 10.0
        assert fetcher.gates.gate("zhihu.com").min_spacing == 5.0
        quick: Any = make_source_fetcher(
            Settings(None, {"weibo.min_spacing_seconds": 0.5}), site_states=store
        )
        assert quick.gates.gate("weibo.com").min_spacing == 0.5
    finally:
        store.close()


def test_only_recent_pinned_posts_are_kept() -> None:
    from app.sources.weibo.sources import keep_recent_pinned

    ordinary = [
        {"created_at": "Sat Nov 22 20:15:03 +0800 2025"},
        {"created_at": "Fri Nov 21 10:00:00 +0800 2025"},
    ]
    new_pin = {"bid": "new", "created_at": "Sun Nov 23 09:00:00 +0800 2025"}
    old_pin = {"bid": "old", "created_at": "Mon Jan 01 08:00:00 +0800 2024"}
    assert keep_recent_pinned([new_pin, old_pin], ordinary) == [new_pin]
    assert keep_recent_pinned([old_pin], []) == [old_pin]  # nothing to compare with: keep it
