"""URL matching, canonical feed URLs, and end-to-end refreshes through the real Refresher, store and vault."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.cli import run as hearth
from app.fetching import Refresher
from app.models import ArticleQuery
from app.sources.registry import (
    all_sources,
    get_source,
    make_source_fetcher,
    match_url,
    site_of,
    source_feed_url,
)
from app.storage import open_store
from app.vault import CookieVault
from tests.sources.conftest import TEST_UA
from tests.sources.fake_zhihu import FakeZhihu
from tests.sources.test_challenge import PageSolver


@pytest.mark.parametrize(
    ("url", "source_id", "params"),
    [
        ("https://www.zhihu.com/people/diygod", "zhihu.people.activities", {"id": "diygod"}),
        ("https://www.zhihu.com/people/diygod/activities", "zhihu.people.activities", {"id": "diygod"}),
        ("http://zhihu.com/people/diygod/?utm_source=x", "zhihu.people.activities", {"id": "diygod"}),
        ("https://www.zhihu.com/people/diygod/answers", "zhihu.people.answers", {"id": "diygod"}),
        ("https://www.zhihu.com/people/diygod/posts", "zhihu.posts", {"usertype": "people", "id": "diygod"}),
        ("https://www.zhihu.com/org/google/posts", "zhihu.posts", {"usertype": "org", "id": "google"}),
        ("https://www.zhihu.com/people/diygod/pins", "zhihu.people.pins", {"id": "diygod"}),
        ("https://zhuanlan.zhihu.com/googledevelopers", "zhihu.zhuanlan", {"id": "googledevelopers"}),
        ("https://www.zhihu.com/column/c_1234567", "zhihu.zhuanlan", {"id": "c_1234567"}),
        ("https://www.zhihu.com/collection/123456", "zhihu.collection", {"id": "123456", "getAll": ""}),
        (
            "https://www.zhihu.com/question/59895982",
            "zhihu.question",
            {"questionId": "59895982", "sortBy": "default"},
        ),
        (
            "https://www.zhihu.com/question/59895982/answer/3400000001",
            "zhihu.question",
            {"questionId": "59895982", "sortBy": "default"},
        ),
        (
            "https://www.zhihu.com/question/59895982?sort=created",
            "zhihu.question",
            {"questionId": "59895982", "sortBy": "created"},
        ),
        ("https://www.zhihu.com/hot", "zhihu.hot", {}),
        # RSSHub paths, on any host, or bare
        ("https://rsshub.app/zhihu/people/activities/diygod", "zhihu.people.activities", {"id": "diygod"}),
        ("http://127.0.0.1:1200/zhihu/people/answers/diygod", "zhihu.people.answers", {"id": "diygod"}),
        ("/zhihu/posts/org/google", "zhihu.posts", {"usertype": "org", "id": "google"}),
        ("https://my.rsshub.example/zhihu/people/pins/diygod/", "zhihu.people.pins", {"id": "diygod"}),
        ("/zhihu/zhuanlan/googledevelopers", "zhihu.zhuanlan", {"id": "googledevelopers"}),
        ("/zhihu/collection/123456/getAll", "zhihu.collection", {"id": "123456", "getAll": "getAll"}),
        (
            "https://rsshub.app/zhihu/question/59895982/updated",
            "zhihu.question",
            {"questionId": "59895982", "sortBy": "updated"},
        ),
        ("https://rsshub.app/zhihu/hot?key=abc", "zhihu.hot", {}),
        ("exec:~/bin/feed.sh --all", "script", {"command": "~/bin/feed.sh --all"}),
        ("script:python3 make.py", "script", {"command": "python3 make.py"}),
    ],
)
def test_match_url(url: str, source_id: str, params: dict[str, str]) -> None:
    found = match_url(url)
    assert found is not None, url
    assert (found[0].id, found[1]) == (source_id, params)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/feed.xml",
        "https://zhuanlan.zhihu.com/p/650000001",  # one article, not a column
        "https://www.zhihu.com/",
        "https://example.com/zhihu/people/activities",  # id missing
        "ftp://rsshub.app/zhihu/hot",
        "zhihu/hot",
    ],
)
def test_urls_that_are_not_sources(url: str) -> None:
    assert match_url(url) is None


OTHER_SITE_SAMPLES: dict[str, dict[str, str]] = {
    "bilibili.user.video": {"uid": "2267573"},
    "bilibili.user.dynamic": {"uid": "2267573"},
    "bilibili.followings.dynamic": {"uid": ""},
    "bilibili.fav": {"uid": "2267573", "fid": "88"},
    "weibo.user": {"uid": "1195230310"},
    "weibo.timeline": {"uid": ""},
    "zhihu.timeline": {},
    "zhihu.topic": {"topicId": "19550517", "isTop": "1"},
    "zhihu.people.allCollections": {"id": "collector"},
}


def test_feed_urls_are_canonical_and_round_trip() -> None:
    samples = {
        "zhihu.people.activities": {"id": "diygod"},
        "zhihu.people.answers": {"id": "diygod"},
        "zhihu.posts": {"usertype": "org", "id": "google"},
        "zhihu.people.pins": {"id": "diygod"},
        "zhihu.zhuanlan": {"id": "c_1234"},
        "zhihu.collection": {"id": "123456", "getAll": ""},
        "zhihu.question": {"questionId": "1", "sortBy": "updated"},
        "zhihu.hot": {},
        "script": {"command": "a b"},
        **OTHER_SITE_SAMPLES,
    }
    assert set(samples) == {s.id for s in all_sources()}
    urls = set()
    for source_id, params in samples.items():
        source = get_source(source_id)
        url = source_feed_url(source, params)
        urls.add(url)
        assert match_url(url) == (source, params), url
        if source.id != "script":
            assert match_url(source.rsshub_path(params)) == (source, params)
            assert site_of_kind(source.id) == source.site and source.site
    assert len(urls) == len(samples)
    assert source_feed_url(get_source("zhihu.people.activities"), {"id": "diygod"}) == (
        "https://www.zhihu.com/people/diygod/activities"
    )


def site_of_kind(kind: str) -> str | None:
    from app.models import Feed

    return site_of(Feed(id=1, url="x", title="", kind=kind))


def test_end_to_end_refresh_of_a_zhihu_feed(secret_service: object, tmp_path: Path, zhihu: FakeZhihu) -> None:
    vault = CookieVault()
    vault.set("zhihu.com", FakeZhihu.cookies(), TEST_UA)
    settings = zhihu.settings()
    store = open_store(tmp_path / "hearth.sqlite3")
    try:
        source, params = match_url("https://www.zhihu.com/people/diygod")  # type: ignore[misc]
        feed = store.add_feed(source_feed_url(source, params), kind=source.id, params=params)
        column = store.add_feed(
            "https://zhuanlan.zhihu.com/googledevelopers",
            kind="zhihu.zhuanlan",
            params={"id": "googledevelopers"},
        )
        zhihu.challenge_mode = True  # and the first request meets the challenge
        solver = PageSolver()
        fetch_source = make_source_fetcher(
            settings, vault=vault, site_states=store, data_dir=tmp_path, solve_challenge=solver
        )
        with Refresher(store, settings, fetch_source=fetch_source) as refresher:
            report = refresher.refresh(feed_ids=[feed.id, column.id])
            assert [o.error for o in report.outcomes] == [None, None]
            assert report.new_articles == 14
            stored = store.get_feed(feed.id)
            assert stored.title == "DIYgod的知乎动态"  # filled from the first fetch
            assert store.get_feed(column.id).title == "知乎专栏-谷歌开发者"
            rows = store.list_articles(ArticleQuery(feed_ids=(feed.id,)))
            assert len(rows) == 10 and rows[0].title == "DIYgod回答了问题: RSS 已经死了吗？"
            article = store.get_article(rows[0].id)
            assert 'src="https://pic1.zhimg.com/v2-rss.jpg"' in article.content_html
            # the solved challenge cookie went into the vault, so the next refresh is not challenged
            assert "__zse_ck" in (vault.get("zhihu.com").cookies)  # type: ignore[union-attr]
            assert len(solver.calls) <= 2
            served = zhihu.challenges_served
            again = refresher.refresh(feed_ids=[feed.id, column.id])
            assert again.new_articles == 0 and [o.error for o in again.outcomes] == [None, None]
            assert zhihu.challenges_served == served
            # the column now has its title: no metadata request the second time
            assert len(zhihu.server.requests_to("/api/v4/columns/googledevelopers")) == 1
        assert zhihu.signature_failures == []
    finally:
        store.close()


def test_a_ban_cools_the_site_down_across_refreshes(
    secret_service: object, tmp_path: Path, zhihu: FakeZhihu
) -> None:
    vault = CookieVault()
    vault.set("zhihu.com", FakeZhihu.cookies(), TEST_UA)
    settings = zhihu.settings()
    db = tmp_path / "hearth.sqlite3"
    store = open_store(db)
    feed = store.add_feed(
        "https://www.zhihu.com/people/diygod/answers", kind="zhihu.people.answers", params={"id": "diygod"}
    )
    zhihu.block_next = 1
    with Refresher(
        store, settings, fetch_source=make_source_fetcher(settings, vault=vault, site_states=store)
    ) as r:
        report = r.refresh(feed_ids=[feed.id])
    assert "cooling down until" in (report.outcomes[0].error or "")
    state = store.get_site_state("zhihu.com")
    assert state is not None and state.cooldown_until is not None
    assert store.get_feed(feed.id).next_fetch >= state.cooldown_until  # not retried before the cooldown ends
    store.close()
    # a restart: a new store and a new fetcher still hold off, without a request
    sent = len(zhihu.requests)
    store = open_store(db)
    with Refresher(
        store, settings, fetch_source=make_source_fetcher(settings, vault=vault, site_states=store)
    ) as r:
        report = r.refresh(feed_ids=[feed.id])
    assert "cooling down until" in (report.outcomes[0].error or "")
    assert len(zhihu.requests) == sent
    store.close()


def test_hearth_add_and_refresh_a_script_feed(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "feed.py"
    script.write_text(
        'print(\'<rss version="2.0"><channel><title>Scripted</title>'
        "<item><title>one</title><guid>1</guid></item></channel></rss>')\n",
        encoding="utf-8",
    )
    assert hearth(["add", f"exec:{sys.executable} {script}"]) == 0
    out = capsys.readouterr().out
    assert (
        "subscribed to Scripted (Script output, feed 1)" in out
        and "1 article" in out
        and "1 articles" not in out
    )
    assert hearth(["refresh", "--all", "-q"]) == 0
    store = open_store(data_dir / "hearth.sqlite3")
    try:
        (feed,) = store.list_feeds()
        assert feed.kind == "script" and feed.url == f"exec:{sys.executable} {script}"
        assert store.count_articles(ArticleQuery(feed_ids=(feed.id,))) == 1
    finally:
        store.close()
