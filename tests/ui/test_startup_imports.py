"""What the window's process loads before it needs it: nothing of the refresh's parsers or process pool,
the AI's Markdown or model, full text, or every site source at the first paint; no child process before
the first refresh (the parse workers start with it) other than QtWebEngine's; and none of the modules
Hearth's libraries import only because they are installed (httpx's CLI, httpcore's trio backend).

Each runs the real program in a subprocess (`python -m app`, offscreen), so nothing a test imported counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.ui.sample_profile import build_sample

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_first_paint_loads_no_parser_pool_ai_markdown_or_site_sources(tmp_path: Path) -> None:
    build_sample(tmp_path / "hearth.sqlite3")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HEARTH_BENCH_EXIT_AFTER_PAINT="0.5")
    done = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(tmp_path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    events = {e["event"]: e for e in map(json.loads, filter(None, done.stdout.splitlines())) if "event" in e}
    assert "first_paint" in events and "idle" in events, done.stderr[-3000:]
    paint = events["first_paint"]
    assert paint["articles_in_list"] > 0  # a real window on a real library
    assert paint["list_in_first_frame"]  # the first frame shows the articles, not an empty list
    assert paint["loaded_early"] == []  # the AI panel, lxml, httpx among them
    assert paint["qt_types_early"] == []  # QStyle, dialogs, the whole of QtWidgets (~50 ms together)
    assert events["idle"]["side_panels"]  # the AI panel was built once the window had painted
    assert paint["child_processes"] == []  # no parse workers or forkserver before any refresh
    # later only QtWebEngine's own processes (zygotes, the renderer) for the web reader built after the paint
    assert all(name.startswith("QtWebEngineProcess") for name in events["idle"]["child_processes"])


def test_optional_imports_hearth_never_uses_are_skipped_and_httpx_still_works() -> None:
    got = run_python(
        """
import asyncio, json, sys
from app.__main__ import skip_unused_optional_imports
skipped = skip_unused_optional_imports()
import httpx
from tests.support.http import LocalServer, Reply

async def fetch(url):
    async with httpx.AsyncClient() as client:  # Hearth's way: asyncio, httpcore's anyio backend
        return (await client.get(url)).status_code

with LocalServer() as server:
    server.route("/x", Reply(200, b"ok", {"Content-Type": "text/plain"}))
    status = asyncio.run(fetch(server.url("/x")))
print(json.dumps({"skipped": skipped, "status": status,
                  "loaded": [m for m in ("trio", "click", "pygments", "httpx._main") if sys.modules.get(m) is not None]}))
"""
    )
    assert got["skipped"] == ["httpx._main", "trio"]
    assert got["status"] == 200
    assert got["loaded"] == []


def test_feed_status_knows_source_sites_without_loading_the_registry_for_plain_feeds() -> None:
    got = run_python(
        """
import json, sys
from app.models import Feed, FeedKind
from app.ui.feed_status import site_of
plain = site_of(Feed(id=1, url="https://example.org/feed.xml", title="Plain", kind=FeedKind.FEED))
before = "app.sources.registry" in sys.modules
from app.sources import registry
kinds = {s.id: (site_of(Feed(id=2, url="x", title="t", kind=s.id)),
                registry.site_of(Feed(id=2, url="x", title="t", kind=s.id))) for s in registry.all_sources()}
print(json.dumps({"plain": plain, "registry_loaded_for_plain": before, "kinds": kinds}))
"""
    )
    assert got["plain"] is None
    assert got["registry_loaded_for_plain"] is False
    assert any(ours for ours, _ in got["kinds"].values())  # some sources have a cookie site
    assert all(ours == theirs for ours, theirs in got["kinds"].values())


def test_the_first_frame_of_a_100k_library_shows_its_articles(tmp_path: Path, large_db: Path) -> None:
    """The library loads before the window shows (on the GUI thread at launch), so the first frame has the
    100,000-article list, not an empty one that fills after the after-paint work (web reader, AI panel)."""
    import shutil

    shutil.copy(large_db, tmp_path / "hearth.sqlite3")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HEARTH_BENCH_EXIT_AFTER_PAINT="0")
    done = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(tmp_path)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    events = {e["event"]: e for e in map(json.loads, filter(None, done.stdout.splitlines())) if "event" in e}
    assert "first_paint" in events, done.stderr[-3000:]
    assert events["first_paint"]["list_in_first_frame"]
    assert events["list_painted"]["articles_in_list"] == 100_000
