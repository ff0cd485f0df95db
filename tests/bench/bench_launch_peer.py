"""Launch -> top-level window mapped: Hearth vs RSS Guard, same run, same 100,000 articles.

    python tests/bench/bench_launch_peer.py [--runs 5] [--articles 100000] [--shots DIR]

Profiles: Hearth's from tests/ui/sample_profile.build_large (one feed "Big feed 0", N articles, all
unread); RSS Guard (Debian's `rssguard`, the QtWebEngine build) creates its own profile, as
bench_reader_memory.build_rssguard lets it, then the same feed and the same N articles (titles, links,
dates, bodies) go into its Messages table in one transaction.

Method: one Xvfb, no window manager. An X client in this process (libX11 + libXdamage through ctypes)
selects SubstructureNotify on the root window before each spawn, so the X server sends it a MapNotify
the moment a top-level window is mapped (without a window manager mapped means viewable). Time is
perf_counter from just before Popen to the reading of that event, for the first non-override-redirect
top-level window whose _NET_WM_PID is the spawned pid: event-driven, well under 1 ms of resolution
(the brief's fallback, polling `xdotool search --onlyvisible --pid` every 5 ms, costs a process per
poll). `xdotool search --onlyvisible --pid` is run once afterwards to check it finds the same window.
Also, the same way for both: "drawn", the first DAMAGE event on that window after the map (the
program's first frame reaching the server; Qt's windows have no server-drawn background: a bare
QMainWindow whose paintEvent sleeps 0.5 s is "drawn" 0.5 s after its map). For Hearth also its own report (FirstPaintProbe,
HEARTH_BENCH_EXIT_AFTER_PAINT / HEARTH_BENCH_T0): time.time() at its first Paint event. "Last frame":
the last DAMAGE report within --settle of the first frame (RSS Guard draws twice, ~15 ms apart, then
stops; Hearth redraws most of its window 0.4-0.5 s after its first frame, the post-paint parts - web
reader, AI panel - arriving: seen with XDamageReportRawRectangles in a one-off check).

Each launch is a new process (cold process, warm page cache: the profiles and both programs' libraries
were read by the warm-up launch of each, which is not measured and gives the screenshots). Runs
alternate who goes first. Each program is ended after the measurement (Hearth quits itself one idle
second after its paint, killed if not within 10 s; RSS Guard gets SIGTERM after --settle seconds) and
its whole process tree (QtWebEngineProcess included) is waited for, killed if it lingers.

Caveats: the two do different work before their window shows (Hearth lists the 100k articles of All;
RSS Guard its feed list with counts, an empty article list until a feed is picked and, over a second
later, a "Go to Discord!" message box), so this compares what a user waits for, not equal work; for
RSS Guard the main window is timed, not the message box. Figures move with the machine's load: compare
within one run.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import select
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_reader_memory import descendants, start_xvfb  # noqa: E402

CREATE_NOTIFY, MAP_NOTIFY, SUBSTRUCTURE_NOTIFY_MASK = 16, 19, 1 << 19
DAMAGE_REPORT_NON_EMPTY, XA_CARDINAL = 3, 6


_I, _L, _P = ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p
_HEAD = [("type", _I), ("serial", _L), ("send_event", _I), ("display", _P)]


class _Create(ctypes.Structure):
    _fields_ = [*_HEAD, ("parent", _L), ("window", _L), *((f, _I) for f in ("x", "y", "width", "height"))]
    _fields_ += [("border_width", _I), ("override_redirect", _I)]


class _Map(ctypes.Structure):
    _fields_ = [*_HEAD, ("event", _L), ("window", _L), ("override_redirect", _I)]


class _Damage(ctypes.Structure):
    _fields_ = [*_HEAD, ("drawable", _L), ("damage", _L)]


class _Event(ctypes.Union):
    _fields_ = [("type", _I), ("create", _Create), ("map", _Map), ("damage", _Damage)]
    _fields_ += [("pad", ctypes.c_long * 24)]


_ERROR_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)


class MapWatcher:
    """Top-level windows of one X display as they are created, mapped and first drawn (perf_counter)."""

    def __init__(self, display: int) -> None:
        self.x = x = ctypes.CDLL("libX11.so.6")
        self.xd = xd = ctypes.CDLL("libXdamage.so.1")
        ref = ctypes.POINTER
        for lib, name, restype, *args in (
            (x, "XOpenDisplay", _P, ctypes.c_char_p),
            (x, "XDefaultRootWindow", _L, _P),
            (x, "XInternAtom", _L, _P, ctypes.c_char_p, _I),
            (x, "XSelectInput", _I, _P, _L, ctypes.c_long),
            (x, "XGetWindowProperty", _I, _P, _L, _L, ctypes.c_long, ctypes.c_long, _I, _L,
             ref(_L), ref(_I), ref(_L), ref(_L), ref(_P)),
            (x, "XConnectionNumber", _I, _P),
            (x, "XPending", _I, _P),
            (x, "XFlush", _I, _P),
            (x, "XCloseDisplay", _I, _P),
            (x, "XNextEvent", _I, _P, _P),
            (x, "XFree", _I, _P),
            (x, "XSetErrorHandler", _P, _ERROR_HANDLER),
            (xd, "XDamageQueryExtension", _I, _P, ref(_I), ref(_I)),
            (xd, "XDamageCreate", _L, _P, _L, _I),
            (xd, "XDamageSubtract", None, _P, _L, _L, _L),
        ):  # fmt: skip
            getattr(lib, name).restype, getattr(lib, name).argtypes = restype, args
        self.dpy = x.XOpenDisplay(f":{display}".encode())
        if not self.dpy:
            raise SystemExit(f"cannot open X display :{display}")
        self._on_error = _ERROR_HANDLER(lambda _d, _e: 0)  # a window gone before we asked about it
        x.XSetErrorHandler(self._on_error)
        self.root = x.XDefaultRootWindow(self.dpy)
        x.XSelectInput(self.dpy, self.root, SUBSTRUCTURE_NOTIFY_MASK)
        base, err = ctypes.c_int(), ctypes.c_int()
        has_damage = xd.XDamageQueryExtension(self.dpy, ctypes.byref(base), ctypes.byref(err))
        self.damage_event = base.value if has_damage else None
        self.pid_atom = x.XInternAtom(self.dpy, b"_NET_WM_PID", 0)
        self.fd = x.XConnectionNumber(self.dpy)
        x.XFlush(self.dpy)
        self.sizes: dict[int, tuple[int, int]] = {}
        self.mapped: list[tuple[int, float, int | None]] = []  # (window, when, pid): managed top-levels
        self.drawn: dict[int, list[float]] = {}

    def close(self) -> None:
        self.x.XCloseDisplay(self.dpy)

    def pump(self, timeout: float) -> None:
        """Read every queued event, else wait up to `timeout` for the next one."""
        if not self.x.XPending(self.dpy):
            select.select([self.fd], [], [], timeout)
        event = _Event()
        while self.x.XPending(self.dpy):
            self.x.XNextEvent(self.dpy, ctypes.byref(event))
            now = time.perf_counter()
            if event.type == CREATE_NOTIFY and event.create.parent == self.root:
                self.sizes[event.create.window] = (event.create.width, event.create.height)
                if self.damage_event is not None:
                    self.xd.XDamageCreate(self.dpy, event.create.window, DAMAGE_REPORT_NON_EMPTY)
            elif (
                event.type == MAP_NOTIFY and event.map.event == self.root and not event.map.override_redirect
            ):
                self.mapped.append((event.map.window, now, self.window_pid(event.map.window)))
            elif event.type == self.damage_event:
                self.drawn.setdefault(event.damage.drawable, []).append(now)
                self.xd.XDamageSubtract(self.dpy, event.damage.damage, 0, 0)  # report the next one too
        self.x.XFlush(self.dpy)

    def window_pid(self, window: int) -> int | None:
        kind, fmt, count, left, data = _L(), _I(), _L(), _L(), _P()
        head = (self.dpy, window, self.pid_atom, 0, 1, 0, XA_CARDINAL)  # one CARDINAL, don't delete
        status = self.x.XGetWindowProperty(*head, *map(ctypes.byref, (kind, fmt, count, left, data)))
        pid = ctypes.cast(data, ctypes.POINTER(ctypes.c_long))[0] if status == 0 and count.value else None
        if data.value:
            self.x.XFree(data)
        return pid

    def wait_mapped(self, pid: int, deadline: float) -> tuple[int, float]:
        """The first top-level window of `pid` to be mapped, and when."""
        seen = 0
        while time.perf_counter() < deadline:
            self.pump(0.05)
            for window, when, owner in self.mapped[seen:]:
                if owner == pid:
                    return window, when
            seen = len(self.mapped)
        raise SystemExit(f"no window of pid {pid} was mapped in time")

    def wait_drawn(self, window: int, after: float, deadline: float) -> float | None:
        while time.perf_counter() < deadline:
            later = [t for t in self.drawn.get(window, []) if t >= after]
            if later:
                return later[0]
            self.pump(0.05)
        return None


def end_tree(proc: subprocess.Popen, wait_s: float, terminate: bool) -> str:
    """Ends `proc` (SIGTERM first when `terminate`; SIGKILL after `wait_s`) and every process it started,
    collected while it runs (QtWebEngineProcess children reparent to init when it exits)."""
    how = "exited by itself"
    tree = descendants(proc.pid)
    if terminate:
        proc.send_signal(signal.SIGTERM)
        how = "terminated"
    deadline = time.perf_counter() + wait_s
    while proc.poll() is None and time.perf_counter() < deadline:
        tree |= descendants(proc.pid)
        time.sleep(0.05)
    if proc.poll() is None:
        tree |= descendants(proc.pid)
        proc.kill()
        how = f"killed after {wait_s:g} s"
    proc.wait()
    for _ in range(200):
        left = [p for p in tree if not _gone(p)]
        if not left:
            return how
        time.sleep(0.05)
    for p in left:
        os.kill(p, signal.SIGKILL)
    return how + f", {len(left)} leftover child(ren) killed"


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def build_rssguard_large(data: Path, display: int, env: dict[str, str], articles: int) -> None:
    """RSS Guard creates its profile (launched once, ended once its window shows), then gets the feed
    and the articles of build_large in one transaction."""
    from tests.ui.sample_profile import NOW

    watcher = MapWatcher(display)
    proc = subprocess.Popen(
        ["rssguard", "-d", str(data), "-n"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    watcher.wait_mapped(proc.pid, time.perf_counter() + 60)
    watcher.close()
    end_tree(proc, 20, terminate=True)
    settings = '{"encoding": "UTF-8", "password": "", "post_process": "", "protected": false,'
    settings += ' "source_type": 0, "type": 1, "username": ""}'
    conn = sqlite3.connect(data / "database" / "database.db")
    with conn:
        conn.execute("INSERT OR IGNORE INTO Accounts (id, type) VALUES (1, 'std-rss')")
        conn.execute(
            "INSERT INTO Feeds (title, category, source, update_type, update_interval, account_id, custom_id,"
            " custom_data) VALUES ('Big feed 0', -1, 'https://big0.example/feed.xml', 0, 60, 1, 'big0', ?)",
            (settings,),
        )
        conn.executemany(
            "INSERT INTO Messages (feed, title, url, date_created, contents, enclosures, account_id, custom_id)"
            " VALUES ('big0', ?, ?, ?, ?, '', 1, ?)",
            (
                (
                    f"Article {i} of feed 0",
                    f"https://big0.example/{i}",
                    int((NOW - timedelta(minutes=i)).timestamp() * 1000),
                    f"<p>Body of article {i}.</p>",
                    f"1-{i}",
                )
                for i in range(articles)
            ),
        )
    conn.close()


def launch(
    name: str, cmd: list[str], env: dict[str, str], display: int, settle: float, shot: Path | None
) -> dict:
    """One launch: spawn, time the map and the first frame, end it; screenshot to `shot` if given."""
    hearth = name == "hearth"
    watcher = MapWatcher(display)
    with tempfile.TemporaryFile("w+") as out:  # a file, not a pipe: a chatty program never blocks on it
        idle = "6" if shot is not None else "1"  # Hearth's idle seconds after its paint, then it quits
        env = dict(env, HEARTH_BENCH_EXIT_AFTER_PAINT=idle, HEARTH_BENCH_T0=repr(time.time()))
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.DEVNULL, text=True)
        window, mapped = watcher.wait_mapped(proc.pid, started + 60)
        drawn = watcher.wait_drawn(window, mapped, mapped + 10)
        search = ["xdotool", "search", "--onlyvisible", "--pid", str(proc.pid)]
        found = subprocess.run(search, env=env, capture_output=True, text=True).stdout.split()
        result: dict = {
            "mapped_s": mapped - started,
            "drawn_s": None if drawn is None else drawn - started,
            "xdotool_agrees": str(window) in found,
            "size": watcher.sizes.get(window),
        }
        if shot is not None:
            time.sleep(3)  # let it finish drawing; warm-up launches only, not measured
            subprocess.run(["import", "-display", f":{display}", "-window", "root", str(shot)], check=False)
            result["title"] = subprocess.run(
                ["xdotool", "getwindowname", str(window)], env=env, capture_output=True, text=True
            ).stdout.strip()
        until = time.perf_counter() + settle  # Hearth quits by itself meanwhile; RSS Guard is ended after
        while time.perf_counter() < until:
            watcher.pump(until - time.perf_counter())
        watcher.close()
        frames = [t for t in watcher.drawn.get(window, []) if t >= mapped]
        result["frames"] = len(frames)  # DAMAGE reports on the window until --settle after its first frame
        result["last_drawn_s"] = frames[-1] - started if frames else None
        result["windows"] = [watcher.sizes.get(w) for w, _, owner in watcher.mapped if owner == proc.pid]
        result["ended"] = end_tree(proc, 10 + float(idle) if hearth else 20, terminate=not hearth)
        out.seek(0)
        lines = out.read().splitlines()
    if hearth:
        events = [json.loads(line) for line in lines if line.startswith("{")]
        paint = next((e for e in events if e.get("event") == "first_paint"), {})
        result["own_paint_s"] = paint.get("since_launch_s")
        result["listed"] = paint.get("articles_in_list")
    return result


def summary(label: str, values: list[float | None]) -> str:
    got = [v for v in values if v is not None]
    if not got:
        return f"{label}: no figure"
    return (
        f"{label}: best {min(got):.3f} s, median {statistics.median(got):.3f} s;"
        f" runs {[round(v, 3) if v is not None else None for v in values]}"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--settle", type=float, default=1.0, help="seconds each runs after its first frame")
    parser.add_argument("--shots", type=Path, default=Path(tempfile.gettempdir()), help="warm-up screenshots")
    opts = parser.parse_args()
    for tool in ("rssguard", "xdotool", "Xvfb", "import"):
        if shutil.which(tool) is None:
            raise SystemExit(f"needs {tool} (apt-get install rssguard xdotool xvfb imagemagick)")
    from tests.ui.sample_profile import build_large

    xvfb, display = start_xvfb()
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(DISPLAY=f":{display}", QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            hearth_dir, rg_dir = Path(tmp) / "hearth", Path(tmp) / "rssguard"
            hearth_dir.mkdir()
            t = time.perf_counter()
            build_large(hearth_dir / "hearth.sqlite3", opts.articles)
            build_rssguard_large(rg_dir, display, env, opts.articles)
            built = time.perf_counter() - t
            print(f"profiles: {opts.articles:,} articles in one feed each, built in {built:.0f} s")
            cmds = {
                "hearth": [sys.executable, "-m", "app", "--data-dir", str(hearth_dir)],
                "rssguard": ["rssguard", "-d", str(rg_dir), "-n"],
            }
            warmed = {}
            for name, cmd in cmds.items():
                shot = opts.shots / f"launch-peer-{name}.png"
                warmed[name] = launch(name, cmd, env, display, opts.settle, shot)
                print(f"warm-up {name}: {warmed[name]} (screenshot {shot})")
            runs: dict[str, list[dict]] = {"hearth": [], "rssguard": []}
            for n in range(opts.runs):
                for name in ("hearth", "rssguard") if n % 2 == 0 else ("rssguard", "hearth"):
                    runs[name].append(launch(name, cmds[name], env, display, opts.settle, None))
                    print(f"run {n + 1} {name}: {runs[name][-1]}", flush=True)
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    print(f"\nlaunch -> top-level window mapped (MapNotify), {opts.runs} runs each, alternating:")
    for key, what in (
        ("mapped_s", "mapped"),
        ("drawn_s", "first frame drawn (DAMAGE)"),
        ("last_drawn_s", f"last frame drawn within {opts.settle:g} s of the first"),
    ):
        h, r = ([run[key] for run in runs[name]] for name in ("hearth", "rssguard"))
        print("  " + summary(f"hearth   {what}", h))
        print("  " + summary(f"rssguard {what}", r))
        if None not in h + r:
            print(
                f"  ratio hearth/rssguard {what}: best {min(h) / min(r):.2f},"
                f" median {statistics.median(h) / statistics.median(r):.2f}"
            )
    own = [r["own_paint_s"] for r in runs["hearth"]]
    print("  " + summary("hearth   own first-paint report (FirstPaintProbe)", own))
    agree = all(r["xdotool_agrees"] for v in runs.values() for r in v)
    print(f"  xdotool --onlyvisible --pid found the same window: {agree}")
    frames = [[r["frames"] for r in runs[name]] for name in runs]
    print(f"  DAMAGE reports per launch (hearth, rssguard): {frames}")
    listed = sorted({r["listed"] for r in runs["hearth"]}, key=str)
    print(
        f"  at launch: Hearth lists the {listed} articles of All; RSS Guard shows its feed list (the account"
        " collapsed, with its unread count), an empty article list until a feed is picked, and later a modal"
        " message box ('Go to Discord!'); top-level windows mapped (sizes), warm-up then runs:"
        f" hearth {[r['windows'] for r in [warmed['hearth'], *runs['hearth']]]},"
        f" rssguard {[r['windows'] for r in [warmed['rssguard'], *runs['rssguard']]]}"
        f" (warm-up screenshots, 3 s after the first frame: {opts.shots}/launch-peer-*.png)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
