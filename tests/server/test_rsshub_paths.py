"""RSSHub's Zhihu paths on the feed server, against the Sources engineer's fake Zhihu, with the real vault."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import feedparser
import httpx
import pytest

from app.config import Paths
from app.server import FeedServer
from app.storage import open_store
from app.vault import CookieVault
from tests.sources.conftest import TEST_UA
from tests.sources.fake_zhihu import FakeZhihu

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/zhihu/people/activities/diygod", "zhihu.people.activities"),
        ("/zhihu/people/answers/diygod", "zhihu.people.answers"),
        ("/zhihu/zhuanlan/googledevelopers", "zhihu.zhuanlan"),
        ("/zhihu/hot", "zhihu.hot"),
    ],
)
def test_an_rsshub_path_is_subscribed_fetched_signed_and_served(
    path: str, kind: str, secret_service: object, data_dir: Path
) -> None:
    paths = Paths(data_dir)
    with FakeZhihu() as zhihu:
        settings = zhihu.settings()
        vault = CookieVault.from_settings(settings)
        vault.set("zhihu.com", zhihu.cookies(), TEST_UA)
        with FeedServer(paths, settings, port=0, vault=vault).start() as srv:
            reply = httpx.get(srv.url(path), timeout=30)
            assert reply.status_code == 200, reply.text
            parsed = feedparser.parse(reply.content)
            assert parsed.version == "rss20" and parsed.entries
            assert all(e.title for e in parsed.entries)
            served = len(zhihu.api_requests())
            assert served >= 1 and zhihu.signature_failures == []
            assert all(r.headers.get("user-agent") == TEST_UA for r in zhihu.api_requests())
            # fresh: the second reader is answered from the database
            again = httpx.get(srv.url(path + "?format=atom"), timeout=30)
            assert feedparser.parse(again.content).version == "atom10"
            assert len(zhihu.api_requests()) == served
            index = httpx.get(srv.url("/")).text
            assert path in index
    store = open_store(paths.db_path)
    try:
        feeds = store.list_feeds()
        assert [f.kind for f in feeds] == [kind]
    finally:
        store.close()


def test_a_ban_turns_into_a_cooldown_and_a_503(secret_service: object, data_dir: Path) -> None:
    paths = Paths(data_dir)
    with FakeZhihu() as zhihu:
        settings = zhihu.settings()
        vault = CookieVault.from_settings(settings)
        vault.set("zhihu.com", zhihu.cookies(), TEST_UA)
        zhihu.block_next = 5
        with FeedServer(paths, settings, port=0, vault=vault).start() as srv:
            first = httpx.get(srv.url("/zhihu/people/answers/diygod"), timeout=30)
            assert first.status_code == 503 and "cooling down" in first.text
            assert int(first.headers["retry-after"]) > 60
            asked = len(zhihu.api_requests())
            second = httpx.get(srv.url("/zhihu/people/answers/diygod"), timeout=30)
            assert second.status_code == 503
            assert len(zhihu.api_requests()) == asked  # the site is left alone while it cools down


# How a terminal runs a foreground `hearth serve`: SIGINT handled by Python. The child is told so
# explicitly because it would otherwise inherit the test runner's disposition, and a runner started
# as a background job (`python3 -m pytest &` in a script, two suites at once) has SIGINT *ignored*:
# Python then installs no handler and the Ctrl-C below would never arrive (the old flaky failure).
FOREGROUND = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)"
BACKGROUND = "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN)"
LAUNCH = "; import runpy, sys; sys.argv[0] = 'hearth'; runpy.run_module('app', run_name='__main__')"


def _start_serve(env: dict[str, str], disposition: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", disposition + LAUNCH, "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("Hearth feed server on http://127.0.0.1:"), line + proc.stderr.read()  # type: ignore[union-attr]
    return proc, line.split()[4].rstrip("/")


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _refused(base: str) -> bool:
    try:
        httpx.get(base + "/", timeout=10)
    except httpx.ConnectError:
        return True
    return False


def test_hearth_serve_runs_until_interrupted_and_refuses_other_hosts(data_dir: Path) -> None:
    env = {**os.environ, "HEARTH_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    refused = subprocess.run(
        [sys.executable, "-m", "app", "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert refused.returncode == 1 and "only listens on this computer" in refused.stderr
    proc, base = _start_serve(env, FOREGROUND)
    try:
        assert httpx.get(base + "/", timeout=10).status_code == 200
        assert httpx.get(base + "/opml", timeout=10).status_code == 200
        proc.send_signal(signal.SIGINT)
        # a bound only so a regression fails instead of hanging the suite; shutdown takes well under 1 s
        assert proc.wait(timeout=60) == 130
        assert "interrupted" in proc.stderr.read()  # type: ignore[union-attr]
        assert _refused(base)
    finally:
        _stop(proc)


def test_a_background_hearth_serve_stops_cleanly_on_sigterm(data_dir: Path) -> None:
    """Started the way a script's `hearth serve &` is (SIGINT ignored), SIGTERM still stops it cleanly."""
    env = {**os.environ, "HEARTH_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    proc, base = _start_serve(env, BACKGROUND)
    try:
        assert httpx.get(base + "/", timeout=10).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert proc.stdout is not None and "Hearth feed server stopped" in proc.stdout.read()
        assert _refused(base)
    finally:
        _stop(proc)
