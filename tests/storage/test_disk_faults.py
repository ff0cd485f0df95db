"""A full disk and a read-only data folder: a clear typed error, nothing half-written, nothing lost.

The full disk is SQLite's own SQLITE_FULL, first with the database's page limit (runs everywhere), then
for real on a 2 MB tmpfs, and the read-only folder a real read-only remount of it; those run in a
private mount namespace (`unshare -rm`, no privileges needed) and skip where the kernel forbids that.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.errors import StorageError
from app.models import ArticleQuery
from app.storage import Store
from tests.storage.conftest import make_item
from tests.storage.faulty_disk import items

ROOT = Path(__file__).resolve().parents[2]


def test_a_full_database_refuses_the_whole_batch_and_keeps_everything_before(
    store: Store, db_path: Path
) -> None:
    feed = store.add_feed("https://a.example/feed")
    before = store.upsert_articles(feed.id, [make_item(i) for i in range(5)]).new_ids
    store.mark_read(before[:2])
    store.star(before[2:3])
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # what a disk with two pages left does
    with pytest.raises(StorageError, match="the disk is full") as err:
        store.upsert_articles(feed.id, items(7, count=50))
    assert "free some space" in err.value.hint and "Traceback" not in err.value.user_message()
    assert store.count_articles(ArticleQuery()) == 5  # none of the 50: one transaction per batch
    assert {r.id for r in store.list_articles(ArticleQuery(smart="unread"))} == set(before[2:])
    assert [r.id for r in store.list_articles(ArticleQuery(smart="starred"))] == list(before[2:3])
    check = sqlite3.connect(db_path)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.close()
    store._conn.execute("PRAGMA max_page_count = 1073741823")  # space freed: the same write now works
    assert len(store.upsert_articles(feed.id, items(7, count=50)).new_ids) == 50


def _unshare_or_skip(tmp_path: Path) -> dict:
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("needs util-linux unshare for a private tmpfs (apt-get install util-linux)")
    probe = subprocess.run([unshare, "-rm", "true"], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip(f"this kernel refuses unprivileged mount namespaces: {probe.stderr.strip()}")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        [unshare, "-rm", sys.executable, "-m", "tests.storage.faulty_disk", str(mount)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_real_full_disk_and_a_read_only_data_folder(tmp_path: Path) -> None:
    seen = _unshare_or_skip(tmp_path)
    # the disk filled up mid-refresh: a clear message, and the database holds exactly what committed
    assert str(seen["full_message"]).startswith("the disk is full")
    assert seen["committed"] > 5 and seen["after_full_count"] == seen["committed"]
    assert seen["integrity"] == "ok" and seen["read"] == [1, 2] and seen["starred"] == [3]
    # the same folder read-only: reading works, a write says the folder is read-only
    if "ro_open_message" in seen:
        assert "read-only" in str(seen["ro_open_message"])
    else:
        assert seen["ro_count"] == seen["committed"]
        assert "read-only" in str(seen["ro_message"])
    cli = seen["cli"]
    assert cli["rc"] == 1 and cli["stderr"].startswith("hearth: ") and "Traceback" not in cli["stderr"]
    assert "Read-only file system" in cli["stderr"] or "read-only" in cli["stderr"]
