"""`hearth add` and `hearth refresh` end to end, against real local servers and a real data dir."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from app.cli import run
from app.commands.fetch import ProgressBar
from app.fetching.report import FeedOutcome
from app.models import Feed
from app.storage import open_store
from tests.fetching.fixtures import rss
from tests.support.http import Reply

RSS = {"Content-Type": "application/rss+xml"}
HTML = {"Content-Type": "text/html"}
ROOT = Path(__file__).resolve().parents[2]


def hearth(data_dir: Path, *argv: str) -> int:
    return run(["--data-dir", str(data_dir), *argv])


def test_add_a_feed_into_a_new_folder(data_dir, server, capsys):
    server.route("/feed.xml", Reply(200, rss("Daily News", 4), RSS))
    assert hearth(data_dir, "add", server.url("/feed.xml"), "--folder", "News") == 0
    out = capsys.readouterr().out
    assert "subscribed to Daily News (feed 1) in News" in out and "4 articles" in out
    with open_store(data_dir / "hearth.sqlite3") as store:
        (feed,) = store.list_feeds()
        (folder,) = store.list_folders()
        assert (feed.folder_id, folder.name, feed.last_status) == (folder.id, "News", 200)


def test_add_with_a_title_of_ones_own(data_dir, server, capsys):
    server.route("/f.xml", Reply(200, rss("Their title"), RSS))
    assert hearth(data_dir, "add", server.url("/f.xml"), "--title", "My title") == 0
    assert "subscribed to My title" in capsys.readouterr().out


def test_add_a_page_with_several_feeds_lists_them_then_pick(data_dir, server, capsys):
    page = (
        '<html><head><link rel="alternate" type="application/rss+xml" title="Posts" href="/posts.xml">'
        '<link rel="alternate" type="application/rss+xml" title="Comments" href="/comments.xml"></head></html>'
    )
    server.route("/", Reply(200, page, HTML))
    server.route("/posts.xml", Reply(200, rss("Posts"), RSS))
    server.route("/comments.xml", Reply(200, rss("Comments", prefix="c"), RSS))
    assert hearth(data_dir, "add", server.url("/")) == 2
    captured = capsys.readouterr()
    assert "  1. " + server.url("/posts.xml") + "  Posts" in captured.out
    assert "  2. " + server.url("/comments.xml") + "  Comments" in captured.out
    assert "--pick N" in captured.err
    assert hearth(data_dir, "add", server.url("/"), "--pick", "2") == 0
    assert "subscribed to Comments" in capsys.readouterr().out
    assert hearth(data_dir, "add", server.url("/"), "--pick", "5") == 1
    assert capsys.readouterr().err.startswith("hearth: --pick 5 is out of range")


def test_add_bad_input_is_one_clear_line(data_dir, server, capsys):
    server.route("/", Reply(200, "<html><body>no feeds</body></html>", HTML))
    server.route("/f.xml", Reply(200, rss("F"), RSS))
    cases = [
        (server.url("/"), "hearth: no feed found at"),
        ("http://127.0.0.1:9/feed", "hearth: could not connect to 127.0.0.1"),
        (server.url("/missing"), "hearth: the server has no feed at this address (404"),
    ]
    for url, start in cases:
        assert hearth(data_dir, "add", url) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert err[-1].startswith(start) and "Traceback" not in "\n".join(err)
    assert hearth(data_dir, "add", server.url("/f.xml")) == 0
    assert hearth(data_dir, "add", server.url("/f.xml")) == 1
    assert "already subscribed" in capsys.readouterr().err


def test_refresh_summarises_and_lists_errors_by_feed(data_dir, server, capsys):
    server.route("/a.xml", Reply(200, rss("A"), {**RSS, "ETag": '"a"'}))
    # discovery and the first fetch each get the feed; the refresh after them gets 410
    server.route("/gone.xml", [Reply(200, rss("Gone soon", prefix="g"), RSS)] * 2 + [Reply(410)])
    for path in ("/a.xml", "/gone.xml"):
        assert hearth(data_dir, "add", server.url(path)) == 0
    capsys.readouterr()
    server.route("/a.xml", Reply(304, b"", {"ETag": '"a"'}))
    assert hearth(data_dir, "refresh", "--all") == 0
    out = capsys.readouterr().out
    assert "refreshed 2 feeds" in out and "0 new articles, 1 not modified, 1 error\n" in out  # plurals
    assert "  [2] Gone soon: the feed is gone (410); it has been disabled" in out


def test_refresh_exit_codes(data_dir, server, capsys):
    assert hearth(data_dir, "refresh") == 0
    assert "no feeds are due" in capsys.readouterr().out
    assert hearth(data_dir, "refresh", "--feed", "42") == 1
    assert capsys.readouterr().err.startswith("hearth: no feed with id 42")
    server.route("/x.xml", [Reply(200, rss("X"), RSS)] * 2 + [Reply(500)])
    assert hearth(data_dir, "add", server.url("/x.xml")) == 0
    capsys.readouterr()
    assert hearth(data_dir, "refresh", "--all") == 1  # every feed failed
    captured = capsys.readouterr()
    assert "the feed failed" in captured.err and "[1] X: the server had an error (500" in captured.out


def test_progress_bar_draws_on_one_line():
    out = io.StringIO()
    bar = ProgressBar(out, width=10)
    feed = Feed(id=1, url="http://x/", title="T")
    bar.update(5, 10, feed, FeedOutcome(1, "Some feed", "http://x/", "updated"))
    bar.update(10, 10, feed, FeedOutcome(1, "Last feed", "http://x/", "updated"))
    bar.finish()
    text = out.getvalue()
    assert "\r[#####.....] 5/10 Some feed" in text and "\r[##########] 10/10 Last feed" in text
    assert "\n" not in text


def test_the_installed_command_never_prints_a_traceback(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("HEARTH_DATA_DIR", None)
    proc = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(tmp_path), "add", "not a url at all"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("hearth: ")
