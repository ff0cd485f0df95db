"""Settings reach the fetch engine; the proxy setting routes every fetch through the proxy."""

from __future__ import annotations

from app import USER_AGENT
from app.config import Settings
from app.fetching import FetchOptions, Refresher
from tests.fetching.fixtures import rss
from tests.support.http import Reply


def test_options_come_from_the_fetch_settings():
    settings = Settings(
        values={
            "fetch.concurrency": 4,
            "fetch.host_spacing_seconds": 1.5,
            "fetch.proxy": "http://127.0.0.1:3128",
            "fetch.max_body_mb": 2,
            "fetch.connect_timeout": 0.5,
            "fetch.timeout": 3.0,
            "refresh.interval_minutes": 30,
        }
    )
    options = FetchOptions.from_settings(settings)
    assert (options.concurrency, options.host_spacing, options.proxy) == (4, 1.5, "http://127.0.0.1:3128")
    assert (options.max_body_bytes, options.connect_timeout, options.timeout) == (2 * 1024 * 1024, 0.5, 3.0)
    assert (options.default_interval, options.user_agent) == (1800.0, USER_AGENT)
    defaults = FetchOptions.from_settings(Settings())
    assert (defaults.concurrency, defaults.connect_timeout, defaults.timeout, defaults.proxy) == (
        16,
        10.0,
        60.0,
        None,
    )


def test_fetches_go_through_the_configured_proxy(store, server):
    # the local server plays an HTTP proxy: it is asked for absolute URLs of a host that does not exist
    server.route("/feed.xml", Reply(200, rss("Via proxy"), {"Content-Type": "application/rss+xml"}))
    feed = store.add_feed("http://feeds.invalid/feed.xml")
    settings = Settings(values={"fetch.proxy": server.url("/")})
    options = FetchOptions.from_settings(settings, parse_workers=1, timeout=2.0)
    with Refresher(store, options=options) as refresher:
        report = refresher.refresh(all=True)
    assert not report.errors and report.new_articles == 3
    assert server.requests[0].path == "http://feeds.invalid/feed.xml"
    assert store.get_feed(feed.id).title == "Via proxy"
