"""Launch -> first paint of the PyInstaller bundle against `python -m app` from source, same profile, same run.

    python packaging/build.py --out dist            # once
    python tests/bench/bench_bundle_start.py [--bundle dist/bundle/hearth/hearth] [--articles 10000] [--runs 5]

Both are started alternately with HEARTH_BENCH_EXIT_AFTER_PAINT (app/ui/application.py prints the time
from launch to the main window's first paint); the first launch of each is a warm-up (page cache).
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def first_paint(args: list[str], env: dict[str, str]) -> float:
    env = dict(env, HEARTH_BENCH_T0=repr(time.time()))
    out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    for line in out.stdout.splitlines():
        if line.startswith("{") and json.loads(line).get("event") == "first_paint":
            return float(json.loads(line)["since_launch_s"])
    raise SystemExit(f"no first paint from {args[0]}: {out.stderr[-2000:]}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "bundle" / "hearth" / "hearth")
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    if not opts.bundle.is_file():
        raise SystemExit(f"no bundle at {opts.bundle}: run `python packaging/build.py` first")
    from tests.ui.sample_profile import build_large

    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_")}
    env.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    env["HEARTH_BENCH_EXIT_AFTER_PAINT"] = "0"
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        build_large(data / "hearth.sqlite3", opts.articles)
        runs = {
            "bundle": [str(opts.bundle), "--data-dir", str(data)],
            "source": [sys.executable, "-m", "app", "--data-dir", str(data)],
        }
        times: dict[str, list[float]] = {name: [] for name in runs}
        for args in runs.values():
            first_paint(args, env)  # warm-up
        for _ in range(opts.runs):
            for name, args in runs.items():
                times[name].append(first_paint(args, env))
    for name, values in times.items():
        print(
            f"{name:>6}: launch -> first paint median {statistics.median(values):.2f} s, "
            f"best {min(values):.2f} s over {len(values)} runs ({opts.articles:,} articles)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
