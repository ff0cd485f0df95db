"""Zhihu's login routes (follow timeline, topic, a user's collections) against the signature-checking fake."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.cli import run as hearth
from app.errors import CookieExpiredError, CookieMissingError
from app.models import ArticleQuery, ParsedFeed
from app.sources.base import SourceContext
from app.sources.registry import get_source, match_url
from app.storage import open_store
from app.vault import CookieVault
from app.vault.cookies import SiteCookies
from tests.sources.fake_zhihu import D_C0, FakeZhihu
from tests.sources.fake_zhihu_login import FakeZhihuLogin

UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"


@pytest.fixture
def zhihu() -> Iterator[FakeZhihuLogin]:
    with FakeZhihuLogin() as fake:
        yield fake


def run_source(
    zhihu: FakeZhihu, source_id: str, params: Mapping[str, str], *, cookies: Mapping[str, str] | None = None
) -> ParsedFeed:
    jar = SiteCookies("zhihu.com", dict(FakeZhihu.cookies() if cookies is None else cookies), UA)

    async def go() -> ParsedFeed:
        async with httpx.AsyncClient(timeout=10) as client:
            ctx = SourceContext(client=client, settings=zhihu.settings(), cookies=jar)
            return await get_source(source_id).fetch(params, ctx)

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("url", "source_id", "params"),
    [
        ("https://www.zhihu.com/follow", "zhihu.timeline", {}),
        ("https://rsshub.app/zhihu/timeline", "zhihu.timeline", {}),
        ("https://www.zhihu.com/topic/19550517", "zhihu.topic", {"topicId": "19550517", "isTop": ""}),
        ("https://www.zhihu.com/topic/19550517/newest", "zhihu.topic", {"topicId": "19550517", "isTop": ""}),
        (
            "https://www.zhihu.com/topic/19550517/top-answers",
            "zhihu.topic",
            {"topicId": "19550517", "isTop": "1"},
        ),
        ("/zhihu/topic/19550517/true", "zhihu.topic", {"topicId": "19550517", "isTop": "1"}),
        (
            "https://www.zhihu.com/people/collector/collections",
            "zhihu.people.allCollections",
            {"id": "collector"},
        ),
        ("/zhihu/people/allCollections/collector", "zhihu.people.allCollections", {"id": "collector"}),
    ],
)
def test_pasted_urls(url: str, source_id: str, params: dict[str, str]) -> None:
    found = match_url(url)
    assert found is not None and (found[0].id, found[1]) == (source_id, params)


def test_follow_timeline(zhihu: FakeZhihuLogin) -> None:
    feed = run_source(zhihu, "zhihu.timeline", {})
    assert feed.title == "知乎关注动态"
    liked, group = feed.items  # the advert is dropped
    assert liked.title == "张三, 李四赞同了回答: RSS 还有人用吗？"
    assert liked.url == "https://www.zhihu.com/question/1001/answer/1" and liked.guid == "zhihu:answer:1"
    assert "当然有" in liked.content_html and liked.published == datetime.fromtimestamp(1764300000, UTC)
    assert group.title == "2 个问题有新回答" and group.url == "https://www.zhihu.com/question/77"
    (request,) = zhihu.login_requests()
    assert request.headers["referer"] == "https://www.zhihu.com/follow"
    assert request.headers["sec-ch-ua"] == '"Not=A?Brand";v="24", "Chromium";v="140"'
    assert request.headers["sec-ch-ua-platform"] == '"Windows"'
    assert zhihu.signature_failures == []


def test_the_timeline_needs_z_c0_and_says_so(zhihu: FakeZhihuLogin) -> None:
    with pytest.raises(CookieMissingError, match="z_c0"):
        run_source(zhihu, "zhihu.timeline", {}, cookies={"d_c0": D_C0})
    assert zhihu.login_requests() == []
    zhihu.expired = True
    with pytest.raises(CookieExpiredError):
        run_source(zhihu, "zhihu.timeline", {})


def test_topic_newest_and_top(zhihu: FakeZhihuLogin) -> None:
    feed = run_source(zhihu, "zhihu.topic", {"topicId": "19550517"})
    assert feed.title == "知乎话题-互联网" and feed.description == "关于互联网的一切"
    answer, article, video = feed.items
    assert answer.title.startswith("互联网会变好吗？-赵六的回答：") and answer.guid == "3"
    assert "<strong>互联网会变好吗？</strong>" in answer.content_html
    assert article.url == "https://zhuanlan.zhihu.com/p/55"
    assert 'src="https://vdn.zhimg.com/hd.mp4"' in video.content_html and "t.jpg" in video.content_html
    top = run_source(zhihu, "zhihu.topic", {"topicId": "19550517", "isTop": "1"})
    assert top.title == "知乎话题-互联网-精华" and len(top.items) == 1
    referers = [r.headers["referer"] for r in zhihu.login_requests() if "feeds" in r.path]
    assert referers == [
        "https://www.zhihu.com/topic/19550517/newest",
        "https://www.zhihu.com/topic/19550517/top-answers",
    ]
    assert zhihu.signature_failures == []


def test_a_users_collections(zhihu: FakeZhihuLogin) -> None:
    feed = run_source(zhihu, "zhihu.people.allCollections", {"id": "collector"})
    assert feed.title == "收藏家的知乎收藏"
    assert [i.title for i in feed.items] == ["问题甲", "文章乙"]  # the answer in both folders once
    assert "收藏夹：好文" in feed.items[0].content_html
    listing = zhihu.server.requests_to("/people/collector/collections")[0]
    assert "x-zse-96" not in listing.headers and "z_c0=" in listing.headers["cookie"]
    assert zhihu.signature_failures == []


def test_hearth_add_the_follow_timeline(
    secret_service: object, data_dir: Path, zhihu: FakeZhihuLogin, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in (
        ("zhihu.www_base", zhihu.base),
        ("zhihu.api_base", zhihu.base),
        ("sites.min_spacing_seconds", "0"),
    ):
        assert hearth(["config", "set", key, value]) == 0
    CookieVault().set("zhihu.com", FakeZhihu.cookies(), UA)
    assert hearth(["add", "https://www.zhihu.com/follow"]) == 0
    assert (
        "subscribed to 知乎关注动态 (Zhihu follow timeline (signed-in user), feed 1)"
        in capsys.readouterr().out
    )
    assert hearth(["add", "https://www.zhihu.com/topic/19550517"]) == 0
    assert hearth(["refresh", "--all", "-q"]) == 0
    store = open_store(data_dir / "hearth.sqlite3")
    try:
        counts: dict[str, Any] = {
            f.kind: store.count_articles(ArticleQuery(feed_ids=(f.id,))) for f in store.list_feeds()
        }
        assert counts == {"zhihu.timeline": 2, "zhihu.topic": 3}
    finally:
        store.close()
