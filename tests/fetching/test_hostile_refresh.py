"""Every hostile feed at once in one `hearth refresh --all` subprocess: bombs in four encodings, an
entity bomb, 100,000 items, a 20 MB description, deep nesting. The process tree stays under 300 MB,
each hostile feed gets its bounded result or a typed error, and the good feeds lose nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from app.config import Paths, Settings
from app.feeds.normalize import MAX_HTML
from app.models import ArticleQuery
from app.storage import open_store
from tests.fetching.conftest import run_refresh
from tests.fetching.fixtures import rss
from tests.fetching.test_bombs import ENCODINGS, bomb
from tests.support.http import Reply

MB = 1 << 20
LIMIT = 300 * MB
ROOT = Path(__file__).resolve().parents[2]
RSS = {"Content-Type": "application/rss+xml"}


def _doc(items: str, prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{prolog}<rss version="2.0"><channel><title>hostile</title>'
        f"<link>http://example.org/</link>{items}</channel></rss>"
    ).encode()


_WRAPPER = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[2:], capture_output=True, text=True)
maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
usage = {"returncode": done.returncode, "maxrss": maxrss, "stdout": done.stdout, "stderr": done.stderr}
open(sys.argv[1], "w").write(json.dumps(usage))
"""


def hostile_feeds() -> dict[str, Reply]:
    routes = {f"/bomb-{e}.xml": Reply(200, bomb(e), {**RSS, "Content-Encoding": e}) for e in ENCODINGS}
    routes["/entities.xml"] = Reply(
        200,
        _doc(
            "<item><title>e</title><description>" + "&big;" * 20_000 + "</description></item>",
            prolog='<!DOCTYPE rss [<!ENTITY big "' + "A" * 20_000 + '">]>',
        ),
        RSS,
    )
    routes["/100k.xml"] = Reply(
        200,
        _doc(
            "".join(
                f"<item><title>n {i}</title><guid>n{i}</guid><description>&lt;p&gt;body {i}&lt;/p&gt;</description></item>"
                for i in range(100_000)
            )
        ),
        RSS,
    )
    routes["/20mb.xml"] = Reply(
        200,
        _doc(
            "<item><title>big</title><guid>big</guid><description>"
            + "&lt;p&gt;words words&lt;/p&gt;" * 700_000
            + "</description></item>"
        ),
        RSS,
    )
    routes["/deep-html.xml"] = Reply(
        200,
        _doc(
            "<item><title>d</title><guid>d</guid><description>"
            + "&lt;div&gt;" * 100_000
            + "end</description></item>"
        ),
        RSS,
    )
    routes["/deep-xml.xml"] = Reply(
        200, _doc("<item><title>x</title><guid>x</guid>" + "<x>" * 50_000 + "</x>" * 50_000 + "</item>"), RSS
    )
    routes["/deep.json"] = Reply(
        200,
        b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        {"Content-Type": "application/feed+json"},
    )
    return routes


def _tree(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def _pss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def test_a_refresh_of_every_hostile_feed_at_once_stays_under_300_mb(tmp_path, hosts):
    good_host, bad_host = hosts(1), hosts(2)
    good_host.route(
        "/good.xml",
        [Reply(200, rss("Good", 3, prefix="old"), RSS), Reply(200, rss("Good", 3, prefix="new"), RSS)],
    )
    good_host.route("/other.xml", Reply(200, rss("Other", 4, prefix="o"), RSS))
    routes = hostile_feeds()
    for path, reply in routes.items():
        bad_host.route(path, reply)

    paths = Paths(tmp_path)
    settings = Settings.load(paths.settings_path)
    # a cap just above the 20 MB feeds, so they reach the parser, which must bound them
    settings.set("fetch.max_body_mb", 24)
    settings.set("fetch.timeout", 120.0)
    settings.save()
    store = open_store(paths.db_path)
    good = store.add_feed(good_host.url("/good.xml"))
    assert run_refresh(store).new_articles == 3  # what the user already has
    before = store.list_articles(ArticleQuery(feed_ids=(good.id,)))
    store.mark_read([before[0].id])
    store.star([before[1].id])
    other = store.add_feed(good_host.url("/other.xml"))
    hostile = {path: store.add_feed(bad_host.url(path)).id for path in routes}
    store.close()

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("HEARTH_DATA_DIR", None)
    report = tmp_path / "usage.json"
    command = [sys.executable, "-m", "app", "--data-dir", str(tmp_path), "refresh", "--all", "--quiet"]
    # a wrapper runs hearth, so its RUSAGE_CHILDREN is hearth's tree and nothing else this session ran
    proc = subprocess.Popen([sys.executable, "-c", _WRAPPER, str(report), *command], cwd=ROOT, env=env)
    tree_peak = 0
    done = threading.Event()

    def sample() -> None:  # the whole tree's proportional set size, sampled every 50 ms
        nonlocal tree_peak
        while not done.wait(0.05):
            pids = [pid for pid in _tree(proc.pid) if pid != proc.pid]
            tree_peak = max(tree_peak, sum(_pss(pid) for pid in pids))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        proc.wait(timeout=280)
    finally:
        done.set()
        sampler.join()
    usage = json.loads(report.read_text())
    peak = usage["maxrss"]
    print(
        f"\nhostile refresh: peak RSS of the largest process {peak / MB:.0f} MB, "
        f"sampled PSS of the whole tree {tree_peak / MB:.0f} MB"
    )
    assert usage["returncode"] == 0, usage["stderr"][-3000:]
    assert peak < LIMIT
    assert tree_peak < LIMIT

    store = open_store(paths.db_path)
    try:
        errors = {path: store.get_feed(fid).last_error for path, fid in hostile.items()}
        for encoding in ENCODINGS:
            assert "larger than 24 MB" in errors[f"/bomb-{encoding}.xml"]
        assert "declares XML entities" in errors["/entities.xml"]
        assert "nested too deeply" in errors["/deep.json"]
        counts = {path: store.count_articles(ArticleQuery(feed_ids=(fid,))) for path, fid in hostile.items()}
        assert counts["/100k.xml"] == 500 and counts["/20mb.xml"] == 1 and counts["/deep-html.xml"] == 1
        (big,) = store.list_articles(ArticleQuery(feed_ids=(hostile["/20mb.xml"],)))
        content = store.get_article(big.id).content_html
        assert len(content) <= MAX_HTML and "article cut" in content
        # the good feeds: nothing lost, statuses kept, new articles in
        after = {row.id: row for row in store.list_articles(ArticleQuery(feed_ids=(good.id,)))}
        assert {row.id for row in before} <= set(after) and len(after) == 6
        assert after[before[0].id].read and after[before[1].id].starred
        assert store.count_articles(ArticleQuery(feed_ids=(other.id,))) == 4
    finally:
        store.close()
    print(json.dumps({path: counts[path] for path in routes}))
