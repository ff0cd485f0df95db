"""Marking articles in the window while a large refresh writes: every status change the user made is
kept, none is overwritten by the refresh, and the refresh's own articles all arrive unread."""

from __future__ import annotations

import random

from app.models import ArticleQuery
from app.storage import open_store
from tests.support.http import LocalServer, Reply
from tests.ui.conftest import make_controller, wait_loaded

BIG = 400  # items per feed


def big_rss(n: int, version: int = 1) -> str:
    # version 2 edits every item (so the refresh rewrites each stored row) and adds ten new ones
    count = BIG + (10 if version > 1 else 0)
    items = "".join(
        f"<item><title>Big {n}.{i}</title><guid>big{n}-{i}</guid>"
        f"<description>{f'words v{version} ' * 80}</description></item>"
        for i in range(count)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big {n}</title>{items}</channel></rss>'


def test_status_changes_made_during_a_large_refresh_are_all_kept(
    qtbot, sample_dir, server: LocalServer
) -> None:
    served: dict[str, int] = {}

    def serve(req):  # type: ignore[no-untyped-def]
        served[req.path] = served.get(req.path, 0) + 1
        n = int(req.path.removeprefix("/big").removesuffix(".xml"))
        return Reply(
            200, big_rss(n, served[req.path]), {"Content-Type": "application/rss+xml"}, chunk_delay=0.05
        )

    for n in range(4):
        server.route(f"/big{n}.xml", serve)
    with open_store(sample_dir / "hearth.sqlite3") as store:
        big_feeds = [store.add_feed(server.url(f"/big{n}.xml")).id for n in range(4)]
    ctl = make_controller(sample_dir)
    qtbot.addWidget(ctl.window)
    ctl.start(show=True, schedule=False)
    wait_loaded(qtbot, ctl)
    window = ctl.window
    ctl.refresh(big_feeds)  # the first refresh stores 4 x 400 articles
    qtbot.waitUntil(lambda: not ctl.refresher.is_running(), timeout=60000)
    with open_store(sample_dir / "hearth.sqlite3") as store:
        rows = store.list_articles(ArticleQuery(smart="all"))
    assert len(rows) == 13 + 4 * BIG
    # the user marks the sample articles and the big feeds' own articles while the second refresh
    # rewrites every one of those rows
    existing = [r.id for r in rows]
    expected = {r.id: (r.read, r.starred) for r in rows}
    rng = random.Random(7)
    changes = during = 0
    try:
        ctl.refresh(big_feeds)
        # keep marking until the refresh is over (and at least 40 times): the writes interleave
        while changes < 40 or ctl.refresher.is_running():
            ids = rng.sample(existing, 20)
            read, starred = rng.random() < 0.5, rng.random() < 0.5
            if changes % 2:
                window.set_read(ids, read)
                for i in ids:
                    expected[i] = (read, expected[i][1])
            else:
                window.set_starred(ids, starred)
                for i in ids:
                    expected[i] = (expected[i][0], starred)
            changes += 1
            during += ctl.refresher.is_running()
            qtbot.wait(5)  # let the event loop run: this is the user clicking, not a synchronisation
            assert changes < 20_000, "the refresh never finished"
        qtbot.waitUntil(lambda: not ctl.refresher.is_running(), timeout=60000)
        ctl.db.wait_idle()
        assert during > 0  # some changes really were made while the refresh was writing
    finally:
        ctl.refresher.cancel()
        ctl.refresher.wait(10)
        ctl.shutdown()
    with open_store(sample_dir / "hearth.sqlite3") as store:
        rows = {r.id: r for r in store.list_articles(ArticleQuery(smart="all"))}
        assert {i: (rows[i].read, rows[i].starred) for i in existing} == expected
        new = [r for r in rows.values() if r.id not in expected]
        assert len(new) == 4 * 10 and not any(r.read or r.starred for r in new)  # new ones arrive unread
        assert all(served[f"/big{n}.xml"] == 2 for n in range(4))
