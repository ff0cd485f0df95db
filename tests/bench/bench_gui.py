"""Time from `hearth` launch to the first painted window on a 100,000-article profile, and idle RSS.

    python tests/bench/bench_gui.py [--articles 100000] [--runs 3] [--compare OTHER_CHECKOUT]

Runs the real `python -m app` in a subprocess (offscreen unless DISPLAY is set) with
HEARTH_BENCH_EXIT_AFTER_PAINT, which makes run_app print the time to the window's first paint and to
the first paint of the article list with its rows (the window can paint a moment before the library has
loaded; the list's is the figure that counts), whether torch was imported, and the RSS after a few idle
seconds. Peer figure in the same run: a bare PySide6
window (QApplication + an empty QMainWindow) launched the same way. --compare runs another checkout's
`python -m app` (an older commit, say) on its own copy of the same profile, alternating with this one.
As root, QtWebEngine needs QTWEBENGINE_CHROMIUM_FLAGS=--no-sandbox (the web reader is built after the paint).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

BARE = """
import os, sys, time, json
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([]); w = QMainWindow(); w.resize(1300, 820); w.show()
def done():
    print(json.dumps({"since_launch_s": round(time.time() - float(os.environ["HEARTH_BENCH_T0"]), 3)}))
    app.quit()
QTimer.singleShot(0, done); app.exec()
"""


def launch(args: list[str], env: dict[str, str], cwd: Path = ROOT) -> dict[str, dict]:
    """The process's JSON reports by their "event" (the bare window's has none: "bare")."""
    env = dict(env, HEARTH_BENCH_T0=repr(time.time()))
    out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, cwd=cwd)
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"no report from {args}: {out.stderr[-2000:]}")
    return {line.get("event", "bare"): line for line in lines}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle", type=float, default=3.0, help="idle seconds before measuring RSS")
    parser.add_argument("--compare", type=Path, help="another checkout to launch alternately (before/after)")
    opts = parser.parse_args()
    from tests.ui.sample_profile import build_large, build_sample

    env = dict(os.environ)
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        started = time.perf_counter()
        build_large(data / "hearth.sqlite3", opts.articles)
        build_sample(data / "sample.sqlite3")  # unused; keeps the sample builder exercised
        print(f"profile: {opts.articles:,} articles built in {time.perf_counter() - started:.1f} s")
        env["HEARTH_BENCH_EXIT_AFTER_PAINT"] = str(opts.idle)
        other = Path(tmp) / "other"
        if opts.compare:
            other.mkdir()
            builder = "import sys; from pathlib import Path; from tests.ui.sample_profile import build_large;"
            builder += f" build_large(Path(sys.argv[1]), {opts.articles})"
            subprocess.run(
                [sys.executable, "-c", builder, str(other / "hearth.sqlite3")], cwd=opts.compare, check=True
            )
        paints, lists, idles, other_paints, other_idles = [], [], [], [], []

        def run_other() -> None:
            events = launch([sys.executable, "-m", "app", "--data-dir", str(other)], env, opts.compare)
            # an older checkout reports only the window's first paint (its list had loaded by then)
            shown = events.get("list_painted", events["first_paint"])
            other_paints.append(shown["since_launch_s"])
            other_idles.append(events["idle"]["rss_mb"])

        for n in range(opts.runs):
            if opts.compare and n % 2:  # alternate who goes first
                run_other()
            events = launch([sys.executable, "-m", "app", "--data-dir", str(data)], env)
            paint, shown = events["first_paint"], events["list_painted"]
            assert not paint["torch_loaded"], "torch was imported before the window showed"
            assert shown["articles_in_list"] == opts.articles, shown
            paints.append(paint["since_launch_s"])
            lists.append(shown["since_launch_s"])
            idles.append(events["idle"]["rss_mb"])
            if opts.compare and not n % 2:
                run_other()
        bare = [launch([sys.executable, "-c", BARE], env)["bare"]["since_launch_s"] for _ in range(opts.runs)]

    def best_median(values: list[float]) -> str:
        return f"best {min(values):.2f} s, median {sorted(values)[len(values) // 2]:.2f} s"

    print(f"hearth launch -> first painted window: {best_median(paints)}  (torch loaded: no)")
    print(
        f"hearth launch -> article list painted with its {opts.articles:,} rows: {best_median(lists)}"
        "  (issue 13's target: 0.35-0.5 s)"
    )
    print(f"peer: bare PySide6 QMainWindow launch -> shown: best {min(bare):.2f} s")
    if opts.compare:
        print(
            f"{opts.compare}: launch -> list painted: {best_median(other_paints)}; RSS after idle"
            f" {max(other_idles):.0f} MB (this checkout: {sorted(lists)}, the other: {sorted(other_paints)})"
        )
    print(
        f"RSS after {opts.idle:g} s idle with {opts.articles:,} articles listed: {max(idles):.0f} MB (aim < 250 MB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
