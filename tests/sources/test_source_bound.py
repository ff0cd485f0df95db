"""Source feeds get the bounds a feed gets: an article body over 1 MB (app.feeds.normalize.MAX_HTML) is stored cut,
with the same note a feed's article gets, the other articles intact; and a source page over `fetch.max_body_mb`
(a compressed bomb included) is refused without ever being held whole. Through a fake Zhihu on 127.0.0.1, the
real source fetcher, Refresher and store."""

from __future__ import annotations

import gzip
import json
import re
import tracemalloc
from pathlib import Path
from typing import Any

from app.errors import BodyTooLargeError
from app.feeds.normalize import MAX_HTML
from app.fetching import Refresher
from app.models import ArticleQuery
from app.sources.registry import bounded_feed, make_source_fetcher, match_url, source_feed_url
from app.storage import open_store
from tests.sources.fake_zhihu import FakeZhihu
from tests.support.http import Reply

PINS_PATH = "/pins/diygod/moments"
PARAGRAPH = "<p>" + "一个很长很长的想法，long words and more words. " * 20 + "</p>"
NOTE = re.compile(r"<p><em>… \(article cut: [\d.]+ MB, over Hearth's 1 MB limit\)</em></p>$")


def big_html(size: int) -> str:
    return PARAGRAPH * (size // len(PARAGRAPH) + 1)


def pin(pin_id: str, title: str, html: str, created: int) -> dict[str, Any]:
    return {
        "id": pin_id,
        "type": "pin",
        "excerpt_title": title,
        "created": created,
        "author": {"name": "DIYgod", "url": "/people/diygod"},
        "content": [{"type": "text", "content": html}],
    }


def pins_page(*pins: dict[str, Any]) -> bytes:
    return json.dumps({"paging": {"is_end": True}, "data": list(pins)}, ensure_ascii=False).encode()


def rss_with(html: str) -> bytes:
    body = html.replace("]]>", "]]]]><![CDATA[>")
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title><link>https://example.org/</link>'
        f"<item><guid>big</guid><title>Big one</title><link>https://example.org/big</link>"
        f"<description><![CDATA[{body}]]></description></item></channel></rss>"
    ).encode()


def add_pins_feed(store) -> int:
    found = match_url("https://www.zhihu.com/people/diygod/pins")
    assert found is not None
    source, params = found
    return store.add_feed(source_feed_url(source, params), kind=source.id, params=params).id


def stored(store, feed_id: int) -> dict[str, str]:
    rows = store.list_articles(ArticleQuery(feed_ids=(feed_id,)))
    return {row.title: store.get_article(row.id).content_html for row in rows}


def test_a_source_article_over_1_mb_is_stored_cut_with_the_feeds_note(
    tmp_path: Path, zhihu: FakeZhihu
) -> None:
    html = big_html(3 * 1024 * 1024)
    zhihu.server.route(
        PINS_PATH,
        Reply(
            200,
            pins_page(
                pin("1", "长想法", html, 1690003000), pin("2", "短想法", "<p>短短的一句话</p>", 1690002000)
            ),
            {"Content-Type": "application/json"},
        ),
    )
    zhihu.server.route("/big.xml", Reply(200, rss_with(html), {"Content-Type": "application/rss+xml"}))
    settings = zhihu.settings()
    with open_store(tmp_path / "hearth.sqlite3") as store:
        pins_id = add_pins_feed(store)
        feed_id = store.add_feed(zhihu.url("/big.xml")).id
        fetch_source = make_source_fetcher(settings, site_states=store, data_dir=tmp_path)
        with Refresher(store, settings, fetch_source=fetch_source) as refresher:
            report = refresher.refresh(feed_ids=[pins_id, feed_id])
        assert [o.error for o in report.outcomes] == [None, None]
        pins = stored(store, pins_id)
        long, short = pins["DIYgod：长想法"], pins["DIYgod：短想法"]
        assert len(long) <= MAX_HTML and "<p>一个很长很长的想法" in long[:50]
        source_note = NOTE.search(long)
        assert source_note is not None, long[-300:]
        assert "<p>短短的一句话</p>" in short and "article cut" not in short  # the other article intact
        (feed_html,) = stored(store, feed_id).values()
        feed_note = NOTE.search(feed_html)
        assert feed_note is not None
        same = re.compile(r"[\d.]+ MB,")  # the same note (each names its own article's size)
        assert same.sub("N MB,", feed_note.group(0)) == same.sub("N MB,", source_note.group(0))
        assert long.count("<p>") == long.count("</p>")  # cut at a tag boundary: no paragraph left open


def test_the_bound_leaves_small_feeds_untouched() -> None:
    from app.models import ParsedFeed, ParsedItem

    parsed = ParsedFeed(
        title="t", items=(ParsedItem(guid="a", url=None, title="a", content_html="<p>x</p>"),)
    )
    assert bounded_feed(parsed) is parsed


def test_a_source_page_over_the_body_cap_is_refused_without_holding_it(
    tmp_path: Path, zhihu: FakeZhihu
) -> None:
    """40 MB of JSON sent as ~100 KB of gzip, with fetch.max_body_mb = 2: the read stops past 2 MB decoded."""
    decoded = pins_page(pin("1", "炸弹", big_html(40 * 1024 * 1024), 1690003000))
    bomb = gzip.compress(decoded, 9)
    assert len(bomb) < 2 * 1024 * 1024 < 40 * 1024 * 1024 < len(decoded)
    zhihu.server.route(
        PINS_PATH, Reply(200, bomb, {"Content-Type": "application/json", "Content-Encoding": "gzip"})
    )
    del decoded
    settings = zhihu.settings(**{"fetch.max_body_mb": 2})
    with open_store(tmp_path / "hearth.sqlite3") as store:
        pins_id = add_pins_feed(store)
        fetch_source = make_source_fetcher(settings, site_states=store, data_dir=tmp_path)
        with Refresher(store, settings, fetch_source=fetch_source) as refresher:
            tracemalloc.start()
            try:
                report = refresher.refresh(feed_ids=[pins_id])
                _now, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        (outcome,) = report.outcomes
        assert outcome.error_type is BodyTooLargeError
        assert outcome.error is not None and "more than 2 MB" in outcome.error
        assert peak < 20 * 1024 * 1024  # never the 40 MB body (nor half of it)
        assert stored(store, pins_id) == {}
        assert len(zhihu.server.requests_to(PINS_PATH)) == 1
