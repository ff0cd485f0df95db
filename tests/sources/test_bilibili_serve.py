"""The feed server answers RSSHub's Bilibili and Weibo paths (subscribe, fetch from the fakes, serve), and a ban is a 503."""

from __future__ import annotations

from pathlib import Path

import feedparser
import httpx
import pytest

from app.config import Paths
from app.server import FeedServer
from app.vault import CookieVault
from tests.sources.fake_bilibili import FakeBilibili
from tests.sources.fake_weibo import UID, FakeWeibo
from tests.sources.test_bilibili import UA


@pytest.mark.parametrize(
    ("path", "entries"),
    [
        ("/bilibili/user/video/2267573", 2),
        ("/bilibili/user/dynamic/2267573", 3),
        ("/bilibili/followings/dynamic/2267573", 2),
        ("/bilibili/fav/2267573/88", 1),
        (f"/weibo/user/{UID}", 4),
        (f"/weibo/timeline/{UID}", 2),
    ],
)
def test_rsshub_paths_are_served(path: str, entries: int, secret_service: object, data_dir: Path) -> None:
    with FakeBilibili() as bili, FakeWeibo() as weibo:
        settings = bili.settings(**{"weibo.m_base": weibo.base, "weibo.min_spacing_seconds": 0.0})
        vault = CookieVault.from_settings(settings)
        vault.set("bilibili.com", FakeBilibili.cookies(), UA)
        vault.set("weibo.com", FakeWeibo.cookies(), UA)
        with FeedServer(Paths(data_dir), settings, port=0, vault=vault).start() as srv:
            reply = httpx.get(srv.url(path), timeout=30)
            assert reply.status_code == 200, reply.text
            parsed = feedparser.parse(reply.content)
            assert len(parsed.entries) == entries and all(e.link for e in parsed.entries)
            assert path in httpx.get(srv.url("/")).text
        assert bili.signature_failures == []


def test_a_bilibili_ban_is_a_503_with_retry_after(secret_service: object, data_dir: Path) -> None:
    with FakeBilibili() as bili:
        settings = bili.settings()
        vault = CookieVault.from_settings(settings)
        vault.set("bilibili.com", {**FakeBilibili.cookies(), "buvid3": "b3"}, UA)
        bili.ban, bili.ban_next = "-799", 1
        with FeedServer(Paths(data_dir), settings, port=0, vault=vault).start() as srv:
            first = httpx.get(srv.url("/bilibili/user/video/2267573"), timeout=30)
            assert first.status_code == 503 and "bilibili.com is cooling down" in first.text
            assert "code -799" in first.text and int(first.headers["retry-after"]) >= 600
            asked = len(bili.server.requests)
            assert httpx.get(srv.url("/bilibili/user/video/2267573"), timeout=30).status_code == 503
            assert len(bili.server.requests) == asked
