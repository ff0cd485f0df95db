"""A site's cookie never follows a redirect to another site: through the real refresher and the check."""

from __future__ import annotations

from pathlib import Path

from app.config import Settings
from app.fetching import Refresher
from app.sources.cookie_check import check_site
from app.storage import open_store
from app.vault import CookieVault
from tests.support.http import LocalServer, Reply

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://e.example/</link>
<item><title>a</title><guid>a</guid><link>https://e.example/a</link></item></channel></rss>"""
D_C0 = "AGDfVWk4ZBePTqvPzn2TbIMWOvL7Fn2MkKk=|1690000000"


def test_the_refresher_sends_the_cookie_to_its_site_only(secret_service: object, data_dir: Path) -> None:
    with LocalServer("127.0.0.1") as site, LocalServer("127.0.0.2") as other:
        site.route("/feed.xml", Reply(302, headers={"Location": other.url("/feed.xml")}))
        other.route("/feed.xml", Reply(200, RSS, {"Content-Type": "application/rss+xml"}))
        vault = CookieVault(host_aliases={f"127.0.0.1:{site.port}": "zhihu.com"})
        vault.set("zhihu.com", {"d_c0": D_C0, "z_c0": "login"})
        store = open_store(data_dir / "hearth.sqlite3")
        try:
            feed = store.add_feed(site.url("/feed.xml"))
            with Refresher(store, Settings(None, {}), cookie_header_for=vault.cookie_header_for) as refresher:
                report = refresher.refresh(feed_ids=[feed.id])
        finally:
            store.close()
        assert report.outcomes[0].ok
        assert site.requests[0].headers["cookie"] == f"d_c0={D_C0}; z_c0=login"
        assert "cookie" not in other.requests[0].headers


def test_the_check_never_follows_a_redirect(secret_service: object) -> None:
    with LocalServer("127.0.0.1") as site, LocalServer("127.0.0.2") as other:
        site.route("/api/v4/me", Reply(302, headers={"Location": other.url("/api/v4/me")}))
        settings = Settings(None, {"zhihu.www_base": site.url("")})
        vault = CookieVault.from_settings(settings)
        vault.set("zhihu.com", {"d_c0": D_C0, "z_c0": "login"})
        result = check_site("zhihu.com", vault, settings, timeout=5)
        assert not result.ok and "302" in result.message
        assert other.requests == []
