"""Model downloads against a real loopback server: resume after an interruption, verify, cancel."""

from __future__ import annotations

import hashlib
import os
import re
import threading
from pathlib import Path

import pytest

from app.ai.catalog import fits, load_catalog
from app.ai.download import download_file, part_path
from app.errors import DownloadCancelled, DownloadError
from tests.support.http import LocalServer, Reply, Request

BLOB = os.urandom(3 * 1024 * 1024 + 123)
SHA = hashlib.sha256(BLOB).hexdigest()


def ranged(blob: bytes, *, cut_first_at: int | None = None, sha: str | None = None):
    """A route serving `blob` with Range support; the first full GET dies after `cut_first_at` bytes."""
    state = {"first": True}

    def route(req: Request) -> Reply:
        headers = {"Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"}
        if sha:
            headers["X-Linked-ETag"] = f'"{sha}"'
        m = re.match(r"bytes=(\d+)-", req.headers.get("range", ""))
        if m:
            start = int(m.group(1))
            if start >= len(blob):
                return Reply(416, headers={"Content-Range": f"bytes */{len(blob)}"})
            headers["Content-Range"] = f"bytes {start}-{len(blob) - 1}/{len(blob)}"
            return Reply(206, body=blob[start:], headers=headers)
        if state["first"] and cut_first_at is not None:
            state["first"] = False
            # Promise the whole body, send part of it, then the connection closes.
            headers["Content-Length"] = str(len(blob))
            headers["Connection"] = "close"
            return Reply(200, body=blob[:cut_first_at], headers=headers)
        return Reply(200, body=blob, headers=headers)

    return route


def test_resumes_an_interrupted_download_and_verifies(server: LocalServer, tmp_path: Path) -> None:
    server.route("/m.pth", ranged(BLOB, cut_first_at=1_000_000, sha=SHA))
    dest = tmp_path / "models" / "m.pth"
    with pytest.raises(DownloadError, match="interrupted"):
        download_file(server.url("/m.pth"), dest, expected_size=len(BLOB), timeout=5)
    assert not dest.exists()
    assert part_path(dest).stat().st_size == 1_000_000
    seen: list[tuple[int, int | None]] = []
    download_file(
        server.url("/m.pth"), dest, expected_size=len(BLOB), progress=lambda d, t: seen.append((d, t))
    )
    assert dest.read_bytes() == BLOB
    assert not part_path(dest).exists()
    assert server.requests[-1].headers["range"] == "bytes=1000000-"
    assert seen[0] == (1_000_000, len(BLOB)) and seen[-1] == (len(BLOB), len(BLOB))


def test_checksum_mismatch_removes_the_file(server: LocalServer, tmp_path: Path) -> None:
    server.route("/m.pth", ranged(BLOB))
    dest = tmp_path / "m.pth"
    with pytest.raises(DownloadError, match="checksum"):
        download_file(server.url("/m.pth"), dest, sha256="0" * 64)
    assert not dest.exists() and not part_path(dest).exists()
    download_file(server.url("/m.pth"), dest, sha256=SHA)
    assert dest.read_bytes() == BLOB


def test_server_published_checksum_is_checked(server: LocalServer, tmp_path: Path) -> None:
    server.route("/m.pth", ranged(BLOB, sha="1" * 64))
    with pytest.raises(DownloadError, match="checksum"):
        download_file(server.url("/m.pth"), tmp_path / "m.pth")


def test_wrong_size_and_http_errors_are_clear(server: LocalServer, tmp_path: Path) -> None:
    server.route("/m.pth", ranged(BLOB))
    with pytest.raises(DownloadError, match="should be"):
        download_file(server.url("/m.pth"), tmp_path / "m.pth", expected_size=len(BLOB) + 1)
    with pytest.raises(DownloadError, match="answered 404"):
        download_file(server.url("/missing.pth"), tmp_path / "x.pth")


def test_cancel_keeps_the_partial_file_for_resume(server: LocalServer, tmp_path: Path) -> None:
    server.route("/m.pth", ranged(BLOB))
    cancel = threading.Event()

    def progress(done: int, total: int | None) -> None:
        if done >= 1 << 20:
            cancel.set()

    dest = tmp_path / "m.pth"
    with pytest.raises(DownloadCancelled):
        download_file(server.url("/m.pth"), dest, progress=progress, cancel=cancel)
    kept = part_path(dest).stat().st_size
    assert 0 < kept < len(BLOB)
    download_file(server.url("/m.pth"), dest, sha256=SHA)
    assert dest.read_bytes() == BLOB


def test_catalog_lists_official_models_and_what_fits() -> None:
    models = load_catalog()
    ids = {m.id for m in models}
    assert {"rwkv7-g1-0.1b", "rwkv7-g1-0.4b", "rwkv7-g1-1.5b", "rwkv7-g1-2.9b", "rwkv7-g0-7.2b"} <= ids
    small = next(m for m in models if m.id == "rwkv7-g1-0.1b")
    big = next(m for m in models if m.id == "rwkv7-g0-7.2b")
    assert small.url("http://127.0.0.1:1").endswith("/BlinkDL/rwkv7-g1/resolve/main/" + small.filename)
    assert fits(small, ram=8 << 30) == "cpu"
    assert fits(big, ram=8 << 30) == ""
    assert fits(big, ram=8 << 30, vram=24 << 30) == "gpu"
