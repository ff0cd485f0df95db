"""Refresh benchmark: Hearth vs newsboat on 1,000 feeds x 50 items from 100 loopback hosts, 30 ms each.

    python tests/bench/bench_refresh.py [--feeds 1000] [--hosts 100] [--latency 0.03] [--no-newsboat]

Times `hearth refresh --all` (a subprocess, fresh --data-dir) into an empty database, then again
when every feed answers 304; then `newsboat -x reload` (reload-threads 16) on the same feeds.
Prints wall time, items/s, peak RSS and the Hearth/newsboat ratios, and the 304 refresh against
the latency bound (feeds x latency / concurrency). newsboat 2.21 stores validators only from the
second reload on (newsboat#2734), so its conditional run is its third.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.refresh_server import BenchServer  # noqa: E402


@dataclass
class Run:
    name: str
    wall: float
    maxrss_mb: float  # the largest single process (getrusage / wait4 semantics)
    tree_mb: float  # the largest sum of RSS over the process and its children, sampled every 10 ms
    pss_mb: float  # the same with PSS: pages shared between processes (forked workers) counted once
    requests: int
    not_modified: int
    rc: int
    tail: str = ""


def _tree_kb(pid: int, field: str) -> int:
    """The sum of `field` (VmRSS in /proc/PID/status, or Pss in smaps_rollup) over PID and its children."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        return 0
    source = "status" if field == "VmRSS" else "smaps_rollup"
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/{source}").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def measure(name: str, argv: list[str], server: BenchServer, env: dict[str, str]) -> Run:
    requests, not_modified = server.requests, server.not_modified
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak_tree = peak_pss = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_tree, peak_pss
        while not stop.is_set():
            peak_tree = max(peak_tree, _tree_kb(proc.pid, "VmRSS"))
            peak_pss = max(peak_pss, _tree_kb(proc.pid, "Pss"))
            stop.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        name,
        wall,
        usage.ru_maxrss / 1024,
        peak_tree / 1024,
        peak_pss / 1024,
        server.requests - requests,
        server.not_modified - not_modified,
        proc.returncode,
        out.decode(errors="replace")[-400:],
    )


def setup_hearth(data_dir: Path, urls: list[str]) -> None:
    from app.storage import open_store

    store = open_store(data_dir / "hearth.sqlite3")
    try:
        for url in urls:
            store.add_feed(url)
    finally:
        store.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--latency", type=float, default=0.03)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--no-newsboat", action="store_true")
    args = ap.parse_args()
    if args.hosts > 250:
        ap.error("at most 250 hosts (127.0.0.2 .. 127.0.0.251)")
    hosts = [f"127.0.0.{i}" for i in range(2, 2 + args.hosts)]
    newsboat = shutil.which("newsboat")
    runs: list[Run] = []
    with (
        BenchServer(hosts, args.feeds, args.items, args.latency) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        urls = server.urls()
        data = Path(tmp) / "hearth"
        data.mkdir()
        (data / "settings.json").write_text(f'{{"fetch.concurrency": {args.concurrency}}}')
        setup_hearth(data, urls)
        env = dict(os.environ, HOME=tmp, XDG_CONFIG_HOME=tmp, XDG_DATA_HOME=tmp, PYTHONPATH=str(ROOT))
        env.pop("HEARTH_DATA_DIR", None)
        hearth = [sys.executable, "-m", "app", "--data-dir", str(data), "refresh", "--all", "-q"]
        runs.append(measure("hearth: empty DB", hearth, server, env))
        runs.append(measure("hearth: all 304", hearth, server, env))
        if newsboat and not args.no_newsboat:
            nb = Path(tmp) / "newsboat"
            nb.mkdir()
            (nb / "urls").write_text("\n".join(urls) + "\n")
            (nb / "config").write_text(f"reload-threads {args.concurrency}\n")
            cmd = [
                newsboat,
                "-x",
                "reload",
                "-u",
                str(nb / "urls"),
                "-c",
                str(nb / "cache.db"),
                "-C",
                str(nb / "config"),
            ]
            runs.append(measure("newsboat: empty DB", cmd, server, env))
            runs.append(measure("newsboat: 2nd (unconditional)", cmd, server, env))
            runs.append(measure("newsboat: 3rd (conditional)", cmd, server, env))
        print(f"server: max in flight {server.max_in_flight}, max per host {server.max_in_flight_per_host}")
    report(runs, args)
    return 0 if all(r.rc == 0 for r in runs) else 1


def report(runs: list[Run], args: argparse.Namespace) -> None:
    items = args.feeds * args.items
    print(
        f"\n{args.feeds} feeds x {args.items} items, {args.hosts} hosts, {args.latency * 1000:.0f} ms latency, "
        f"concurrency {args.concurrency}"
    )
    print(
        f"{'run':32} {'wall s':>8} {'items/s':>9} {'maxRSS MB':>10} {'tree MB':>8} {'PSS MB':>7} {'req':>5} {'304':>5} rc"
    )
    for r in runs:
        rate = items / r.wall if r.not_modified == 0 else 0
        print(
            f"{r.name:32} {r.wall:8.2f} {rate:9.0f} {r.maxrss_mb:10.1f} {r.tree_mb:8.1f} {r.pss_mb:7.1f} {r.requests:5d} "
            f"{r.not_modified:5d} {r.rc}"
        )
        if r.rc:
            print("   ", r.tail.replace("\n", "\n    "))
    by = {r.name: r for r in runs}
    bound = args.feeds * args.latency / args.concurrency
    h_full, h_304 = by["hearth: empty DB"], by["hearth: all 304"]
    print(f"\nlatency bound (feeds x latency / concurrency): {bound:.2f} s")
    print(f"hearth 304 refresh / latency bound: {h_304.wall / bound:.2f}x (target <= 1.5x)")
    if "newsboat: empty DB" in by:
        n_full, n_304 = by["newsboat: empty DB"], by["newsboat: 3rd (conditional)"]
        print(f"hearth / newsboat, empty DB wall: {h_full.wall / n_full.wall:.2f}x (target <= 0.5x)")
        print(f"hearth / newsboat, conditional wall: {h_304.wall / n_304.wall:.2f}x")
        h_peak = max(h_full.maxrss_mb, h_304.maxrss_mb)
        n_peak = max(r.maxrss_mb for r in runs if r.name.startswith("newsboat"))
        h_tree = max(h_full.tree_mb, h_304.tree_mb)
        n_tree = max(r.tree_mb for r in runs if r.name.startswith("newsboat"))
        print(f"hearth / newsboat, peak RSS (largest process): {h_peak / n_peak:.2f}x (target <= 1.5x)")
        print(f"hearth / newsboat, peak RSS (whole process tree): {h_tree / n_tree:.2f}x")
        h_pss = max(h_full.pss_mb, h_304.pss_mb)
        n_pss = max(r.pss_mb for r in runs if r.name.startswith("newsboat"))
        print(f"hearth / newsboat, peak PSS (whole process tree): {h_pss / n_pss:.2f}x")


if __name__ == "__main__":
    raise SystemExit(main())
