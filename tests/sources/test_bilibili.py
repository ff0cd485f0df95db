"""Bilibili sources against a fake API that verifies WBI signatures itself and answers with each ban."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.errors import BlockedError, CookieMissingError, PrivateProfileError
from app.fetching.site_gate import GateRegistry
from app.models import ParsedFeed
from app.sources.base import SourceContext
from app.sources.bilibili.wbi import WbiKeys, encode_query, sign_params
from app.sources.hints import client_hints
from app.sources.registry import get_source
from app.sources.sitehttp import site_hosts
from app.storage import open_store
from app.vault.cookies import SiteCookies
from tests.sources.fake_bilibili import IMG_KEY, SUB_KEY, FakeBilibili, expected_w_rid

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"


@pytest.fixture
def bili() -> Iterator[FakeBilibili]:
    with FakeBilibili() as fake:
        yield fake


def run_source(
    bili: FakeBilibili,
    source_id: str,
    params: Mapping[str, str],
    *,
    cookies: Mapping[str, str] | None = None,
    **ctx_kw: Any,
) -> ParsedFeed:
    jar = SiteCookies("bilibili.com", dict(FakeBilibili.cookies() if cookies is None else cookies), UA)

    async def go() -> ParsedFeed:
        async with httpx.AsyncClient(timeout=10) as client:
            ctx = SourceContext(client=client, settings=bili.settings(), cookies=jar, **ctx_kw)
            return await get_source(source_id).fetch(params, ctx)

    return asyncio.run(go())


# -- signing --------------------------------------------------------------------------------------
def test_wbi_signature_matches_the_published_vector() -> None:
    keys = WbiKeys(IMG_KEY, SUB_KEY)
    assert keys.mixin == "ea1db124af3c7062474693fa704f4ff8"
    signed = sign_params({"foo": 114, "bar": 514, "zab": 1919810}, keys, wts=1702204169)
    assert signed["w_rid"] == "8f6f2b5b3d485fe1886cec6a0be8c5d4"
    # the fake's own verifier, written from the doc, agrees on the same vector
    assert expected_w_rid(
        {"foo": "114", "bar": "514", "zab": "1919810", "wts": "1702204169"}, IMG_KEY, SUB_KEY
    ) == ("8f6f2b5b3d485fe1886cec6a0be8c5d4")
    assert encode_query({"foo": "one one four", "bar": "五一四", "baz": 1919810}) == (
        "bar=%E4%BA%94%E4%B8%80%E5%9B%9B&baz=1919810&foo=one%20one%20four"
    )
    # !'()* are removed from values before signing and sending
    assert sign_params({"k": "a(b)!*'"}, keys, wts=1)["k"] == "ab"


def test_the_cookie_goes_only_to_bilibilis_own_hosts() -> None:
    allowed = site_hosts("bilibili.com", "http://127.0.0.1:5555")
    assert allowed("https://api.bilibili.com/x/web-interface/nav")
    assert allowed("https://space.bilibili.com/1")
    assert allowed("http://127.0.0.1:5555/x/nav")
    assert not allowed("http://127.0.0.1:5556/x/nav")
    assert not allowed("https://i0.hdslb.com/bfs/archive/x.jpg")
    assert not allowed("https://evilbilibili.com/")
    assert not allowed("https://bilibili.com.evil.org/")


# -- routes ---------------------------------------------------------------------------------------
def test_user_videos_carry_cover_duration_and_link(bili: FakeBilibili) -> None:
    saved: list[dict[str, str]] = []
    feed = run_source(bili, "bilibili.user.video", {"uid": "2267573"}, save_cookies=saved.append)
    assert feed.title == "测试用户 的 bilibili 空间"
    assert feed.icon_url == "https://i0.hdslb.com/bfs/face/me.jpg"
    new, old = feed.items
    assert new.url == "https://www.bilibili.com/video/BV1xx411c7mD" and new.guid == "BV1xx411c7mD"
    assert old.url == "https://www.bilibili.com/video/av170001"  # before BV ids existed
    assert new.published == datetime.fromtimestamp(1764000000, UTC)
    assert new.enclosures[0].url == "https://i0.hdslb.com/bfs/archive/cover1.jpg"
    assert 'src="https://i0.hdslb.com/bfs/archive/cover1.jpg"' in new.content_html
    assert "时长 12:34" in new.content_html and "三款阅读器" in new.content_html
    assert bili.signature_failures == []
    # buvid3 was fetched once and kept (with the login cookies) for the vault
    assert saved and saved[-1]["buvid3"].endswith("infoc") and saved[-1]["SESSDATA"]
    (search,) = bili.api_requests("/x/space/wbi/arc/search")
    assert search.headers["referer"] == "https://space.bilibili.com/2267573"
    assert search.headers["origin"] == "https://space.bilibili.com"
    assert "SESSDATA=" in search.headers["cookie"] and "buvid3=" in search.headers["cookie"]
    # the same browser as the cookie's: its UA and the client hints that UA's browser sends
    assert search.headers["user-agent"] == UA
    for name, value in client_hints(UA).items():
        assert search.headers[name] == value
    assert search.headers["sec-ch-ua"] == '"Not=A?Brand";v="24", "Chromium";v="140"'


def test_stale_wbi_keys_are_fetched_again_once(bili: FakeBilibili) -> None:
    run_source(bili, "bilibili.user.video", {"uid": "2267573"})
    navs = bili.nav_requests
    run_source(bili, "bilibili.user.video", {"uid": "2267573"})
    assert bili.nav_requests == navs  # cached
    bili.rotate_keys()
    feed = run_source(bili, "bilibili.user.video", {"uid": "2267573"})
    assert len(feed.items) == 2
    assert bili.nav_requests == navs + 1
    assert len(bili.signature_failures) == 1  # the stale signature, then the fresh one passed


def test_user_dynamics_have_text_pictures_and_reposts(bili: FakeBilibili) -> None:
    feed = run_source(bili, "bilibili.user.dynamic", {"uid": "2267573"})
    assert feed.title == "测试用户 的 bilibili 动态"
    draw, video, repost = feed.items
    assert draw.guid == "1100000000000000001" and draw.url == "https://t.bilibili.com/1100000000000000001"
    assert draw.title == "今天的照片"
    assert "<p>第二行</p>" in draw.content_html
    assert 'src="https://i0.hdslb.com/bfs/new_dyn/p1.jpg"' in draw.content_html
    assert 'src="https://i0.hdslb.com/bfs/new_dyn/p2.jpg"' in draw.content_html
    assert (
        video.title == "RSS 阅读器推荐"
        and "https://www.bilibili.com/video/BV1xx411c7mD" in video.content_html
    )
    assert "原来的话" in repost.content_html and "<blockquote>" in repost.content_html
    assert repost.published == datetime.fromtimestamp(1764100000, UTC)


def test_the_follow_feed_needs_the_login_cookie(bili: FakeBilibili) -> None:
    with pytest.raises(CookieMissingError, match="SESSDATA"):
        run_source(bili, "bilibili.followings.dynamic", {}, cookies={"buvid3": "x"})
    assert bili.api_requests("/x/polymer/web-dynamic/v1/feed/all") == []
    feed = run_source(bili, "bilibili.followings.dynamic", {"uid": "2267573"})
    assert [i.guid for i in feed.items] == ["1100000000000000001", "1100000000000000002"]


def test_a_favourites_folder(bili: FakeBilibili) -> None:
    feed = run_source(bili, "bilibili.fav", {"uid": "2267573", "fid": "88"})
    assert feed.title == "测试用户 的 bilibili 收藏夹 稍后再看"
    (item,) = feed.items  # the one deleted by its uploader is left out
    assert item.published == datetime.fromtimestamp(1764200000, UTC)  # when it was favourited
    assert "时长 12:34" in item.content_html and item.enclosures
    with pytest.raises(PrivateProfileError, match="-403"):
        run_source(bili, "bilibili.fav", {"uid": "1", "fid": "99"}, cookies={"buvid3": "x"})


# -- bans -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ban", "floor", "shown"),
    [
        ("412", timedelta(hours=1), "HTTP 412"),
        ("-352", timedelta(hours=1), "code -352"),
        ("voucher", timedelta(hours=1), "v_voucher"),
        ("-799", timedelta(minutes=30), "code -799"),
    ],
)
def test_each_ban_cools_the_site_down_persistently(
    bili: FakeBilibili, tmp_path: Path, ban: str, floor: timedelta, shown: str
) -> None:
    store = open_store(tmp_path / "hearth.sqlite3")
    try:
        gate = GateRegistry(store, min_spacing=0, max_per_hour=1000).gate("bilibili.com")
        run_source(bili, "bilibili.user.video", {"uid": "2267573"}, gate=gate)  # keys and buvid cached
        bili.ban, bili.ban_next = ban, 2  # -352 / voucher: the fresh-keys retry is refused too
        before = datetime.now(UTC)
        with pytest.raises(BlockedError) as caught:
            run_source(bili, "bilibili.user.video", {"uid": "2267573"}, gate=gate)
        message = caught.value.user_message()
        assert shown in message and "cooling down until" in message
        state = store.get_site_state("bilibili.com")
        assert state is not None and state.cooldown_until is not None
        assert state.cooldown_until >= before + floor
        sent = len(bili.server.requests)
        with pytest.raises(BlockedError):  # no request while cooling down
            run_source(bili, "bilibili.user.video", {"uid": "2267573"}, gate=gate)
        assert len(bili.server.requests) == sent
    finally:
        store.close()
