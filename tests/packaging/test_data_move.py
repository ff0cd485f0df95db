"""The one-time move of Hearth 0.1's single data folder into the XDG config/data/cache folders.

Each test lays out a real old folder (a real SQLite library, settings, cache files) under a temporary
HOME and runs `python -m app list` in a subprocess, as a user would; the interrupted cases stop a real
move part-way (SIGKILL from inside the copy) or leave the half-states such a stop leaves.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import Paths
from app.data_move import MARKER, STAGING_PREFIX, move_legacy_data

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG folders are Linux's")


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "HEARTH_"))}
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    return env


def _old_folder(home: Path) -> Path:
    """What Hearth 0.1 left: everything in ~/.local/share/Hearth."""
    old = home / ".local" / "share" / "Hearth"
    (old / "cache" / "states").mkdir(parents=True)
    (old / "cache" / "resources" / "ab").mkdir(parents=True)
    (old / "models").mkdir()
    with sqlite3.connect(old / "hearth.sqlite3") as db:
        db.execute("CREATE TABLE keep (v TEXT)")
        db.execute("INSERT INTO keep VALUES ('my library')")
    db.close()
    (old / "settings.json").write_text('{"fetch.concurrency": 3}', encoding="utf-8")
    (old / "window.ini").write_text("[window]\n", encoding="utf-8")
    (old / "models" / "model.pth").write_bytes(b"\x00" * 4096)
    (old / "cache" / "states" / "s1.pt").write_bytes(b"state")
    (old / "cache" / "resources" / "ab" / "img").write_bytes(b"png")
    for i in range(20):
        (old / "models" / f"extra-{i:02d}.bin").write_bytes(bytes([i]) * 100)
    return old


def _paths(home: Path) -> Paths:
    return Paths(
        home / ".local" / "share" / "hearth",
        config_dir=home / ".config" / "hearth",
        cache_dir=home / ".cache" / "hearth",
    )


def _assert_moved(home: Path) -> None:
    paths = _paths(home)
    with sqlite3.connect(paths.db_path) as db:
        assert db.execute("SELECT v FROM keep").fetchall() == [("my library",)]
    db.close()
    assert paths.settings_path.read_text(encoding="utf-8") == '{"fetch.concurrency": 3}'
    assert (paths.data_dir / "window.ini").exists() and not (paths.data_dir / "settings.json").exists()
    assert (paths.models_dir / "model.pth").stat().st_size == 4096
    assert sorted(p.name for p in paths.models_dir.iterdir()) == sorted(
        ["model.pth", *(f"extra-{i:02d}.bin" for i in range(20))]
    )
    assert (paths.states_dir / "s1.pt").read_bytes() == b"state"
    assert (paths.cache_dir / "resources" / "ab" / "img").read_bytes() == b"png"
    assert not (paths.data_dir / "cache").exists() and not (paths.data_dir / MARKER).exists()
    assert not (home / ".local" / "share" / "Hearth").exists()
    assert not list((home / ".local" / "share").glob(f"{STAGING_PREFIX}*"))


def _hearth(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=_env(home),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_old_folder_moves_once_into_config_data_and_cache(tmp_path: Path) -> None:
    _old_folder(tmp_path)
    first = _hearth(tmp_path, "config", "get", "fetch.concurrency")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "3"  # the moved settings are the ones read
    _assert_moved(tmp_path)
    again = _hearth(tmp_path, "list")
    assert again.returncode == 0, again.stderr
    _assert_moved(tmp_path)


def test_a_move_killed_during_the_copy_loses_nothing_and_the_next_start_finishes(tmp_path: Path) -> None:
    old = _old_folder(tmp_path)
    killer = (
        "import os, signal, sys\n"
        "import app.data_move as m\n"
        "from app.config import Paths\n"
        "real, count = m.copy_file, [0]\n"
        "def copy_then_die(src, dst):\n"
        "    count[0] += 1\n"
        "    if count[0] == 7:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    real(src, dst)\n"
        "m.copy_file = copy_then_die\n"
        "from pathlib import Path\n"
        "home = Path(sys.argv[1])\n"
        "m.move_legacy_data(Paths(home / '.local/share/hearth', config_dir=home / '.config/hearth',"
        " cache_dir=home / '.cache/hearth'), home / '.local/share/Hearth')\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", killer, str(tmp_path)], env=_env(tmp_path), capture_output=True, timeout=120
    )
    assert killed.returncode == -signal.SIGKILL
    assert list((tmp_path / ".local" / "share").glob(f"{STAGING_PREFIX}*"))  # it did stop half-way
    assert not _paths(tmp_path).data_dir.exists()  # ... before the commit
    assert (old / "hearth.sqlite3").exists() and len(list((old / "models").iterdir())) == 21
    after = _hearth(tmp_path, "list")
    assert after.returncode == 0, after.stderr
    _assert_moved(tmp_path)


def test_a_move_stopped_after_the_commit_is_finished_by_the_next_start(tmp_path: Path) -> None:
    old = _old_folder(tmp_path)
    paths = _paths(tmp_path)
    # the state after the rename that commits the copy: the new folder whole, marked, nothing split yet
    import app.data_move as data_move

    data_move._commit_copy(old, paths.data_dir)
    assert (paths.data_dir / MARKER).exists() and (paths.data_dir / "settings.json").exists()
    # ... and a split stopped half-way: the states folder already in the cache, the old folder still there
    paths.cache_dir.mkdir(parents=True)
    os.rename(paths.data_dir / "cache" / "states", paths.states_dir)
    after = _hearth(tmp_path, "list")
    assert after.returncode == 0, after.stderr
    _assert_moved(tmp_path)


def test_an_existing_new_folder_is_never_overwritten(tmp_path: Path) -> None:
    old = _old_folder(tmp_path)
    paths = _paths(tmp_path)
    paths.data_dir.mkdir(parents=True)
    (paths.data_dir / "hearth.sqlite3").write_bytes(b"")
    assert move_legacy_data(paths, old) is False
    assert (old / "hearth.sqlite3").stat().st_size > 0 and (
        paths.data_dir / "hearth.sqlite3"
    ).stat().st_size == 0


def test_data_dir_keeps_everything_in_one_folder_and_moves_nothing(tmp_path: Path) -> None:
    old = _old_folder(tmp_path)
    portable = tmp_path / "portable"
    result = _hearth(tmp_path, "--data-dir", str(portable), "config", "set", "fetch.concurrency", "5")
    assert result.returncode == 0, result.stderr
    assert (portable / "settings.json").exists() and not (tmp_path / ".config" / "hearth").exists()
    assert (old / "settings.json").read_text(encoding="utf-8") == '{"fetch.concurrency": 3}'
    assert not _paths(tmp_path).data_dir.exists()
