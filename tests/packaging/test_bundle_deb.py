"""The real build: PyInstaller bundle (no torch), tarball and .deb; `dpkg -i`, run, `dpkg -r`.

Slow (a few minutes), and `dpkg -i` needs root, so it runs only with HEARTH_TEST_PACKAGING=1 (.ci/run
sets it, and CI runs as root). With it set, every failure is a failure, never a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from app.ui.pyside_signatures import binary_stamp
from tests.fetching.test_full_text import HTML, article_page, teaser_feed
from tests.support.http import LocalServer, Reply

ROOT = Path(__file__).resolve().parents[2]
ENABLED = os.environ.get("HEARTH_TEST_PACKAGING") == "1"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1800),
    pytest.mark.skipif(
        not ENABLED, reason="set HEARTH_TEST_PACKAGING=1 to build and install the .deb (slow, root)"
    ),
]
FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Packaged Feed</title><link>http://example.invalid/</link>
<description>d</description><item><title>First packaged item</title><link>http://example.invalid/1</link>
<guid>pkg-1</guid><description>hello from the bundle test</description></item></channel></rss>
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not sys.platform.startswith("linux") or shutil.which("dpkg-deb") is None:
        pytest.fail("HEARTH_TEST_PACKAGING=1 needs Linux with dpkg-deb")
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "packaging" / "build.py"),
            "--deb",
            "--tarball",
            "--fast",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "desktop-file-validate: ok" in proc.stdout and "appstreamcli: ok" in proc.stdout
    return out


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "HEARTH_", "XDG_"))}
    env.update(
        HOME=str(home), QT_QPA_PLATFORM="offscreen", QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox", **extra
    )
    return env


def _tree(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.lstat().st_size for p in folder.rglob("*")}


def test_the_bundle_carries_resources_kernels_and_qt_but_not_torch(built: Path) -> None:
    internal = built / "bundle" / "hearth" / "_internal"
    assert (built / "bundle" / "hearth" / "hearth").is_file()
    assert (internal / "app" / "resources" / "icons" / "hearth.svg").is_file()
    assert (internal / "app" / "resources" / "rwkv_vocab_v20230424.txt").is_file()
    assert (
        internal / "app" / "locale" / "zh_CN" / "LC_MESSAGES" / "hearth.mo"
    ).is_file()  # compiled at build time
    assert list((internal / "PySide6" / "Qt" / "plugins" / "platforms").glob("libqxcb*"))
    assert list((internal / "PySide6" / "Qt" / "libexec").glob("QtWebEngineProcess*"))
    assert not (internal / "torch").exists()
    if "--prebuild" in (ROOT / "app" / "ai" / "native_build.py").read_text(encoding="utf-8"):
        assert list((internal / "app" / "ai" / "native" / "prebuilt").glob("*.so"))
    support = internal / "shiboken6" / "files.dir"  # PySide6's support modules as bytecode, written at build
    assert (support / ".hearth-stamp").read_text() == binary_stamp(internal / "shiboken6")
    assert list((support / "shibokensupport" / "signature" / "__pycache__").glob("loader.*.pyc"))
    links = [p for p in internal.rglob("*") if p.is_symlink() and not p.exists()]
    assert links == []
    tarball = next(built.glob("hearth-*-linux-*.tar.gz"))
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
    top = tarball.name.removesuffix(".tar.gz")
    assert f"{top}/hearth/hearth" in names and f"{top}/share/applications/org.hearth.Hearth.desktop" in names


def test_the_deb_installs_runs_offscreen_adds_a_feed_and_removes_cleanly(built: Path, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.fail("HEARTH_TEST_PACKAGING=1 installs the .deb and needs root")
    deb = next(built.glob("hearth_*.deb"))
    info = subprocess.run(
        ["dpkg-deb", "--field", str(deb), "Package", "Depends"], capture_output=True, text=True
    )
    assert info.returncode == 0 and info.stdout.startswith("Package: hearth"), info.stderr
    installed = subprocess.run(["dpkg", "-i", str(deb)], capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    try:
        _check_installed(tmp_path)
    finally:
        removed = subprocess.run(["dpkg", "-r", "hearth"], capture_output=True, text=True, timeout=600)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert not Path("/opt/hearth").exists(), "dpkg -r left files in /opt/hearth (did the app write there?)"
    assert not Path("/usr/bin/hearth").exists()
    assert not Path("/usr/share/applications/org.hearth.Hearth.desktop").exists()


def _check_installed(tmp_path: Path) -> None:
    for path in (
        "/usr/share/applications/org.hearth.Hearth.desktop",
        "/usr/share/metainfo/org.hearth.Hearth.metainfo.xml",
        "/usr/share/icons/hicolor/scalable/apps/org.hearth.Hearth.svg",
        "/usr/share/icons/hicolor/48x48/apps/org.hearth.Hearth.png",
        "/usr/share/icons/hicolor/256x256/apps/org.hearth.Hearth.png",
    ):
        assert Path(path).is_file(), path
    assert os.path.realpath("/usr/bin/hearth") == "/opt/hearth/hearth"
    before = _tree(Path("/opt/hearth"))
    data = tmp_path / "data"
    window = subprocess.run(
        ["/usr/bin/hearth", "--data-dir", str(data)],
        env=_env(tmp_path, HEARTH_BENCH_EXIT_AFTER_PAINT="0"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert window.returncode == 0, window.stderr[-3000:]
    events = [json.loads(line) for line in window.stdout.splitlines() if line.startswith("{")]
    assert [e["event"] for e in events] == ["first_paint", "idle"], window.stdout
    assert events[0]["pyside_support_files"]  # the bundle's shiboken6 read them from files.dir
    with LocalServer() as server:
        server.route("/feed.xml", Reply(200, body=FEED, headers={"Content-Type": "application/rss+xml"}))
        added = subprocess.run(
            ["/usr/bin/hearth", "--data-dir", str(data), "add", server.url("/feed.xml")],
            env=_env(tmp_path),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert added.returncode == 0, added.stdout + added.stderr
        # full text for teaser feeds works from the bundle (trafilatura and its data files are in it)
        base = server.url("").rstrip("/")
        server.route(
            "/teasers.xml", Reply(200, teaser_feed(base, 2), {"Content-Type": "application/rss+xml"})
        )
        for i in range(2):
            server.route(f"/a/{i}", Reply(200, article_page(i), HTML))
        teasers = subprocess.run(
            ["/usr/bin/hearth", "--data-dir", str(data), "add", server.url("/teasers.xml"), "--full-text"],
            env=_env(tmp_path),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert teasers.returncode == 0, teasers.stdout + teasers.stderr
        assert len(server.requests_to("/a/0")) == 1, teasers.stderr
    shown = subprocess.run(
        ["/usr/bin/hearth", "--data-dir", str(data), "search", "harbour"],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert shown.returncode == 0 and "Story 0" in shown.stdout, shown.stdout + shown.stderr
    listed = subprocess.run(
        ["/usr/bin/hearth", "--data-dir", str(data), "list"],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert listed.returncode == 0 and "Packaged Feed" in listed.stdout, listed.stdout + listed.stderr
    chinese = subprocess.run(
        ["/usr/bin/hearth", "--help"],
        env={**_env(tmp_path), "LANGUAGE": "zh_CN", "LANG": "zh_CN.UTF-8"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert chinese.returncode == 0 and "订阅" in chinese.stdout, chinese.stdout + chinese.stderr
    no_display = subprocess.run(
        ["/usr/bin/hearth", "--data-dir", str(data)],
        env={
            k: v
            for k, v in _env(tmp_path).items()
            if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert no_display.returncode == 1 and "$DISPLAY" in no_display.stderr, no_display.stderr
    assert _tree(Path("/opt/hearth")) == before, "the bundle wrote next to itself"
    assert (data / "hearth.sqlite3").exists()
