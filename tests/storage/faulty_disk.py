"""Run inside `unshare -rm` (a private mount namespace, no privileges needed): a real full disk and a
real read-only data folder under Hearth, on a tiny tmpfs. Prints one JSON object of observations.

    unshare -rm python3 -m tests.storage.faulty_disk DIR
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from app.errors import StorageError
from app.models import ArticleQuery, ParsedItem
from app.storage import open_store


def items(batch: int, count: int = 5) -> list[ParsedItem]:
    return [
        ParsedItem(
            guid=f"{batch}-{i}", url=None, title=f"batch {batch} item {i}", content_html="<p>x</p>" * 500
        )
        for i in range(count)
    ]


def main() -> None:
    mount = Path(sys.argv[1])
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=True)
    data = mount / "data"
    data.mkdir()
    db = data / "hearth.sqlite3"
    seen: dict[str, object] = {}
    store = open_store(db)
    feed = store.add_feed("https://a.example/feed")
    committed = 0
    try:
        for batch in range(10_000):
            store.upsert_articles(feed.id, items(batch))
            committed += 5
            if batch == 1:
                store.mark_read([1, 2])
                store.star([3])
    except StorageError as exc:
        seen["full_message"] = exc.user_message()
    seen["committed"] = committed
    seen["after_full_count"] = store.count_articles(ArticleQuery())
    store.close()
    conn = sqlite3.connect(db)
    seen["integrity"] = conn.execute("PRAGMA integrity_check").fetchone()[0]
    seen["read"] = sorted(r[0] for r in conn.execute("SELECT article_id FROM statuses WHERE read = 1"))
    seen["starred"] = sorted(r[0] for r in conn.execute("SELECT article_id FROM statuses WHERE starred = 1"))
    conn.close()

    subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
    try:
        store = open_store(db)
        seen["ro_count"] = store.count_articles(ArticleQuery())
        try:
            store.mark_read([4])
        except StorageError as exc:
            seen["ro_message"] = exc.user_message()
        store.close()
    except StorageError as exc:
        seen["ro_open_message"] = exc.user_message()
    cli = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(data), "mark-read", "5"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    seen["cli"] = {"rc": cli.returncode, "stderr": cli.stderr}
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
