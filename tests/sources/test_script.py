"""Script sources: stdout is a feed; failures, timeouts and non-feeds become ScriptError with stderr."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from app.errors import ScriptError
from app.models import ParsedFeed
from app.sources.base import SourceContext
from app.sources.registry import match_url
from app.sources.script import ScriptSource, split_command

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Script feed</title><link>https://example.com/</link>
<item><title>Hello from {cwd}</title><link>https://example.com/1</link><guid>one</guid></item></channel></rss>"""


def run(command: str, tmp_path: Path, **settings: object) -> ParsedFeed:
    async def go() -> ParsedFeed:
        async with httpx.AsyncClient() as client:
            ctx = SourceContext(client=client, settings=Settings(None, dict(settings)), data_dir=tmp_path)
            return await ScriptSource().fetch({"command": command}, ctx)

    return asyncio.run(go())


def script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "make_feed.py"
    path.write_text(body, encoding="utf-8")
    return f"{sys.executable} {path}"


def test_stdout_is_parsed_as_a_feed_in_the_data_dir(tmp_path: Path) -> None:
    cmd = script(tmp_path, f"import os\nprint({RSS!r}.format(cwd=os.path.basename(os.getcwd())))\n")
    feed = run(cmd, tmp_path)
    assert feed.title == "Script feed"
    assert feed.items[0].title == f"Hello from {tmp_path.name}"  # cwd = data dir
    assert feed.items[0].guid == "one"


def test_json_feed_output(tmp_path: Path) -> None:
    body = '{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [{"id": "1", "content_text": "hi"}]}'
    feed = run(script(tmp_path, f"print({body!r})\n"), tmp_path)
    assert feed.title == "J" and len(feed.items) == 1


def test_non_zero_exit_shows_stderr(tmp_path: Path) -> None:
    cmd = script(tmp_path, "import sys\nsys.stderr.write('login failed: bad token\\n' * 200)\nsys.exit(3)\n")
    with pytest.raises(ScriptError, match="exited with status 3: …") as err:
        run(cmd, tmp_path)
    assert "login failed: bad token" in str(err.value)
    assert len(str(err.value)) < 700  # truncated in the message
    assert err.value.stderr.count("login failed") > 100  # the full tail is kept on the error


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_timeout_kills_the_script_and_its_children(tmp_path: Path) -> None:
    child_pid = tmp_path / "child.pid"
    finished = tmp_path / "script-finished"
    child = f"import os, time; open({str(child_pid)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    body = (
        "import os, subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', {child!r}])\n"
        f"while not os.path.exists({str(child_pid)!r}): time.sleep(0.01)\n"
        "sys.stderr.write('working...\\n'); sys.stderr.flush()\n"
        "time.sleep(60)\n"
        f"open({str(finished)!r}, 'w')\n"
    )
    # a timeout long enough for a loaded machine to start both processes, far below the script's 60 s
    with pytest.raises(ScriptError, match=r"longer than 10 s") as err:
        run(script(tmp_path, body), tmp_path, **{"script.timeout": 10})
    assert not finished.exists()  # it was killed, not waited for
    assert "working..." in err.value.stderr  # so the child had started
    pid = int(child_pid.read_text())
    for _ in range(500):  # SIGKILL to the group is immediate; allow the kernel a moment to tear down
        if not _alive(pid):
            break
        time.sleep(0.01)
    assert not _alive(pid), "the script's child survived the timeout"


def test_output_that_is_not_a_feed(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="not a feed"):
        run(script(tmp_path, "print('<html><body>hello</body></html>')\n"), tmp_path)
    with pytest.raises(ScriptError, match="not a feed"):
        run(script(tmp_path, "pass\n"), tmp_path)


def test_missing_program_and_bad_quoting(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="no such program"):
        run("/nonexistent/make-feed --x", tmp_path)
    with pytest.raises(ScriptError, match="cannot read the command line"):
        run("echo 'unclosed", tmp_path)


def test_no_shell_is_involved(tmp_path: Path) -> None:
    # shell syntax is passed through as plain arguments, never interpreted
    cmd = (
        script(tmp_path, "import sys\nprint(sys.argv[1:], file=sys.stderr)\nsys.exit(1)\n")
        + " '$(touch pwned)' ';' ls"
    )
    with pytest.raises(ScriptError) as err:
        run(cmd, tmp_path)
    assert "'$(touch pwned)', ';', 'ls'" in err.value.stderr
    assert not (tmp_path / "pwned").exists()


def test_url_forms() -> None:
    assert match_url("exec:~/bin/feed --since '1 day'") == (
        ScriptSource(),
        {"command": "~/bin/feed --since '1 day'"},
    )
    assert match_url("script:/usr/local/bin/x")[1] == {"command": "/usr/local/bin/x"}  # type: ignore[index]
    assert match_url("exec:   ") is None
    assert split_command("feed --since '1 day'") == ["feed", "--since", "1 day"]
    assert ScriptSource().feed_url({"command": "a b"}) == "exec:a b"
    assert ScriptSource().title({"command": "/usr/bin/make-feed -x"}) == "make-feed"
