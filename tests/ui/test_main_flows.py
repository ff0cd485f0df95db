"""The main flows on a real profile: add a feed from a local server, refresh, read, star, search,
mark all read + undo, OPML import/export and article export."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from app.models import ArticleQuery
from app.storage import open_store
from tests.support.http import LocalServer, Reply
from tests.ui.conftest import select_node

PAGE = """<html><head><title>Example blog</title>
<link rel="alternate" type="application/rss+xml" title="Posts" href="/feed.xml">
<link rel="alternate" type="application/atom+xml" title="Comments" href="/comments.xml">
</head><body>hi</body></html>"""


def rss(items: int, title: str = "Example blog") -> str:
    entries = "".join(
        f"<item><title>Post {i}</title><link>http://example.org/{i}</link><guid>post-{i}</guid>"
        f"<pubDate>Mon, 0{i % 9 + 1} Jun 2026 10:00:00 GMT</pubDate><description>&lt;p&gt;Body {i} about "
        f"otters&lt;/p&gt;</description></item>"
        for i in range(items)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title><link>http://example.org/</link>{entries}</channel></rss>'


def feed_node_count(ctl, feed_id: int) -> int:
    return ctl.window.tree_model._feeds[feed_id].count


def test_add_feed_with_discovery_choice_then_refresh(qtbot, controller, server: LocalServer) -> None:
    server.route("/", Reply(200, PAGE, {"Content-Type": "text/html"}))
    server.route("/feed.xml", Reply(200, rss(3), {"Content-Type": "application/rss+xml"}))
    server.route("/comments.xml", Reply(200, rss(1, "Comments"), {"Content-Type": "application/rss+xml"}))
    ctl = controller
    ctl.window.library.add_feed(server.url("/"))
    dialog = ctl.window.dialogs.add_feed
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.choices.isVisible(), timeout=10000)
    assert dialog.choices.count() == 2  # the page offers two feeds: the user chooses
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: any(f.url == server.url("/feed.xml") for f in ctl.window.tree_model.feeds()), timeout=5000
    )
    feed = next(f for f in ctl.window.tree_model.feeds() if f.url == server.url("/feed.xml"))
    qtbot.waitUntil(
        lambda: not ctl.refresher.is_running() and feed_node_count(ctl, feed.id) == 3, timeout=20000
    )
    assert ctl.window.tree_model.feed(feed.id).title == "Posts"  # the name the page gave the chosen feed
    assert server.requests_to("/feed.xml")[-1].headers["user-agent"].startswith("Hearth/")
    assert not server.requests_to("/comments.xml")[1:]  # only discovery looked at the unchosen one


def test_read_star_counts_and_undo(qtbot, controller) -> None:
    ctl, w = controller, controller.window
    julia = next(f for f in w.tree_model.feeds() if f.title == "Julia Evans")
    select_node(qtbot, ctl, "feed", julia.id)
    assert w.list_model.rowCount() == 2 and feed_node_count(ctl, julia.id) == 2
    w.select_row(0)
    assert w.reader.article is not None and w.reader.article.title == w.list_model.row_data(0).title
    qtbot.waitUntil(lambda: feed_node_count(ctl, julia.id) == 1, timeout=5000)  # read on select
    w.toggle_star()
    ctl.db.wait_idle()
    with open_store(ctl.paths.db_path) as store:
        article = store.get_article(w.reader.article.id)
        assert article.read and article.starred
    qtbot.waitUntil(lambda: w.tree_model._smart["starred"].count == 2, timeout=5000)

    folder = next(f for f in w.tree_model.folders() if f.name == "Engineering")
    select_node(qtbot, ctl, "folder", folder.id)
    unread_before = w.tree_model._folders[folder.id].count
    assert unread_before > 0
    w.library.mark_all_read(ask=False)
    qtbot.waitUntil(lambda: w.tree_model._folders[folder.id].count == 0, timeout=5000)
    assert w.undo_button.isVisible() or not w.isVisible()
    assert w.actions_.undo.isEnabled()
    w.actions_.undo.trigger()
    qtbot.waitUntil(lambda: w.tree_model._folders[folder.id].count == unread_before, timeout=5000)
    assert not w.actions_.undo.isEnabled()


def test_mark_feed_read_older_than_keeps_newer(qtbot, controller) -> None:
    from datetime import timedelta

    from tests.ui.sample_profile import NOW

    ctl, w = controller, controller.window
    rust = next(f for f in w.tree_model.feeds() if f.title == "Rust Blog")
    select_node(qtbot, ctl, "feed", rust.id)
    # the sample's two Rust posts are 12 and 15 hours before NOW: mark only what is older than 13 h
    w.library.mark_all_read(ask=False, older_than=NOW - timedelta(hours=13))
    qtbot.waitUntil(lambda: feed_node_count(ctl, rust.id) == 1, timeout=5000)
    assert len(w.undo_stack[-1][1]) == 1


def test_search_shows_results_and_clearing_restores(qtbot, controller) -> None:
    ctl, w = controller, controller.window
    assert w.search.isClearButtonEnabled()  # (given once the window has painted)
    select_node(qtbot, ctl, "smart", "all")
    qtbot.keyClicks(w.search, "DNS")
    qtbot.waitUntil(lambda: w.list_model.query.search == "DNS", timeout=3000)
    assert w.list_model.rowCount() == 1
    assert w.list_model.row_data(0).title == "How DNS really works"
    w.search.clear()
    qtbot.waitUntil(lambda: w.list_model.query.search is None, timeout=3000)
    assert w.list_model.rowCount() == 13
    qtbot.keyClicks(w.search, '"unbalanced (quote')  # raw user text must never break the query
    qtbot.waitUntil(lambda: w.list_model.query.search is not None, timeout=3000)


def test_opml_export_then_import_into_a_fresh_profile(qtbot, controller, tmp_path: Path) -> None:
    from tests.ui.conftest import make_controller, wait_loaded

    ctl = controller
    out = tmp_path / "subs.opml"
    ctl.window.library.export_opml(str(out))
    ctl.db.wait_idle()
    qtbot.waitUntil(out.exists, timeout=3000)
    text = out.read_text()
    assert "Julia Evans" in text and "Engineering" in text

    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    fresh = make_controller(fresh_dir)
    qtbot.addWidget(fresh.window)
    fresh.refresh = lambda ids=None: None  # importing offers a refresh; the feeds' hosts are not real
    fresh.start(show=False, schedule=False)
    try:
        fresh.window.library.import_opml(str(out))
        qtbot.waitUntil(lambda: len(fresh.window.tree_model.feeds()) == 6, timeout=5000)
        assert {f.name for f in fresh.window.tree_model.folders()} == {"Engineering", "News"}
    finally:
        fresh.shutdown()
    del wait_loaded


def test_export_starred_as_atom(qtbot, controller, tmp_path: Path) -> None:
    ctl, w = controller, controller.window
    from datetime import UTC, datetime

    from app.models import Summary

    with open_store(ctl.paths.db_path) as store:
        starred_ids = store.query_ids(ArticleQuery(smart="starred"))
        store.save_summary(Summary(starred_ids[0], "rwkv7-g1-0.4b", "v1", "Gist: kettles", datetime.now(UTC)))
    select_node(qtbot, ctl, "smart", "starred")
    out = tmp_path / "starred.atom"
    w.library.export_articles(str(out), "atom")
    qtbot.waitUntil(out.exists, timeout=3000)
    with open_store(ctl.paths.db_path) as store:
        starred = store.rows(starred_ids)
    body = out.read_text()
    assert "<feed" in body and starred[0].title.split()[0] in body
    assert "AI summary" in body and "Gist: kettles" in body  # the saved summary travels with its article
