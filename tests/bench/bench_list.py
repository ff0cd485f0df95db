"""Benchmark: `hearth list` on a 100,000-article library, ids of a 100k-article feed, and refresh upserts.

    python tests/bench/bench_list.py [--articles 100000] [--feeds 1000] [--items 50] [--runs 5]

Builds the library in a temp dir through the real Store (so building also measures upserts), then
times whole CLI processes (`hearth list`, `hearth list --articles --limit 50`) and in-process
queries. The target each figure is compared with is printed beside it with the ratio figure/target
(< 1.0 is good): 0.5 s for a whole `hearth list` process, 0.2 s for the big feed's ids.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.models import ArticleQuery, FetchState, ParsedFeed, ParsedItem
from app.storage import Store, open_store

CLI_TARGET_S = 0.5
IDS_TARGET_S = 0.2
BODY = (
    "<p>"
    + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 8
    + "</p><p>Second paragraph 第二段。</p>"
)
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def item(feed: int, n: int) -> ParsedItem:
    return ParsedItem(
        guid=f"https://f{feed}.example/{n}",
        url=f"https://f{feed}.example/{n}",
        title=f"Article {n} of feed {feed}",
        author="Author",
        published=T0 + timedelta(minutes=n),
        content_html=BODY,
    )


def build(store: Store, articles: int, feeds: int, items: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    big = store.add_feed("https://big.example/feed", title="The big feed")
    started = time.perf_counter()
    for start in range(0, articles, 1000):
        store.upsert_articles(big.id, [item(0, n) for n in range(start, min(start + 1000, articles))])
    figures["insert big feed (s)"] = time.perf_counter() - started
    folder = store.add_folder("Many")
    feed_ids = [
        store.add_feed(f"https://f{i}.example/feed", title=f"Feed {i:04d}", folder_id=folder.id).id
        for i in range(1, feeds + 1)
    ]
    now = datetime.now(UTC)
    for label in ("refresh upsert, new (s)", "refresh upsert, unchanged (s)"):
        started = time.perf_counter()
        for feed_id in feed_ids:
            parsed = ParsedFeed(title="x", items=tuple(item(feed_id, n) for n in range(items)))
            store.record_fetch(feed_id, FetchState(now, now + timedelta(hours=1), 200, etag='"e"'), parsed)
        figures[label] = time.perf_counter() - started
    store.mark_read(store.query_ids(ArticleQuery(feed_ids=(big.id,)))[::3])
    return figures


def cli_env(tmp: Path) -> dict[str, str]:
    """Bytecode caching on (in a temp prefix), as in an installed Hearth, whatever this shell says."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    return env


def time_cli(data_dir: Path, argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "app", "--data-dir", str(data_dir), *argv],
            capture_output=True,
            check=True,
            env=cli_env(data_dir),
        )
        times.append(time.perf_counter() - started)
        assert done.stdout, "the command printed nothing"
    return statistics.median(times[1:])  # the first run warms the page cache


def time_python_start(runs: int) -> float:
    """The floor under every CLI figure: starting the interpreter and doing nothing."""
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, env=cli_env(Path(tempfile.gettempdir())))
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:])


def time_call(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000, help="articles in the big feed")
    parser.add_argument("--feeds", type=int, default=1000, help="other feeds, refreshed through record_fetch")
    parser.add_argument("--items", type=int, default=50, help="items per other feed")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as tmp:
        data_dir = Path(tmp)
        store = open_store(data_dir / "hearth.sqlite3")
        figures = build(store, args.articles, args.feeds, args.items)
        total = store.count_articles(ArticleQuery())
        size_mb = (data_dir / "hearth.sqlite3").stat().st_size / 1e6
        print(f"library: {total} articles in {args.feeds + 1} feeds, {size_mb:.0f} MB")
        n_upserts = args.feeds * args.items
        for label, seconds in figures.items():
            rate = f"  ({n_upserts / seconds:,.0f} items/s)" if "refresh" in label else ""
            print(f"{label:<34} {seconds:8.3f}{rate}")

        big = ArticleQuery(feed_ids=(1,))
        ids = store.query_ids(big)
        assert len(ids) == args.articles and ids[0] > ids[-1]
        rows = [
            ("store.query_ids, big feed", time_call(lambda: store.query_ids(big), args.runs), IDS_TARGET_S),
            ("store.query_ids, unread (all)", time_call(lambda: store.query_ids(ArticleQuery(smart="unread")), args.runs), IDS_TARGET_S),
            ("store.query_ids + rows(first 100)", time_call(lambda: store.rows(store.query_ids(big)[:100]), args.runs), IDS_TARGET_S),
            ("store.unread_counts", time_call(store.unread_counts, args.runs), IDS_TARGET_S),
            ("store.search('ipsum 第二段')", time_call(lambda: store.search("ipsum 第二段"), args.runs), IDS_TARGET_S),
        ]  # fmt: skip
        store.close()
        rows += [
            ("hearth list (process)", time_cli(data_dir, ["list"], args.runs), CLI_TARGET_S),
            ("hearth list --articles --limit 50", time_cli(data_dir, ["list", "--articles", "--limit", "50"], args.runs), CLI_TARGET_S),
            ("hearth --version (bare start)", time_cli(data_dir, ["--version"], args.runs), CLI_TARGET_S),
        ]  # fmt: skip
        rows.append(("python -c pass (interpreter start)", time_python_start(args.runs), CLI_TARGET_S))
        with open_store(data_dir / "hearth.sqlite3") as store:
            started = time.perf_counter()
            store.remove_feed(1)
            print(f"{'remove the big feed (s)':<34} {time.perf_counter() - started:8.3f}")
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"{'measure':<34} {'seconds':>8} {'target':>8} {'ratio':>6}")
        for label, seconds, target in rows:
            print(f"{label:<34} {seconds:8.3f} {target:8.3f} {seconds / target:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
