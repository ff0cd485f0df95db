"""app.files.replace_file: an export is whole or the old file stays."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.files import replace_file


def test_writes_a_new_file_with_the_umask_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.xml"
    old = os.umask(0o022)
    try:
        replace_file(target, b"<rss/>")
    finally:
        os.umask(old)
    assert target.read_bytes() == b"<rss/>"
    assert target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["out.xml"]  # no temporary file left


def test_replaces_keeping_the_old_mode(tmp_path: Path) -> None:
    target = tmp_path / "feeds.opml"
    target.write_bytes(b"old")
    target.chmod(0o600)
    replace_file(str(target), b"new")
    assert target.read_bytes() == b"new" and target.stat().st_mode & 0o777 == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "feeds.opml"
    target.write_bytes(b"old contents")
    with pytest.raises(TypeError):
        replace_file(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["feeds.opml"]


def test_a_missing_folder_is_an_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        replace_file(tmp_path / "nowhere" / "out.xml", b"x")
