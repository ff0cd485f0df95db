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
from app.secrets import CookieVault
from app.server import FeedServer
from app.storage import open_store
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
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("Hearth feed server on http://127.0.0.1:")
        base = line.split()[4].rstrip("/")
        assert httpx.get(base + "/", timeout=10).status_code == 200
        assert httpx.get(base + "/opml", timeout=10).status_code == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
