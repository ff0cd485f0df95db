"""The web reader draws in software and, on X11, loads no OpenGL driver into Hearth's process (Mesa's
llvmpipe with libLLVM was ~60 MB of the process tree with an article shown: tests/bench/bench_reader_memory.py).

Each case runs a real Hearth QApplication with a WebReader showing an article in a subprocess on its own
Xvfb display, and reads the process's own memory map after the page has drawn."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GL_DRIVERS = ("libGLX_mesa", "swrast_dri", "libLLVM", "libEGL_mesa")

CHILD = r"""
import json, os, sys
from datetime import UTC, datetime
from PySide6.QtCore import QTimer
from app.ui.application import make_application
from app.models import Article

app = make_application([])
from PySide6.QtQuick import QQuickWindow
from app.ui.web_reader import WebReader

now = datetime(2026, 6, 1, tzinfo=UTC)
article = Article(id=1, feed_id=1, guid="g", url="https://example.org/a", title="Drawn in software",
                  author="", published=now, updated=None, enclosures=(), first_seen=now,
                  content_html="<p>" + "Dark words on a light page. " * 40 + "</p><pre>code()</pre>",
                  summary_html="")
view = WebReader(None)
view.resize(640, 480)
view.show()
tries = [0]

def maps() -> str:
    with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
        return fh.read()

def drawn() -> bool:
    image = view.grab().toImage()
    return any(image.pixelColor(x, y).lightness() < 100
               for y in range(0, image.height(), 4) for x in range(0, image.width(), 4))

def report() -> None:
    tries[0] += 1
    ink = drawn()
    if not ink and tries[0] < 400:  # the page paints a little after it has loaded
        QTimer.singleShot(25, report)
        return
    mapped = maps()
    children = []
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as fh:
            children += fh.read().split()
    commands = []
    while children:
        pid = children.pop()
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                commands.append(fh.read().decode(errors="replace").split("\0"))
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    children += fh.read().split()
        except OSError:
            pass
    print(json.dumps({
        "unsandboxed_zygotes": sum("--no-zygote-sandbox" in c for c in commands),
        "web_processes": len(commands),
        "backend": QQuickWindow.sceneGraphBackend(),
        "drawn": ink,
        "gl": [lib for lib in GL_DRIVERS if lib in mapped],
        "xcb_env": os.environ.get("QT_XCB_GL_INTEGRATION"),
        "platform": app.platformName(),
    }), flush=True)
    app.quit()

GL_DRIVERS = json.loads(sys.argv[1])
view.page_loaded.connect(lambda ok: QTimer.singleShot(0, report))
view.show_article(article, "Feed")
app.exec()
"""


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    if shutil.which("Xvfb") is None:
        pytest.skip("needs Xvfb (apt-get install xvfb)")
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()  # written once the server accepts connections
    if not number:
        proc.kill()
        pytest.skip("Xvfb did not start")
    yield f":{number}"
    proc.terminate()
    proc.wait(20)


def run_reader(display: str, **env: str) -> dict:
    child_env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", **env)
    if env.get("QTWEBENGINE_CHROMIUM_FLAGS") == "":
        del child_env["QTWEBENGINE_CHROMIUM_FLAGS"]
    if "HEARTH_WEB_GPU" not in env:
        child_env.pop("HEARTH_WEB_GPU", None)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(GL_DRIVERS)],
        env=child_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no report (exit {done.returncode}): {done.stderr[-3000:]}"
    return json.loads(lines[-1])


def test_the_reader_draws_in_software_without_an_opengl_driver(display: str) -> None:
    got = run_reader(display)
    assert got["platform"] == "xcb"
    # Qt Quick's software renderer: QtWebEngine then turns Chromium's GPU compositing off itself
    assert got["backend"] == "software"
    assert got["drawn"], "the article never appeared on screen"
    assert got["gl"] == [], f"an OpenGL driver was loaded: {got['gl']}"
    assert got["xcb_env"] is None, (
        "QT_XCB_GL_INTEGRATION must not stay set (the browser Hearth opens inherits it)"
    )


@pytest.mark.parametrize("via", ["QTWEBENGINE_CHROMIUM_FLAGS", "arguments"])
def test_chromium_starts_no_unsandboxed_zygote(display: str, via: str) -> None:
    if via == "arguments":  # no flags variable: the switch travels after --webEngineArgs
        env = {"QTWEBENGINE_CHROMIUM_FLAGS": "", "QTWEBENGINE_DISABLE_SANDBOX": "1"}
    else:
        env = {"QTWEBENGINE_CHROMIUM_FLAGS": os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")}
    got = run_reader(display, **env)
    assert got["drawn"]
    assert got["web_processes"] >= 2  # the zygote and the renderer it forked
    assert got["unsandboxed_zygotes"] == 0


def test_hearth_web_gpu_keeps_qts_opengl_path(display: str) -> None:
    got = run_reader(display, HEARTH_WEB_GPU="1")
    assert got["backend"] == ""  # Qt's default (RHI on OpenGL)
    assert got["drawn"]
    if not got["gl"]:
        pytest.skip("no Mesa OpenGL driver on this machine to compare with")
    assert any(lib in got["gl"] for lib in ("libGLX_mesa", "libEGL_mesa"))


def test_the_switches_go_into_the_flags_variable_when_it_is_set() -> None:
    from app.ui.application import CHROMIUM_SWITCHES, webengine_arguments

    assert webengine_arguments({}) == ["--webEngineArgs", *CHROMIUM_SWITCHES]
    environ = {"QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox"}  # QtWebEngine then ignores the arguments
    assert webengine_arguments(environ) == []
    assert environ["QTWEBENGINE_CHROMIUM_FLAGS"].split() == [*CHROMIUM_SWITCHES, "--no-sandbox"]
    assert (
        webengine_arguments(environ) == []
        and environ["QTWEBENGINE_CHROMIUM_FLAGS"].split().count(CHROMIUM_SWITCHES[0]) == 1
    )  # not added twice
    assert "--no-sandbox" not in CHROMIUM_SWITCHES
