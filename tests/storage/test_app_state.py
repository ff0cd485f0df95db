"""Application state in the database (schema 9): an old settings.json's state moves into an old database once,
through the library every front end opens; the settings file itself is left as it was."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from app.cli import run
from app.config import Key, Paths, Settings
from app.library import Library
from app.storage import SCHEMA_VERSION, open_store
from app.storage.ai_rules import FeedRules
from app.storage.app_state import SETTINGS_STATE_ADOPTED, TOLD_ABOUT_TRAY
from app.storage.db import connect
from app.storage.migrations import migrate, schema_version

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
OLD_DB = FIXTURES / "databases" / "v6-2843481.sqlite3"  # written by commit 2843481 (schema 6)
OLD_SETTINGS = FIXTURES / "settings" / "settings-2843481.json"  # written by that commit's Settings.save


def old_data_dir(tmp_path: Path) -> Paths:
    paths = Paths(tmp_path / "data").ensure()
    shutil.copyfile(OLD_DB, paths.db_path)
    shutil.copyfile(OLD_SETTINGS, paths.settings_path)
    return paths


def test_the_fixtures_are_what_an_old_hearth_wrote() -> None:
    old = json.loads(OLD_SETTINGS.read_text(encoding="utf-8"))
    assert old["ui.told_about_tray"] is True and old["ai.auto_summary_feeds"] == "1,3,99"
    with sqlite3.connect(f"file:{OLD_DB}?mode=ro", uri=True) as conn:
        assert schema_version(conn) == 6
        assert [r[0] for r in conn.execute("SELECT id FROM feeds ORDER BY id")] == [1, 2, 3]


def test_an_old_settings_files_state_moves_into_an_old_database_once(tmp_path: Path) -> None:
    paths = old_data_dir(tmp_path)
    with sqlite3.connect(paths.db_path) as conn:  # feed 3 already translates (a rule the CLI set)
        conn.execute("INSERT INTO feed_ai_rules(feed_id, translate, language) VALUES (3, 1, 'fr')")
    conn.close()
    file_before = paths.settings_path.read_bytes()

    with Library(paths, vault=None) as library:
        store = library.store
        assert store.app_state(TOLD_ABOUT_TRAY) == "1"
        assert store.all_feed_rules() == {  # 99 is no feed any more: skipped
            1: FeedRules(1, summarize=True),
            3: FeedRules(3, summarize=True, translate=True, language="fr"),
        }
        assert library.settings.get(Key.FETCH_CONCURRENCY) == 4  # the preferences read as before
        assert library.settings.get(Key.UI_THEME) == "dark" and library.settings.get(Key.UI_HIDE_READ)
    assert paths.settings_path.read_bytes() == file_before  # an older Hearth can still read its file

    with open_store(paths.db_path) as store:  # the user turns feed 1's summaries off ...
        assert schema_version(store._conn) == SCHEMA_VERSION
        store.set_feed_rules(FeedRules(1))
    with Library(paths, vault=None) as library:  # ... and the old file's list does not bring them back
        assert set(library.store.all_feed_rules()) == {3}
        assert library.store.app_state(TOLD_ABOUT_TRAY) == "1"


def test_a_new_library_has_no_state_and_adopting_twice_moves_nothing(tmp_path: Path) -> None:
    paths = Paths(tmp_path / "fresh")
    with Library(paths, vault=None) as library:
        store = library.store
        assert store.app_state(TOLD_ABOUT_TRAY) is None and store.all_feed_rules() == {}
        assert store.app_state(SETTINGS_STATE_ADOPTED) == "1"
        late = Settings(values={"ui.told_about_tray": True})  # a settings file copied in later
        assert store.adopt_settings_state(late) is False and store.app_state(TOLD_ABOUT_TRAY) is None
        store.set_app_state(TOLD_ABOUT_TRAY, "1")
        assert store.app_state(TOLD_ABOUT_TRAY) == "1"


@pytest.mark.parametrize(
    ("told", "feeds", "expected_told", "expected_feeds"),
    [
        (False, "", None, set()),
        ("yes", " 2 , x,", "1", {2}),  # hand-edited: text for a bool, spaces and junk in the list
        (None, [1, "3"], None, {1, 3}),
    ],
)
def test_hand_edited_old_values(tmp_path: Path, told: object, feeds: object, expected_told: str | None,
                                expected_feeds: set[int]) -> None:  # fmt: skip
    paths = old_data_dir(tmp_path)
    old = {"ui.told_about_tray": told, "ai.auto_summary_feeds": feeds}
    paths.settings_path.write_text(json.dumps({k: v for k, v in old.items() if v is not None}), "utf-8")
    with Library(paths, vault=None) as library:
        assert library.store.app_state(TOLD_ABOUT_TRAY) == expected_told
        assert {i for i, r in library.store.all_feed_rules().items() if r.summarize} == expected_feeds


def test_the_app_state_table_arrives_with_schema_9_and_keeps_earlier_data(tmp_path: Path) -> None:
    conn = connect(tmp_path / "v8.sqlite3")
    migrate(conn, target=8)
    assert "app_state" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.execute("INSERT INTO feeds(id, url, created) VALUES (5, 'https://a.example/f', 0)")
    assert migrate(conn) == SCHEMA_VERSION >= 9
    assert conn.execute("SELECT count(*) FROM app_state").fetchone() == (0,)
    assert conn.execute("SELECT url FROM feeds").fetchall() == [("https://a.example/f",)]
    conn.close()


def test_state_keys_are_no_settings_any_more(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = old_data_dir(tmp_path)
    assert run(["--data-dir", str(paths.data_dir), "config", "list"]) == 0
    listed = capsys.readouterr().out
    assert "fetch.concurrency" in listed and "told_about_tray" not in listed
    assert "auto_summary_feeds" not in listed
    assert run(["--data-dir", str(paths.data_dir), "config", "set", "ui.told_about_tray", "on"]) == 1
    assert "unknown setting 'ui.told_about_tray'" in capsys.readouterr().err
