"""GUI-thread latency figures that used to be pass/fail thresholds in tests/ui (now behaviour tests):

    QT_QPA_PLATFORM=offscreen python tests/bench/bench_gui_latency.py [--articles 100000]

1. event-loop lateness of a 10 ms timer during a refresh of six slow feeds (p50/p95/worst), beside the
   same probe with nothing running (what the machine costs anyway)  [was test_responsiveness: p95 < 50 ms]
2. the longest GUI-thread gap while a tiny RWKV-7 writes a 200-token summary, beside the idle probe
   [was test_ai_panel: max(gaps) < 50 ms]
3. opening a 100,000-article feed in ArticleListModel and one scroll step of the list view
   [was test_article_model: < 200 ms to open, < 50 ms per step]

    python tests/bench/bench_gui_latency.py --engine CKPT [--threads 1,2,auto] [--wait default,passive]
        [--rounds 2] [--tokens 128]

4. (issue 12 item 5) the same probe while a real AppController's AI panel writes a summary with CKPT (e.g. the
   1.5B shape, L24 C2048, from tests/bench/bench_big_shapes.py) in int8 on the native kernels, one fresh
   process per (ai.threads, OpenMP wait policy), rounds alternating: lateness p50/p95/worst while the model
   loads nothing and while it summarises (prefill + decode), and the summary's prefill and decode tok/s.
   `auto` is ai.threads 0 (the GUI's rule, app/ai/plan.py `thread_rule`); `--wait` sets OMP_WAIT_POLICY
   (default: libgomp's own, which spins ~300k iterations before sleeping; passive: sleep at once; active:
   spin) or, as spinN, GOMP_SPINCOUNT=N.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
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

from app.ai.requests import LoadModelRequest  # noqa: E402
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


def probe_gaps(run: Callable[[], Callable[[], bool]], timeout_s: float = 120.0) -> list[float]:
    """ms between ticks of a 10 ms timer while `run()`'s work goes on (until its predicate is true)."""
    gaps: list[float] = []
    clock = QElapsedTimer()
    timer = QTimer(interval=10)
    timer.timeout.connect(lambda: gaps.append(clock.restart()) if clock.isValid() else clock.start())
    timer.start()
    try:
        spin_until(run(), timeout_s)
    finally:
        timer.stop()
    return gaps[1:]


def idle(seconds: float) -> Callable[[], bool]:
    end = time.monotonic() + seconds
    return lambda: time.monotonic() > end


def lateness(gaps: list[float]) -> dict[str, float]:
    late = sorted(g - 10 for g in gaps)
    if not late:
        return {"p50": float("nan"), "p95": float("nan"), "worst": float("nan"), "ticks": 0}
    return {
        "p50": statistics.median(late),
        "p95": late[int(len(late) * 0.95)],
        "worst": late[-1],
        "ticks": len(late),
    }


def describe(name: str, gaps: list[float]) -> str:
    d = lateness(gaps)
    return f"{name}: lateness p50 {d['p50']:.0f} ms, p95 {d['p95']:.0f} ms, worst {d['worst']:.0f} ms ({d['ticks']} ticks)"


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
        load = panel.worker.submit(LoadModelRequest(), "load")
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


def engine_child(base: Path, ckpt: Path, threads: str, tokens: int) -> dict:
    """One summary by a real AppController with `ckpt` (int8, native kernels): the probe and the speeds."""
    import app.ai.generate as generate_module

    # the backend imports generate and prefill at each call: these wrappers are what it runs
    runs: list = []
    prefills: list[tuple[int, float]] = []
    real_generate, real_prefill = generate_module.generate, generate_module.prefill

    def recording_generate(*args, **kwargs):
        gen = real_generate(*args, **kwargs)
        runs.append(gen)
        return gen

    def recording_prefill(model, tokens, *args, **kwargs):  # the article, before the prompt's own tokens
        started = time.perf_counter()
        out = real_prefill(model, tokens, *args, **kwargs)
        prefills.append((len(tokens), time.perf_counter() - started))
        return out

    generate_module.generate, generate_module.prefill = recording_generate, recording_prefill
    data = base / "engine"
    data.mkdir()
    ids = build_library(data / "hearth.sqlite3")
    ctl = make_controller(
        data,
        ai__model_path=str(ckpt),
        ai__device="cpu",
        ai__dtype="int8",
        ai__kernels="auto",
        ai__threads=0 if threads == "auto" else int(threads),
        ai__max_tokens=tokens,
    )
    ctl.start(show=True, schedule=False)
    try:
        panel = ctl.ai_panel
        finished: list[int] = []
        panel.worker.finished.connect(lambda req, kind, result: finished.append(req))
        panel.worker.failed.connect(lambda req, kind, message: finished.append(req))
        load = panel.worker.submit(LoadModelRequest(), "load")
        spin_until(lambda: load in finished, timeout_s=600)
        model = panel.worker.assistant.model
        assert model is not None, "the model did not load"
        with open_store(data / "hearth.sqlite3") as store:
            article = store.get_article(
                store.list_articles(ArticleQuery(feed_ids=(ids["otters_feed"],)))[0].id
            )
        QTest.qWait(500)
        idle_gaps = probe_gaps(lambda: idle(3.0))
        panel.set_article(article)

        def summarise() -> Callable[[], bool]:
            panel.summarise()
            req = panel._summary_req
            return lambda: req in finished

        started = time.perf_counter()
        gaps = probe_gaps(summarise, timeout_s=1800)
        wall = time.perf_counter() - started
        gen = runs[-1] if runs else None
        pre_tokens = sum(n for n, _ in prefills) + (gen.prompt_tokens if gen else 0)
        pre_s = sum(s for _, s in prefills) + (gen.prefill_s if gen else 0.0)
        return {
            "threads": threads,
            "wait": os.environ.get("OMP_WAIT_POLICY")
            or ("spin" + os.environ["GOMP_SPINCOUNT"] if "GOMP_SPINCOUNT" in os.environ else "default"),
            "plan": model.plan.summary(),
            "idle": lateness(idle_gaps),
            "summary": lateness(gaps),
            "wall_s": wall,
            "prompt_tokens": pre_tokens,
            "tokens": len(gen.token_ids) if gen else 0,
            "prefill_tok_s": pre_tokens / pre_s if pre_s > 0 else 0.0,
            "decode_tok_s": gen.decode_tokens_per_s if gen else 0.0,
        }
    finally:
        ctl.shutdown()


def bench_engine(args: argparse.Namespace) -> None:
    """Fresh processes per configuration (OpenMP reads its wait policy once), rounds alternating."""
    results: dict[tuple[str, str], list[dict]] = {}
    for _ in range(args.rounds):
        for wait in args.wait.split(","):
            for threads in args.threads.split(","):
                env = dict(os.environ)
                env.pop("OMP_WAIT_POLICY", None)
                env.pop("GOMP_SPINCOUNT", None)
                if wait.startswith(
                    "spin"
                ):  # e.g. spin10000: libgomp's spin count before a waiting thread sleeps
                    env["GOMP_SPINCOUNT"] = wait.removeprefix("spin")
                elif wait != "default":
                    env["OMP_WAIT_POLICY"] = wait.upper()
                cmd = [sys.executable, __file__, "--engine", str(args.engine), "--child", threads]
                proc = subprocess.run(
                    [*cmd, "--tokens", str(args.tokens)],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=1800,
                )
                if proc.returncode != 0:
                    raise SystemExit(f"child failed (threads {threads}, wait {wait}):\n{proc.stderr[-3000:]}")
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                print(json.dumps(r), flush=True)
                results.setdefault((threads, wait), []).append(r)

    def span(rs: list[dict], get: Callable[[dict], float], fmt: str = "{:.0f}") -> str:
        values = sorted(get(r) for r in rs)
        lo, hi = fmt.format(values[0]), fmt.format(values[-1])
        return lo if lo == hi else f"{lo}-{hi}"

    print(
        "threads  wait     plan                                      | idle p95 | summary p50  p95  worst (ms) | prefill, decode tok/s"
    )
    for (threads, wait), rs in results.items():
        print(
            f"{threads:8} {wait:8} {rs[0]['plan']:42}| {span(rs, lambda r: r['idle']['p95']):8} | "
            f"{span(rs, lambda r: r['summary']['p50']):>11} {span(rs, lambda r: r['summary']['p95']):>5} "
            f"{span(rs, lambda r: r['summary']['worst']):>6}      | "
            f"{span(rs, lambda r: r['prefill_tok_s'], '{:.1f}')}, {span(rs, lambda r: r['decode_tok_s'], '{:.1f}')}"
        )


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
    parser.add_argument(
        "--engine", type=Path, metavar="CKPT", help="only item 4: summaries with this checkpoint"
    )
    parser.add_argument("--threads", default="1,2,auto", help="ai.threads values for --engine (auto = 0)")
    parser.add_argument(
        "--wait", default="default,passive", help="OMP_WAIT_POLICY values: default,passive,active"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=128, help="ai.max_tokens of the summary")
    parser.add_argument("--child", metavar="THREADS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine and not args.child:
        bench_engine(args)
        return
    app = QApplication.instance() or QApplication([])
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)  # as make_application does
    with tempfile.TemporaryDirectory(prefix="hearth-bench-gui-") as tmp:
        base = Path(tmp)
        os.environ["HEARTH_DATA_DIR"] = str(base / "unused")
        if args.child:
            print(json.dumps(engine_child(base, args.engine, args.child, args.tokens)), flush=True)
            return
        bench_refresh(base)
        bench_generation(base)
        bench_list(base, args.articles)
    del app


if __name__ == "__main__":
    main()
