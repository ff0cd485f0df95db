"""Scrolling a 100,000-article list with rich rows (snippet, thumbnail) against compact rows.

    QT_QPA_PLATFORM=offscreen python tests/bench/bench_list_rows.py [--articles 100000] [--steps 50]

The library is build_large's (tests/ui/sample_profile.py) with a longer body and an image on every
article, the images served by a local HTTP server (so thumbnails are really fetched, cached and decoded
off the GUI thread). For each mode: the GUI thread's time per scroll step (scroll, paint), the worst
step, and for rich rows how long until every visible row of the last step had its snippet. Figures
only (tests/bench is not collected).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def build(db: Path, articles: int, image: str) -> None:
    from datetime import UTC, datetime, timedelta

    from app.models import ParsedItem
    from app.storage import open_store

    now = datetime.now(UTC)
    body = "<p>" + "Lighthouse keepers of the northern coast wrote letters home every week. " * 6 + "</p>"
    with open_store(db) as store:
        feed = store.add_feed("https://big.example/feed.xml", title="Big feed")
        for start in range(0, articles, 5000):
            store.upsert_articles(feed.id, [
                ParsedItem(guid=f"g{i}", url=f"https://big.example/{i}", title=f"Article {i}",
                           published=now - timedelta(minutes=i),
                           content_html=f'{body}<img src="{image}?n={i % 40}" width="640">')
                for i in range(start, min(articles, start + 5000))
            ])  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=50)
    opts = parser.parse_args()
    from PySide6.QtCore import QBuffer, QIODevice
    from PySide6.QtGui import QColor, QImage
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app.config import Settings
    from app.models import ArticleQuery
    from app.storage import open_store
    from app.ui.article_list_view import ArticleListView
    from app.ui.article_model import ArticleListModel
    from app.ui.article_previews import PreviewCache
    from app.ui.background import TaskPool
    from app.ui.db_executor import DbExecutor
    from app.ui.resource_fetcher import ResourceFetcher
    from tests.support.http import LocalServer, Reply

    app = QApplication.instance() or QApplication([])
    image = QImage(640, 360, QImage.Format.Format_RGB32)
    image.fill(QColor("#4a90d9"))
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    with LocalServer() as server, tempfile.TemporaryDirectory() as tmp:
        server.route("/pic.png", Reply(200, bytes(buf.data().data()), {"Content-Type": "image/png"}))
        db = Path(tmp) / "hearth.sqlite3"
        started = time.perf_counter()
        build(db, opts.articles, server.url("/pic.png"))
        print(f"built {opts.articles:,} articles in {time.perf_counter() - started:.1f} s")
        store = open_store(db)
        executor = DbExecutor(db)
        fetcher = ResourceFetcher(Path(tmp) / "cache", Settings())
        tasks = TaskPool(2)
        for compact in (True, False):
            previews = PreviewCache(executor.submit, fetcher, tasks.submit, lambda: True)
            model = ArticleListModel(store)
            view = ArticleListView()
            view.setModel(model)
            view.setup_header()
            view.set_previews(previews, compact=compact)
            view.resize(600, 700)
            view.show()
            opened = time.perf_counter()
            model.set_query(ArticleQuery(smart="all"))
            QTest.qWait(0)
            open_s = time.perf_counter() - opened
            bar = view.verticalScrollBar()
            steps = list(range(0, bar.maximum(), max(1, bar.maximum() // opts.steps)))
            times = []
            for step in steps:
                t0 = time.perf_counter()
                bar.setValue(step)
                view.viewport().repaint()
                times.append(time.perf_counter() - t0)
                QTest.qWait(0)
            filled = ""
            if not compact:
                t0 = time.perf_counter()
                top, bottom = (
                    view.indexAt(view.rect().topLeft()).row(),
                    view.indexAt(view.rect().bottomLeft()).row(),
                )
                rows = [model.article_id(r) for r in range(max(top, 0), max(bottom, top + 1))]
                while any(previews.preview(a) is None for a in rows if a is not None):
                    QTest.qWait(5)
                filled = f"; snippets of the last step's rows in {(time.perf_counter() - t0) * 1e3:.0f} ms"
            mode = "compact" if compact else "rich"
            print(
                f"{mode:7} rows: height {view.visualRect(model.index(0, 1)).height()} px, open {open_s * 1e3:.0f} ms, "
                f"scroll step median {statistics.median(times) * 1e3:.1f} ms, worst {max(times) * 1e3:.1f} ms"
                f" over {len(steps)} steps{filled}"
            )
            view.hide()
            view.setModel(None)
        print(f"image requests: {len(server.requests_to('/pic.png'))} (40 distinct addresses)")
        fetcher.close()
        executor.close()
        store.close()
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
