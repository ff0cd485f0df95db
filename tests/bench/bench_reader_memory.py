"""Memory (PSS of the whole process tree) with an article shown: Hearth's web reader vs RSS Guard's.

    QTWEBENGINE_CHROMIUM_FLAGS=--no-sandbox python tests/bench/bench_reader_memory.py [--settle 8]

Both readers get the same library in the same run: the reader corpus (tests/fixtures/reader, nine
articles with wide images, code, tables, CJK, RTL, embeds) in one feed, its images served by a local
HTTP server. Each runs on its own Xvfb display; Hearth opens the first article itself
(HEARTH_BENCH_SHOW_ARTICLE), RSS Guard (Debian's `rssguard`, the QtWebEngine build) gets a click on its
corpus feed and its "Wide images" article (xdotool, at its default layout's positions). After `--settle` seconds the PSS of the process and all its
descendants (QtWebEngineProcess renderers, GPU and zygote processes) is summed from
/proc/<pid>/smaps_rollup and printed per process. Also prints Hearth's launch -> first paint.
BENCH_HEARTH_FLAGS="--single-process" (say) tries Chromium switches on Hearth only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CORPUS = ROOT / "tests" / "fixtures" / "reader"


def children_by_parent() -> dict[int, list[int]]:
    """Every process's children, from /proc (a process that exits meanwhile is left out)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry))
    return children


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (children, theirs, ...)."""
    children = children_by_parent()
    found, todo = set(), [pid]
    while todo:
        todo.extend(kids := children.get(todo.pop(), []))
        found.update(kids)
    return found


def tree_pss_mb(pid: int, detail: list[str] | None = None) -> float:
    """PSS of `pid` and every descendant, in MB (`detail` gets one line per process)."""
    return tree_memory_mb(pid, detail)[0]


def tree_memory_mb(pid: int, detail: list[str] | None = None) -> tuple[float, float]:
    """(PSS, USS) of `pid` and every descendant, in MB. PSS splits each shared page among every process
    on the machine mapping it, so it moves with what else runs (other PySide6 programs share Hearth's Qt
    libraries, nothing shares RSS Guard's Debian ones); USS (private pages only) does not."""
    children = children_by_parent()
    pss = uss = 0
    todo = [pid]
    kinds: dict[int, str] = {}
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            fields = {}
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                name, _, rest = line.partition(":")
                if name in ("Pss", "Private_Clean", "Private_Dirty"):
                    fields[name] = int(rest.split()[0])
            cmd = Path(f"/proc/{current}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        own_uss = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
        pss += fields.get("Pss", 0)
        uss += own_uss
        kind = next((a.decode() for a in cmd if a.startswith(b"--type=")), "")
        parent = next((p for p, kids in children.items() if current in kids), 0)
        if kind == "--type=zygote" and kinds.get(parent) == "--type=zygote":
            kind = "renderer (forked by the zygote)"  # a forked child keeps its zygote's command line
        kinds[current] = kind
        if detail is not None:
            detail.append(
                f"{fields.get('Pss', 0) / 1024:7.1f} MB PSS {own_uss / 1024:7.1f} MB USS  "
                f"{Path(cmd[0].decode()).name} {kind}"
            )
    return pss / 1024, uss / 1024


def tree_alone_mb(pid: int) -> float:
    """The tree's memory as if nothing else ran on the machine: its anonymous and shmem PSS, plus each
    mapped file's resident size counted once for the whole tree (the largest any of its processes has).
    Unlike PSS this does not move when other programs map the same libraries."""
    private = 0
    files: dict[str, int] = {}
    for current in (pid, *descendants(pid)):
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text().splitlines()
            smaps = Path(f"/proc/{current}/smaps").read_text().splitlines()
        except OSError:
            continue
        for line in rollup:
            name, _, rest = line.partition(":")
            if name in ("Pss_Anon", "Pss_Shmem"):
                private += int(rest.split()[0])
        own: dict[str, int] = {}
        path = ""
        for line in smaps:
            head = line.split()
            if head and "-" in head[0] and not head[0].endswith(":"):
                path = head[5] if len(head) > 5 and head[5].startswith("/") else ""
            elif path and line.startswith("Rss:") and not path.startswith(("/memfd:", "/SYSV", "/dev/")):
                own[path] = own.get(path, 0) + int(head[1])
        for name, kb in own.items():
            files[name] = max(files.get(name, 0), kb)
    return (private + sum(files.values())) / 1024


def start_xvfb(size: str = "1280x800x24") -> tuple[subprocess.Popen, int]:
    """A fresh Xvfb on the first free display number from 90 up."""
    display = next(n for n in range(90, 200) if not Path(f"/tmp/.X{n}-lock").exists())
    proc = subprocess.Popen(["Xvfb", f":{display}", "-screen", "0", size, "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    for _ in range(200):
        if proc.poll() is not None:
            raise SystemExit(f"Xvfb :{display} exited")
        if Path(f"/tmp/.X11-unix/X{display}").exists() and Path(f"/tmp/.X{display}-lock").exists():
            time.sleep(0.2)
            return proc, display
        time.sleep(0.05)
    raise SystemExit("Xvfb did not start")


def corpus_items(base: str) -> list[tuple[str, str, str]]:
    """(title, url, html with absolute image addresses) for each corpus article."""
    items = []
    paths = sorted(CORPUS.glob("*.html"), key=lambda p: (p.stem != "wide_images", p.stem))  # images first
    for path in paths:
        body = path.read_text(encoding="utf-8").replace('src="/img/', f'src="{base}/img/')
        body = body.replace('poster="/img/', f'poster="{base}/img/').replace(
            'srcset="/img/', f'srcset="{base}/img/'
        )
        items.append((path.stem.replace("_", " ").capitalize(), f"{base}/post/{path.stem}", body))
    return items


def build_hearth(data: Path, base: str) -> None:
    from datetime import UTC, datetime, timedelta

    from app.models import ParsedItem
    from app.storage import open_store

    now = datetime.now(UTC)
    with open_store(data / "hearth.sqlite3") as store:
        feed = store.add_feed(f"{base}/feed.xml", title="Reader corpus")
        store.upsert_articles(feed.id, [
            ParsedItem(guid=url, url=url, title=title, published=now - timedelta(minutes=n), content_html=body)
            for n, (title, url, body) in enumerate(corpus_items(base))
        ])  # fmt: skip


def build_rssguard(data: Path, base: str, display: int) -> None:
    """Let RSS Guard create its profile, then put the same feed and articles in its database."""
    env = dict(os.environ, DISPLAY=f":{display}")
    env.pop("QT_QPA_PLATFORM", None)
    proc = subprocess.Popen(["rssguard", "-d", str(data), "-n"], env=env)
    db = data / "database" / "database.db"
    for _ in range(200):
        if db.exists() and db.stat().st_size > 0:
            break
        time.sleep(0.05)
    time.sleep(3)
    proc.terminate()
    proc.wait(20)
    conn = sqlite3.connect(db)
    conn.execute("INSERT OR IGNORE INTO Accounts (id, type) VALUES (1, 'std-rss')")
    settings = '{"encoding": "UTF-8", "password": "", "post_process": "", "protected": false,'
    settings += ' "source_type": 0, "type": 1, "username": ""}'
    conn.execute(
        "INSERT INTO Feeds (title, category, source, update_type, update_interval, account_id, custom_id,"
        " custom_data) VALUES ('Reader corpus', -1, ?, 0, 60, 1, 'corpus', ?)",
        (f"{base}/feed.xml", settings),
    )
    now = int(time.time() * 1000)
    for n, (title, url, body) in enumerate(corpus_items(base)):
        conn.execute(
            "INSERT INTO Messages (feed, title, url, date_created, contents, enclosures, account_id, custom_id)"
            " VALUES ('corpus', ?, ?, ?, ?, '', 1, ?)",
            (title, url, now - n * 60_000, body, url),
        )
    conn.commit()
    conn.close()


def measure_hearth(data: Path, display: int, settle: float) -> dict:
    env = dict(os.environ, DISPLAY=f":{display}", HEARTH_BENCH_EXIT_AFTER_PAINT=str(settle + 2),
               HEARTH_BENCH_SHOW_ARTICLE="1", HEARTH_BENCH_T0=repr(time.time()))  # fmt: skip
    env.pop("QT_QPA_PLATFORM", None)
    if os.environ.get("BENCH_HEARTH_FLAGS"):  # try Chromium switches on Hearth only
        env["QTWEBENGINE_CHROMIUM_FLAGS"] = (
            env.get("QTWEBENGINE_CHROMIUM_FLAGS", "") + " " + env["BENCH_HEARTH_FLAGS"]
        ).strip()
    proc = subprocess.Popen([sys.executable, "-m", "app", "--data-dir", str(data)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    assert proc.stdout is not None
    events: dict[str, dict] = {}
    for line in proc.stdout:
        if line.startswith("{"):
            event = json.loads(line)
            events[event["event"]] = event
            if event["event"] == "article_shown":
                time.sleep(settle)
                detail: list[str] = []
                pss, uss = tree_memory_mb(proc.pid, detail)
                events["pss_mb"] = {
                    "value": pss,
                    "uss": uss,
                    "alone": tree_alone_mb(proc.pid),
                    "detail": detail,
                }
            if event["event"] == "idle":
                break
    proc.wait(60)
    return events


def measure_rssguard(data: Path, display: int, settle: float) -> tuple[float, float, float]:
    env = dict(os.environ, DISPLAY=f":{display}")
    env.pop("QT_QPA_PLATFORM", None)
    proc = subprocess.Popen(["rssguard", "-d", str(data), "-n"], env=env)
    time.sleep(6)
    # the corpus feed (first row under the account), then the first article (RSS Guard's default layout)
    for x, y in ((100, 191), (900, 300)):  # "Wide images", the last of eight rows
        subprocess.run(["xdotool", "mousemove", str(x), str(y), "click", "1"], env=env, capture_output=True)
        time.sleep(1.5)
    time.sleep(settle)
    detail: list[str] = []
    pss = (*tree_memory_mb(proc.pid, detail), tree_alone_mb(proc.pid))
    print("rssguard processes:\n  " + "\n  ".join(detail))
    grab = "from PySide6.QtGui import QGuiApplication as A; a = A([]); a.primaryScreen().grabWindow(0).save('{}')"
    shot = Path(tempfile.gettempdir()) / "rssguard-bench.png"
    subprocess.run(
        [sys.executable, "-c", grab.format(shot)], env=dict(env, QT_QPA_PLATFORM="xcb"), timeout=30
    )
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
    return pss


def report_round(n: int, hearth: dict, rssguard: tuple[float, float, float]) -> None:
    paint = hearth.get("first_paint", {})
    shown = hearth.get("article_shown", {})
    print(f"--- round {n}")
    print(
        f"hearth: launch -> first paint {paint.get('since_launch_s')} s, torch loaded: {paint.get('torch_loaded')},"
        f" loaded before the paint though not needed: {paint.get('loaded_early')}"
    )
    print(f"hearth: article shown in the web reader: {shown.get('title')!r} (ok={shown.get('ok')})")
    print("hearth processes:\n  " + "\n  ".join(hearth["pss_mb"]["detail"]))
    h_pss, h_uss = hearth["pss_mb"]["value"], hearth["pss_mb"]["uss"]
    r_pss, r_uss, r_alone = rssguard
    h_alone = hearth["pss_mb"]["alone"]
    print(f"hearth   PSS of the process tree with an article shown: {h_pss:.0f} MB (USS {h_uss:.0f} MB)")
    print(f"rssguard PSS of the process tree with an article shown: {r_pss:.0f} MB (USS {r_uss:.0f} MB)")
    print(f"as if alone on the machine (tree_alone_mb): hearth {h_alone:.0f} MB, rssguard {r_alone:.0f} MB")
    print(
        f"ratio hearth/rssguard: PSS {h_pss / r_pss:.2f}, USS {h_uss / r_uss:.2f}, alone {h_alone / r_alone:.2f}"
        " (same feed, same run)"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--settle", type=float, default=8.0, help="seconds after the article shows")
    parser.add_argument(
        "--rounds", type=int, default=1, help="Hearth and RSS Guard, alternating who goes first"
    )
    opts = parser.parse_args()
    if shutil.which("rssguard") is None or shutil.which("xdotool") is None:
        raise SystemExit("needs Debian's rssguard and xdotool (apt-get install rssguard xdotool)")
    from PySide6.QtCore import QBuffer, QIODevice
    from PySide6.QtGui import QColor, QGuiApplication, QImage

    from tests.support.http import LocalServer, Reply

    _app = QGuiApplication(["bench", "-platform", "offscreen"])  # only to draw the test images

    def png(w: int, h: int) -> bytes:
        image = QImage(w, h, QImage.Format.Format_RGB32)
        image.fill(QColor("#4a90d9"))
        buf = QBuffer()
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buf, "PNG")
        return bytes(buf.data().data())

    (x1, hearth_display), (x2, rg_display) = start_xvfb(), start_xvfb()
    displays = [x1, x2]
    try:
        with LocalServer() as server, tempfile.TemporaryDirectory() as tmp:
            for name, (w, h) in {
                "wide-800.png": (800, 400),
                "wide-1600.png": (1600, 900),
                "small.png": (120, 80),
            }.items():
                server.route(f"/img/{name}", Reply(200, png(w, h), {"Content-Type": "image/png"}))
            base = server.url("/").rstrip("/")
            hearth_dir, rg_dir = Path(tmp) / "hearth", Path(tmp) / "rssguard"
            hearth_dir.mkdir()
            build_hearth(hearth_dir, base)
            build_rssguard(rg_dir, base, rg_display)
            rounds = []
            for n in range(opts.rounds):
                if n % 2:
                    rssguard = measure_rssguard(rg_dir, rg_display, opts.settle)
                    hearth = measure_hearth(hearth_dir, hearth_display, opts.settle)
                else:
                    hearth = measure_hearth(hearth_dir, hearth_display, opts.settle)
                    rssguard = measure_rssguard(rg_dir, rg_display, opts.settle)
                rounds.append((hearth, rssguard))
                report_round(n + 1, hearth, rssguard)
            images = len(server.requests_to("/img/wide-800.png"))
            rssguard_images = len(
                [r for r in server.requests if "QtWebEngine" in r.headers.get("user-agent", "")]
            )
    finally:
        for proc in displays:
            proc.terminate()
    if len(rounds) > 1:
        print(f"\n{len(rounds)} rounds, same run (ranges):")
        for label, h_of, r_of in (
            ("PSS", lambda h: h["pss_mb"]["value"], lambda r: r[0]),
            ("USS", lambda h: h["pss_mb"]["uss"], lambda r: r[1]),
            ("alone", lambda h: h["pss_mb"]["alone"], lambda r: r[2]),
        ):
            hs, rs = [h_of(h) for h, _ in rounds], [r_of(r) for _, r in rounds]
            print(
                f"  {label:5s} hearth {min(hs):.0f}-{max(hs):.0f} MB, rssguard {min(rs):.0f}-{max(rs):.0f} MB;"
                f" hearth <= rssguard in {sum(h <= r for h, r in zip(hs, rs, strict=True))} of {len(rounds)} rounds"
            )
        paints = [h.get("first_paint", {}).get("since_launch_s") for h, _ in rounds]
        print(f"  hearth launch -> first paint: {paints} s")
    print(f"requests for wide-800.png (both readers): {images}; by RSS Guard's web view: {rssguard_images}")
    print(f"RSS Guard's screen at the measurement: {Path(tempfile.gettempdir()) / 'rssguard-bench.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
