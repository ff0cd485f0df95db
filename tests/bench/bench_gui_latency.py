"""GUI-thread latency figures that used to be pass/fail thresholds in tests/ui (now behaviour tests):

    QT_QPA_PLATFORM=offscreen python tests/bench/bench_gui_latency.py [--articles 100000]

1. event-loop lateness of a 10 ms timer during a refresh of six slow feeds (p50/p95/worst), beside the
   same probe with nothing running (what the machine costs anyway)  [was test_responsiveness: p95 < 50 ms]
2. the longest GUI-thread gap while a tiny RWKV-7 writes a 200-token summary, beside the idle probe
   [was test_ai_panel: max(gaps) < 50 ms]
3. opening a 100,000-article feed in ArticleListModel and one scroll step of the list view
   [was test_article_model: < 200 ms to open, < 50 ms per step]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.models import ArticleQuery  # noqa: E402
from app.storage import open_store  # noqa: E402
from app.ui.application import GIL_SWITCH_INTERVAL_S  # noqa: E402
from tests.support.ai_fixtures import build_library, tiny_checkpoint  # noqa: E402
from tests.support.http import LocalServer, Reply  # noqa: E402
from tests.ui.conftest import make_controller  # noqa: E402
from tests.ui.sample_profile import build_large, build_sample  # noqa: E402
from tests.ui.test_responsiveness import slow_rss  # noqa: E402


def spin_until(done: Callable[[], bool], timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark step did not finish")
        QTest.qWait(5)


def probe_gaps(run: Callable[[], Callable[[], bool]]) -> list[float]:
    """ms between ticks of a 10 ms timer while `run()`'s work goes on (until its predicate is true)."""
    gaps: list[float] = []
    clock = QElapsedTimer()
    timer = QTimer(interval=10)
    timer.timeout.connect(lambda: gaps.append(clock.restart()) if clock.isValid() else clock.start())
    timer.start()
    try:
        spin_until(run())
    finally:
        timer.stop()
    return gaps[1:]


def idle(seconds: float) -> Callable[[], bool]:
    end = time.monotonic() + seconds
    return lambda: time.monotonic() > end


def describe(name: str, gaps: list[float]) -> str:
    late = sorted(g - 10 for g in gaps)
    p95 = late[int(len(late) * 0.95)] if late else float("nan")
    median = statistics.median(late) if late else float("nan")
    return f"{name}: lateness p50 {median:.0f} ms, p95 {p95:.0f} ms, worst {late[-1] if late else 0:.0f} ms ({len(late)} ticks)"


def bench_refresh(base: Path) -> None:
    data = base / "refresh"
    data.mkdir()
    build_sample(data / "hearth.sqlite3")
    with LocalServer() as server:
        for n in range(6):
            server.route(
                f"/slow{n}.xml",
                Reply(200, slow_rss(n), {"Content-Type": "application/rss+xml"}, delay=0.3, chunk_delay=0.05),
            )
        with open_store(data / "hearth.sqlite3") as store:
            ids = [store.add_feed(server.url(f"/slow{n}.xml")).id for n in range(6)]
        ctl = make_controller(data)
        ctl.start(show=True, schedule=False)
        try:
            spin_until(lambda: len(ctl.window.tree_model.feeds()) > 0)
            QTest.qWait(1500)  # let start-up work settle before the idle probe
            print(describe("idle probe           ", probe_gaps(lambda: idle(1.0))))

            def refresh() -> Callable[[], bool]:
                ctl.refresh(ids)
                return lambda: not ctl.refresher.is_running()

            print(describe("refresh of 6 slow feeds", probe_gaps(refresh)))
        finally:
            ctl.refresher.cancel()
            ctl.refresher.wait(10)
            ctl.shutdown()


def bench_generation(base: Path) -> None:
    data = base / "ai"
    data.mkdir()
    ids = build_library(data / "hearth.sqlite3")
    tiny = tiny_checkpoint(base / "tiny")
    ctl = make_controller(data, ai__model_path=str(tiny), ai__device="cpu", ai__max_tokens=200)
    ctl.start(show=True, schedule=False)
    try:
        panel = ctl.ai_panel
        finished: list[int] = []
        panel.worker.finished.connect(lambda req, kind, result: finished.append(req))
        panel.worker.failed.connect(lambda req, kind, message: finished.append(req))
        load = panel.worker.submit("load", "load")
        spin_until(lambda: load in finished)
        with open_store(data / "hearth.sqlite3") as store:
            article = store.get_article(
                store.list_articles(ArticleQuery(feed_ids=(ids["otters_feed"],)))[0].id
            )
        panel.set_article(article)

        def summarise() -> Callable[[], bool]:
            panel.summarise()
            req = panel._summary_req
            return lambda: req in finished

        print(describe("200-token summary     ", probe_gaps(summarise)))
    finally:
        ctl.shutdown()


def bench_list(base: Path, articles: int) -> None:
    from app.ui.article_list_view import ArticleListView
    from app.ui.article_model import TITLE, ArticleListModel

    db = base / "large.sqlite3"
    build_large(db, articles)
    with open_store(db) as store:
        model = ArticleListModel(store)
        feed_id = store.list_feeds()[0].id
        opens = []
        for _ in range(5):
            started = time.perf_counter()
            model.set_query(ArticleQuery(feed_ids=(feed_id,)))
            model.index(0, TITLE).data()
            opens.append(time.perf_counter() - started)
        view = ArticleListView()
        view.setModel(model)
        view.setup_header()
        view.resize(600, 400)
        view.show()
        model.set_query(ArticleQuery(smart="all"))
        bar = view.verticalScrollBar()
        spin_until(lambda: bar.maximum() > 1000)
        steps = range(0, bar.maximum(), max(1, bar.maximum() // 50))
        started = time.perf_counter()
        for step in steps:
            bar.setValue(step)
            QTest.qWait(0)
            view.viewport().repaint()
        per_step = (time.perf_counter() - started) / len(steps)
        view.hide()
        view.setModel(None)
    print(
        f"article list: open {articles:,} rows best {min(opens) * 1e3:.0f} ms (median "
        f"{statistics.median(opens) * 1e3:.0f} ms), one scroll step {per_step * 1e3:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)  # as make_application does
    with tempfile.TemporaryDirectory(prefix="hearth-bench-gui-") as tmp:
        base = Path(tmp)
        os.environ["HEARTH_DATA_DIR"] = str(base / "unused")
        bench_refresh(base)
        bench_generation(base)
        bench_list(base, args.articles)
    del app


if __name__ == "__main__":
    main()
