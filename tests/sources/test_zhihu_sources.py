"""Every Zhihu source against the fake server: field mapping, HTML clean-up, headers, cookies, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from app.errors import BlockedError, CookieExpiredError, CookieMissingError, PrivateProfileError, SourceError
from app.sources.zhihu import sign
from tests.sources.conftest import TEST_UA, fetch_source, site_cookies
from tests.sources.fake_zhihu import D_C0, FakeZhihu


def utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def test_activities_maps_every_target_type(zhihu: FakeZhihu) -> None:
    feed = fetch_source(zhihu, "zhihu.people.activities", {"id": "diygod"})
    assert feed.title == "DIYgod的知乎动态"
    assert feed.site_url == "https://www.zhihu.com/people/diygod/activities"
    assert feed.icon_url and feed.icon_url.startswith("https://pica.zhimg.com/")
    assert feed.description == "RSSHub 作者，写代码的"
    by_title = {i.title.split(": ", 1)[0]: i for i in feed.items}
    assert [i.url for i in feed.items] == [
        "https://www.zhihu.com/question/20000001/answer/3100000001",
        "https://zhuanlan.zhihu.com/p/640000001",
        "https://www.zhihu.com/pin/1650000000000000001",
        "https://www.zhihu.com/question/20000002",
        "https://zhuanlan.zhihu.com/googledevelopers",
        "https://www.zhihu.com/topic/19550517",
        "https://www.zhihu.com/collection/123456",
        "https://www.zhihu.com/lives/987654321",
        "https://www.zhihu.com/roundtable/opensource",
        "https://www.zhihu.com/zvideo/1420000000000000000",
    ]
    answer = feed.items[0]
    assert answer.title == "DIYgod回答了问题: RSS 已经死了吗？"
    assert answer.author == "DIYgod"
    assert answer.published == utc(1690002000)  # the activity's created_time
    assert answer.guid == "zhihu:activity:1690002000"
    assert "DIYgod关注了话题" in by_title and "互联网是网络" in by_title["DIYgod关注了话题"].content_html
    assert "话题关注者人数：12345678" in by_title["DIYgod关注了话题"].content_html
    assert "<br>" in by_title["DIYgod参与了 Live"].content_html  # newlines kept
    assert by_title["DIYgod参与了 Live"].author == "主讲人"
    assert "Google 开发者官方专栏" in by_title["DIYgod关注了专栏"].content_html
    assert "一个本地的" in by_title["DIYgod关注了问题"].content_html
    assert "视频内容请跳转至原页面观看" in by_title["DIYgod发布了视频"].content_html
    assert len({i.guid for i in feed.items}) == len(feed.items)


def test_answer_html_gets_zhihu_clean_up_and_sanitising(zhihu: FakeZhihu) -> None:
    html = fetch_source(zhihu, "zhihu.people.activities", {"id": "diygod"}).items[0].content_html
    assert '<img src="https://pic1.zhimg.com/v2-rss.jpg">' in html  # data-actualsrc, no query, no _720w
    assert "noscript" not in html and "v2-rss_b" not in html
    assert 'href="https://docs.rsshub.app/zh/?ref=zhihu"' in html  # link.zhihu.com unwrapped and decoded
    assert "link.zhihu.com" not in html
    assert "mcn" not in html and "机械键盘" not in html  # MCN card dropped
    assert "<script" not in html and "alert" not in html  # sanitised
    assert "data:image" not in html


def test_pin_in_activities(zhihu: FakeZhihu) -> None:
    pin = fetch_source(zhihu, "zhihu.people.activities", {"id": "diygod"}).items[2]
    assert pin.title == "DIYgod发布了想法: 今天的晚霞真好看"
    assert '<img src="https://pic3.zhimg.com/v2-sky.jpg"' in pin.content_html
    assert '<a href="https://example.com/sunset"' in pin.content_html
    assert 'src="https://vdn.vzuu.com/hd.mp4"' in pin.content_html  # the hd entry of the playlist
    assert 'poster="https://pic4.zhimg.com/v2-thumb.jpg"' in pin.content_html


def test_answers(zhihu: FakeZhihu) -> None:
    feed = fetch_source(zhihu, "zhihu.people.answers", {"id": "diygod"})
    assert feed.title == "DIYgod的知乎回答"
    first, second = feed.items
    assert first.title == "RSS 已经死了吗？"
    assert first.url == first.guid == "https://www.zhihu.com/question/20000001/answer/3100000001"
    assert first.published == utc(1690001900) and first.updated == utc(1690001950)
    assert 'src="https://pic1.zhimg.com/v2-rss.jpg"' in first.content_html
    assert 'href="https://github.com/DIYgod/RSSHub"' in second.content_html
    req = zhihu.server.requests_to("/api/v4/members/diygod/answers")[0]
    assert parse_qs(urlsplit(req.path).query) == {"limit": ["7"], "include": ["data[*].is_normal,content"]}


def test_posts_use_profile_and_articles(zhihu: FakeZhihu) -> None:
    feed = fetch_source(zhihu, "zhihu.posts", {"usertype": "people", "id": "diygod"})
    assert feed.title == "DIYgod 的知乎文章"
    assert feed.icon_url == "https://pica.zhimg.com/v2-avatar_l.jpg"
    assert feed.description == "RSSHub 作者"
    first, second = feed.items
    assert first.url == "https://zhuanlan.zhihu.com/p/640000001"
    assert (first.published, first.updated) == (utc(1690000900), utc(1690000990))
    assert 'src="https://pic2.zhimg.com/v2-hub.jpg"' in first.content_html  # data-original wins over src
    assert (
        'href="https://example.com/中文"' in second.content_html
        or "example.com/%E4%B8%AD%E6%96%87" in second.content_html
    )
    query = parse_qs(urlsplit(zhihu.server.requests_to("/api/v4/members/diygod/articles")[0].path).query)
    assert query["sort_by"] == ["created"] and query["limit"] == ["20"] and query["offset"] == ["0"]
    assert "content" in query["include"][0]


def test_pins_on_api_host_unsigned_and_without_cookie(zhihu: FakeZhihu) -> None:
    feed = fetch_source(zhihu, "zhihu.people.pins", {"id": "diygod"}, cookies=None)
    assert feed.title == "DIYgod的知乎想法"
    repost, reading = feed.items
    assert repost.title == "DIYgod：转发一下"
    assert repost.url == "https://www.zhihu.com/pin/1650000000000000002"
    assert 'href="https://rsshub.app"' in repost.content_html
    assert "转发原文" in repost.content_html and "这是原来的想法" in repost.content_html
    assert "https://pic3.zhimg.com/v2-orig.jpg" in repost.content_html
    assert 'src="https://vdn.vzuu.com/hd2.mp4"' in reading.content_html
    assert "深入理解计算机系统" in reading.content_html
    req = zhihu.server.requests_to("/pins/diygod/moments")[0]
    assert req.path == "/pins/diygod/moments?limit=10&offset=0"
    assert "x-zse-96" not in req.headers and "cookie" not in req.headers


def test_column_merges_pinned_items_without_duplicates(zhihu: FakeZhihu) -> None:
    feed = fetch_source(zhihu, "zhihu.zhuanlan", {"id": "googledevelopers"})
    assert feed.title == "知乎专栏-谷歌开发者"
    assert feed.description == "Google 开发者官方专栏"
    urls = [i.url for i in feed.items]
    assert urls == [
        "https://zhuanlan.zhihu.com/p/650000001",
        "https://www.zhihu.com/question/20000004/answer/3200000001",
        "https://www.zhihu.com/zvideo/1430000000000000000",
        "https://zhuanlan.zhihu.com/p/600000001",
    ]
    answer, video = feed.items[1], feed.items[2]
    assert answer.title == "Kotlin 值得学吗？" and answer.author == "谷歌开发者"
    assert video.published == utc(1690008000)
    for path in (
        "/api/v4/columns/googledevelopers/items",
        "/api/v4/columns/googledevelopers/pinned-items/v2",
    ):
        assert (
            zhihu.server.requests_to(path)[0].headers["referer"]
            == "https://zhuanlan.zhihu.com/googledevelopers"
        )


def test_column_with_a_known_title_skips_the_metadata_request(zhihu: FakeZhihu) -> None:
    feed = fetch_source(
        zhihu, "zhihu.zhuanlan", {"id": "googledevelopers"}, extra={"known_title": "谷歌开发者专栏"}
    )
    assert feed.title == "谷歌开发者专栏"
    assert zhihu.server.requests_to("/api/v4/columns/googledevelopers") == []


def test_collection_first_page_and_all_pages(zhihu: FakeZhihu) -> None:
    feed = fetch_source(zhihu, "zhihu.collection", {"id": "123456"})
    assert feed.title == "好文收藏 - 知乎收藏夹"
    assert feed.description == "值得反复读的文章"
    assert len(feed.items) == 20
    answer, article, pin = feed.items[:3]
    assert answer.url == "https://www.zhihu.com/question/21000000/answer/3300000000"
    assert answer.published == utc(1680000500)  # updated_time for answers
    assert article.published == utc(1680001700)  # updated for articles
    assert pin.url == "https://www.zhihu.com/pin/1660000000000000002" and "想法内容 2" in pin.content_html
    everything = fetch_source(zhihu, "zhihu.collection", {"id": "123456", "getAll": "1"})
    assert len(everything.items) == 22
    offsets = [
        parse_qs(urlsplit(r.path).query)["offset"][0]
        for r in zhihu.server.requests_to("/api/v4/collections/123456/items")
    ]
    assert offsets == ["0", "0", "20"]


def test_question_answers(zhihu: FakeZhihu) -> None:
    feed = fetch_source(zhihu, "zhihu.question", {"questionId": "59895982", "sortBy": "created"})
    assert feed.title == "知乎-有哪些好用的 RSS 阅读器？"
    assert feed.site_url == "https://www.zhihu.com/question/59895982?sort=created"
    first = feed.items[0]
    assert first.title == "张三的回答：我用过十几个阅读器， 最后留下来的是……"
    assert first.guid == "https://www.zhihu.com/question/59895982/answer/3400000001"
    assert first.published == utc(1690021000)  # updated_time, as RSSHub
    assert first.content_html.startswith("<p>张三的回答</p>")
    assert 'href="https://netnewswire.com"' in first.content_html
    assert 'src="https://pic2.zhimg.com/v2-nnw.jpg"' in first.content_html
    path = zhihu.server.requests_to("/api/v4/questions/59895982/answers")[0].path
    assert "include=data%5B*%5D.is_normal%2Cadmin_closed_comment" in path  # sent pre-encoded, as signed
    assert path.endswith("&limit=20&sort_by=created&platform=desktop")


def test_hot_list_needs_cookie_and_maps_targets(zhihu: FakeZhihu) -> None:
    feed = fetch_source(zhihu, "zhihu.hot", {})
    assert feed.title == "知乎热榜"
    first = feed.items[0]
    assert first.url == "https://www.zhihu.com/question/20000010"  # not the api.zhihu.com URL
    assert first.title == "如何看待某科技公司发布新款手机？"
    assert first.published == utc(1690029000)
    assert "今天上午" in first.content_html and "1234 万热度" in first.content_html
    assert 'src="https://pic1.zhimg.com/v2-hot1.jpg"' in first.content_html
    assert zhihu.server.requests_to("/topstory/hot-lists/total")[0].path.endswith("?limit=10&reverse_order=0")
    with pytest.raises(CookieMissingError):
        fetch_source(zhihu, "zhihu.hot", {}, cookies=None)


def test_signed_requests_carry_every_header(zhihu: FakeZhihu) -> None:
    fetch_source(zhihu, "zhihu.people.activities", {"id": "diygod"})
    (req,) = zhihu.api_requests()
    assert req.path == "/api/v3/moments/diygod/activities?limit=5&desktop=true&ws_qiangzhisafe=0"
    h = req.headers
    assert h["x-zse-93"] == "101_3_3.0" and h["x-zse-96"].startswith("2.0_") and len(h["x-zse-96"]) == 68
    assert h["x-api-version"] == "3.0.91" and h["x-app-za"] == "OS=Web"
    assert h["referer"] == "https://www.zhihu.com/people/diygod/activities"
    assert h["user-agent"] == TEST_UA  # the cookie's own user agent
    assert f"d_c0={D_C0}" in h["cookie"] and "z_c0=" in h["cookie"]
    assert zhihu.signature_failures == []


def test_every_signed_request_verified_by_the_server(zhihu: FakeZhihu) -> None:
    for source_id, params in [
        ("zhihu.people.answers", {"id": "diygod"}),
        ("zhihu.posts", {"id": "diygod"}),
        ("zhihu.zhuanlan", {"id": "googledevelopers"}),
        ("zhihu.collection", {"id": "123456", "getAll": "1"}),
        ("zhihu.question", {"questionId": "59895982"}),
    ]:
        fetch_source(zhihu, source_id, params)
    assert len(zhihu.api_requests()) == 10
    assert zhihu.signature_failures == []


def test_bad_signature_gets_the_10003_message(zhihu: FakeZhihu, monkeypatch: pytest.MonkeyPatch) -> None:
    # sign with a different d_c0 than the cookie carries: the server recomputes and answers 10003
    real = sign.x_zse_96
    monkeypatch.setattr(sign, "x_zse_96", lambda path, d_c0, r=None: real(path, d_c0 + "x", r=r))
    with pytest.raises(SourceError, match="10003") as err:
        fetch_source(zhihu, "zhihu.people.activities", {"id": "diygod"})
    assert "sign in again" in err.value.hint
    assert zhihu.signature_failures
    assert not isinstance(err.value, BlockedError)  # a bad signature is not a ban: no cooldown


def test_missing_cookie_says_how_to_sign_in(zhihu: FakeZhihu) -> None:
    with pytest.raises(CookieMissingError) as err:
        fetch_source(zhihu, "zhihu.people.activities", {"id": "diygod"}, cookies=None)
    assert "Feeds → Sign in to Zhihu" in err.value.user_message()
    assert "hearth cookies set zhihu.com" in err.value.user_message()
    with pytest.raises(CookieMissingError):  # a cookie without d_c0 cannot sign
        fetch_source(zhihu, "zhihu.people.answers", {"id": "diygod"}, cookies=site_cookies({"z_c0": "x"}))
    assert zhihu.api_requests() == []


def test_expired_cookie(zhihu: FakeZhihu) -> None:
    zhihu.expired = True
    with pytest.raises(CookieExpiredError, match="expired") as err:
        fetch_source(zhihu, "zhihu.people.activities", {"id": "diygod"})
    assert "sign in again" in err.value.hint


def test_private_profile_and_unknown_user(zhihu: FakeZhihu) -> None:
    with pytest.raises(PrivateProfileError, match="this profile is private"):
        fetch_source(zhihu, "zhihu.people.activities", {"id": "private"})
    with pytest.raises(SourceError, match="Zhihu has no user nobody"):
        fetch_source(zhihu, "zhihu.people.activities", {"id": "nobody"})


def test_missing_parameter_is_a_clear_error(zhihu: FakeZhihu) -> None:
    with pytest.raises(SourceError, match="needs a id"):
        fetch_source(zhihu, "zhihu.people.activities", {})
    with pytest.raises(SourceError, match="sortBy must be one of"):
        fetch_source(zhihu, "zhihu.question", {"questionId": "1", "sortBy": "hot"})
