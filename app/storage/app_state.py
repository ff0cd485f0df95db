"""What the app remembers that is no preference of the user's (a hint already shown): the `app_state` table,
and the one-time move of such state out of an old settings.json (schema 9)."""

from __future__ import annotations

import logging

from app.config import Settings
from app.storage.db import StoreBase

log = logging.getLogger(__name__)

TOLD_ABOUT_TRAY = "ui.told_about_tray"  # "1": the close-to-tray hint was shown once
SETTINGS_STATE_ADOPTED = "settings_state_adopted"  # "1": an old settings file's state was moved in
# The state keys Hearth kept in settings.json before schema 9 (the file keeps them; nothing reads them there).
OLD_TOLD_ABOUT_TRAY = "ui.told_about_tray"
OLD_AUTO_SUMMARY_FEEDS = "ai.auto_summary_feeds"  # feed ids, comma-separated: now each feed's summarise rule
_TRUE = {"1", "true", "yes", "on"}


class AppStateStore(StoreBase):
    def app_state(self, key: str) -> str | None:
        """The remembered value of `key` (None when nothing was remembered)."""
        row = self._conn.execute("SELECT value FROM app_state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_app_state(self, key: str, value: str) -> None:
        with self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO app_state(key, value) VALUES (?, ?)", (key, value))

    def adopt_settings_state(self, settings: Settings) -> bool:
        """Move the state an old settings file holds into the database, once per database: the tray hint's
        flag, and `ai.auto_summary_feeds` as each listed feed's summarise rule (its other rules kept; ids of
        feeds that are gone are skipped). Returns whether it moved anything this time."""
        if self.app_state(SETTINGS_STATE_ADOPTED) is not None:
            return False
        told = settings.raw(OLD_TOLD_ABOUT_TRAY)
        feed_ids = _feed_ids(settings.raw(OLD_AUTO_SUMMARY_FEEDS))
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM app_state WHERE key = ?", (SETTINGS_STATE_ADOPTED,)).fetchone():
                return False  # another process got here first
            if told is True or str(told).strip().lower() in _TRUE:
                conn.execute(
                    "INSERT OR REPLACE INTO app_state(key, value) VALUES (?, '1')", (TOLD_ABOUT_TRAY,)
                )
            existing = {row[0] for row in conn.execute("SELECT id FROM feeds")}
            conn.executemany(
                "INSERT INTO feed_ai_rules(feed_id, summarize) VALUES (?, 1) "
                "ON CONFLICT(feed_id) DO UPDATE SET summarize = 1",
                [(feed_id,) for feed_id in sorted(feed_ids & existing)],
            )
            conn.execute("INSERT INTO app_state(key, value) VALUES (?, '1')", (SETTINGS_STATE_ADOPTED,))
        moved = told is not None or bool(feed_ids)
        if moved:
            log.info(
                "moved the app's state out of %s (auto-summary feeds: %s)", settings.path, sorted(feed_ids)
            )
        return moved


def _feed_ids(value: object) -> set[int]:
    """`ai.auto_summary_feeds` as Hearth wrote it ("3,7"), or as a hand-edited file may have it ("3, 7", [3, 7])."""
    parts = value if isinstance(value, list) else str(value or "").split(",")
    return {int(str(part).strip()) for part in parts if str(part).strip().isdigit()}
