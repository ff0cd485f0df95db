"""What goes over the wire: redirects, cookies, identity headers, compression, encodings, formats."""

from __future__ import annotations

import gzip
import json
import zlib

import brotli

from app import USER_AGENT
from app.config import Settings
from app.fetching import FetchOptions, Refresher
from app.models import ArticleQuery
from tests.fetching.conftest import TEST_OPTIONS, run_refresh
from tests.fetching.fixtures import atom, rss
from tests.support.http import Reply

RSS = {"Content-Type": "application/rss+xml"}


def _articles(store, feed_id):
    return [store.get_article(i) for i in store.query_ids(ArticleQuery(feed_ids=(feed_id,), sort="title"))]


# -- redirects ------------------------------------------------------------------------------------
def test_301_and_308_update_the_stored_address(store, server):
    server.route("/old.xml", Reply(301, b"", {"Location": "/new.xml"}))
    server.route("/old2.xml", Reply(308, b"", {"Location": server.url("/new2.xml")}))
    server.route("/new.xml", Reply(200, rss("Moved"), RSS))
    server.route("/new2.xml", Reply(200, rss("Moved too", prefix="b"), RSS))
    a = store.add_feed(server.url("/old.xml"))
    b = store.add_feed(server.url("/old2.xml"))
    report = run_refresh(store)
    assert report.by_feed()[a.id].new_url == server.url("/new.xml")
    assert store.get_feed(a.id).url == server.url("/new.xml")
    assert store.get_feed(b.id).url == server.url("/new2.xml")
    assert report.new_articles == 6


def test_302_and_307_keep_the_stored_address(store, server):
    server.route("/a.xml", Reply(302, b"", {"Location": "/real-a.xml"}))
    server.route("/b.xml", Reply(307, b"", {"Location": "/real-b.xml"}))
    server.route("/real-a.xml", Reply(200, rss("A"), RSS))
    server.route("/real-b.xml", Reply(200, rss("B", prefix="b"), RSS))
    a = store.add_feed(server.url("/a.xml"))
    b = store.add_feed(server.url("/b.xml"))
    report = run_refresh(store)
    assert report.new_articles == 6 and not any(o.new_url for o in report.outcomes)
    assert store.get_feed(a.id).url == server.url("/a.xml")
    assert store.get_feed(b.id).url == server.url("/b.xml")


def test_a_permanent_then_temporary_chain_stores_only_the_permanent_target(store, server):
    server.route("/one.xml", Reply(301, b"", {"Location": "/two.xml"}))
    server.route("/two.xml", Reply(302, b"", {"Location": "/three.xml"}))
    server.route("/three.xml", Reply(200, rss("Chain"), RSS))
    feed = store.add_feed(server.url("/one.xml"))
    run_refresh(store)
    assert store.get_feed(feed.id).url == server.url("/two.xml")


def test_a_redirect_loop_errors(store, server):
    server.route("/loop.xml", Reply(302, b"", {"Location": "/loop.xml"}))
    store.add_feed(server.url("/loop.xml"))
    assert "redirects more than" in run_refresh(store).outcomes[0].error


def test_relative_links_resolve_against_where_the_feed_came_from(store, server):
    server.route("/feed", Reply(302, b"", {"Location": "/blog/atom.xml"}))
    server.route("/blog/atom.xml", Reply(200, atom("Relative"), {"Content-Type": "application/atom+xml"}))
    feed = store.add_feed(server.url("/feed"))
    run_refresh(store)
    first = _articles(store, feed.id)[0]
    assert first.url == server.url("/blog/posts/0.html")
    assert server.url("/blog/img/0.png") in first.content_html


# -- identity and cookies ---------------------------------------------------------------------------
def test_default_user_agent_is_hearths_and_accepts_compression(store, server):
    server.route("/f.xml", Reply(200, rss("UA"), RSS))
    store.add_feed(server.url("/f.xml"))
    run_refresh(store)
    headers = server.requests[0].headers
    assert headers["user-agent"] == USER_AGENT
    assert {"gzip", "deflate", "br"} <= {e.strip() for e in headers["accept-encoding"].split(",")}
    assert "application/rss+xml" in headers["accept"]
    assert "cookie" not in headers and "referer" not in headers


def test_settings_user_agent_then_per_feed_user_agent_and_extra_headers(store, server):
    server.route("/a.xml", Reply(200, rss("A"), RSS))
    server.route("/b.xml", Reply(200, rss("B", prefix="b"), RSS))
    store.add_feed(server.url("/a.xml"))
    b = store.add_feed(server.url("/b.xml"))
    store.update_feed(b.id, user_agent="Mozilla/5.0 Custom", extra_headers={"X-Token": "t1", "Accept": "*/*"})
    options = FetchOptions.from_settings(Settings(values={"fetch.user_agent": "Site-UA/2"}), parse_workers=1)
    with Refresher(store, options=options) as refresher:
        refresher.refresh(all=True)
    a_req, b_req = server.requests_to("/a.xml")[0], server.requests_to("/b.xml")[0]
    assert a_req.headers["user-agent"] == "Site-UA/2" and "x-token" not in a_req.headers
    assert b_req.headers["user-agent"] == "Mozilla/5.0 Custom"
    assert b_req.headers["x-token"] == "t1" and b_req.headers["accept"] == "*/*"


def test_cookies_set_by_a_server_are_never_sent_back(store, server):
    server.route("/f.xml", Reply(200, rss("C"), {**RSS, "Set-Cookie": "tracker=1; Path=/"}))
    store.add_feed(server.url("/f.xml"))
    with Refresher(store, options=TEST_OPTIONS) as refresher:
        refresher.refresh(all=True)
        refresher.refresh(all=True)
    assert len(server.requests) == 2
    assert all("cookie" not in r.headers for r in server.requests)


def test_vault_cookies_go_only_to_their_own_host_even_across_a_redirect(store, hosts):
    site, elsewhere = hosts(2), hosts(3)
    site.route("/members.xml", Reply(302, b"", {"Location": elsewhere.url("/mirror.xml")}))
    site.route("/own.xml", Reply(200, rss("Own"), RSS))
    elsewhere.route("/mirror.xml", Reply(200, rss("Mirror", prefix="m"), RSS))
    store.add_feed(site.url("/members.xml"))
    store.add_feed(site.url("/own.xml"))
    asked: list[str] = []

    def cookie_header_for(url: str) -> str | None:
        asked.append(url)
        return "sid=secret" if url.startswith("http://127.0.0.2:") else None

    with Refresher(store, options=TEST_OPTIONS, cookie_header_for=cookie_header_for) as refresher:
        report = refresher.refresh(all=True)
    assert not report.errors
    assert all(r.headers.get("cookie") == "sid=secret" for r in site.requests) and len(site.requests) == 2
    assert "cookie" not in elsewhere.requests[0].headers
    assert len(asked) == 2  # asked once per host, not per request


def test_a_cookie_typed_into_extra_headers_does_not_follow_a_redirect(store, hosts):
    site, elsewhere = hosts(2), hosts(3)
    site.route("/f.xml", Reply(302, b"", {"Location": elsewhere.url("/g.xml")}))
    elsewhere.route("/g.xml", Reply(200, rss("G"), RSS))
    feed = store.add_feed(site.url("/f.xml"))
    store.update_feed(feed.id, extra_headers={"Cookie": "typed=1"})
    run_refresh(store)
    assert "cookie" not in site.requests[0].headers and "cookie" not in elsewhere.requests[0].headers


# -- bodies -----------------------------------------------------------------------------------------
def test_gzip_deflate_and_brotli_bodies(store, server):
    server.route(
        "/gz.xml",
        Reply(200, gzip.compress(rss("GZ", prefix="g").encode()), {**RSS, "Content-Encoding": "gzip"}),
    )
    server.route(
        "/df.xml",
        Reply(200, zlib.compress(rss("DF", prefix="d").encode()), {**RSS, "Content-Encoding": "deflate"}),
    )
    server.route(
        "/br.xml",
        Reply(200, brotli.compress(rss("BR", prefix="b").encode()), {**RSS, "Content-Encoding": "br"}),
    )
    ids = [store.add_feed(server.url(p)).id for p in ("/gz.xml", "/df.xml", "/br.xml")]
    report = run_refresh(store)
    assert not report.errors and report.new_articles == 9
    assert [store.get_feed(i).title for i in ids] == ["GZ", "DF", "BR"]


def test_json_feed(store, server):
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON",
        "home_page_url": "https://example.org/",
        "items": [{"id": "1", "url": "https://example.org/1", "title": "one", "content_html": "<p>hi</p>"}],
    }
    server.route("/feed.json", Reply(200, json.dumps(doc), {"Content-Type": "application/feed+json"}))
    feed = store.add_feed(server.url("/feed.json"))
    assert run_refresh(store).new_articles == 1
    assert store.get_feed(feed.id).title == "JSON"
    assert _articles(store, feed.id)[0].title == "one"


def test_encoding_from_the_xml_declaration_when_http_says_nothing(store, server):
    body = rss("Café Crème", 1, encoding="iso-8859-1").encode("iso-8859-1")
    server.route("/latin1.xml", Reply(200, body, {"Content-Type": "application/xml"}))
    feed = store.add_feed(server.url("/latin1.xml"))
    run_refresh(store)
    assert store.get_feed(feed.id).title == "Café Crème"


def test_missing_declaration_and_no_charset_defaults_to_utf8(store, server):
    body = rss("Zürich 東京", 1).replace('<?xml version="1.0" encoding="utf-8"?>', "").encode()
    server.route("/bare.xml", Reply(200, body, {"Content-Type": "text/xml"}))
    feed = store.add_feed(server.url("/bare.xml"))
    run_refresh(store)
    assert store.get_feed(feed.id).title == "Zürich 東京"


def test_a_wrong_http_charset_still_gives_a_stored_feed(store, server):
    body = rss("Ünïcode", 2).encode("utf-8")
    server.route("/wrong.xml", Reply(200, body, {"Content-Type": "text/xml; charset=windows-1252"}))
    feed = store.add_feed(server.url("/wrong.xml"))
    report = run_refresh(store)
    assert report.new_articles == 2
    # text/xml's charset wins over the document (RFC 3023), so the title may come out as mojibake
    assert store.get_feed(feed.id).title in ("Ünïcode", "Ünïcode".encode().decode("windows-1252"))
