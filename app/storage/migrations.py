"""The schema as a forward-only list of migrations, keyed by `PRAGMA user_version`.

Never edit a released migration: add a new one. Each runs in its own `BEGIN IMMEDIATE ... COMMIT`,
and re-reads the version inside the transaction so two processes opening a new file at once are safe.
Old migrations stay in the list so tests can build a database as it was at any earlier version.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from app.errors import StorageError
from app.storage.text import index_text
from app.text import html_to_text

log = logging.getLogger(__name__)

Step = str | Callable[[sqlite3.Connection], None]


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    steps: tuple[Step, ...]


# Column order matters for `articles`: the small columns a list shows come first, the big HTML last,
# so listing rows never reads overflow pages.
_V1 = (
    """CREATE TABLE folders (
        id        INTEGER PRIMARY KEY,
        name      TEXT NOT NULL,
        parent_id INTEGER REFERENCES folders(id) ON DELETE SET NULL,
        position  INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX folders_parent ON folders(parent_id)",
    """CREATE TABLE feeds (
        id                 INTEGER PRIMARY KEY,
        url                TEXT NOT NULL,
        title              TEXT NOT NULL DEFAULT '',
        site_url           TEXT,
        icon_url           TEXT,
        kind               TEXT NOT NULL DEFAULT 'feed',
        params             TEXT NOT NULL DEFAULT '{}',
        folder_id          INTEGER REFERENCES folders(id) ON DELETE SET NULL,
        update_interval    INTEGER,
        user_agent         TEXT,
        extra_headers      TEXT NOT NULL DEFAULT '{}',
        enabled            INTEGER NOT NULL DEFAULT 1,
        retention_days     INTEGER,
        etag               TEXT,
        last_modified      TEXT,
        body_hash          TEXT,
        last_fetch         REAL,
        next_fetch         REAL,
        last_status        INTEGER,
        consecutive_errors INTEGER NOT NULL DEFAULT 0,
        last_error         TEXT,
        created            REAL NOT NULL,
        UNIQUE (url, kind, params)
    )""",
    "CREATE INDEX feeds_folder ON feeds(folder_id)",
    """CREATE TABLE articles (
        id           INTEGER PRIMARY KEY,
        feed_id      INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        sort_date    REAL NOT NULL,
        title        TEXT NOT NULL DEFAULT '',
        url          TEXT,
        author       TEXT,
        published    REAL,
        updated      REAL,
        first_seen   REAL NOT NULL,
        content_hash BLOB NOT NULL,
        guid         TEXT NOT NULL,
        enclosures   TEXT NOT NULL DEFAULT '[]',
        summary_html TEXT NOT NULL DEFAULT '',
        content_html TEXT NOT NULL DEFAULT '',
        UNIQUE (feed_id, guid)
    )""",
    "CREATE INDEX articles_feed_date ON articles(feed_id, sort_date)",
    "CREATE INDEX articles_date ON articles(sort_date)",
    # Statuses live apart from content (NetNewsWire style); feed_id is copied in (an article never
    # changes feed) so unread counts come from a small partial index without touching articles.
    """CREATE TABLE statuses (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        feed_id    INTEGER NOT NULL,
        read       INTEGER NOT NULL DEFAULT 0,
        starred    INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX statuses_unread ON statuses(feed_id) WHERE read = 0",
    "CREATE INDEX statuses_starred ON statuses(feed_id) WHERE starred = 1",
    """CREATE TRIGGER articles_status AFTER INSERT ON articles BEGIN
        INSERT INTO statuses(article_id, feed_id) VALUES (new.id, new.feed_id);
    END""",
    # Full-text search: article_search holds exactly the text that was indexed (tags stripped, CJK
    # characters spaced apart), and is the external content of the FTS5 table; triggers keep the two
    # in step inside whatever transaction touches article_search.
    """CREATE TABLE article_search (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        title      TEXT NOT NULL,
        body       TEXT NOT NULL
    )""",
    """CREATE VIRTUAL TABLE article_fts USING fts5(
        title, body, content='article_search', content_rowid='article_id',
        tokenize='unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER article_search_ai AFTER INSERT ON article_search BEGIN
        INSERT INTO article_fts(rowid, title, body) VALUES (new.article_id, new.title, new.body);
    END""",
    """CREATE TRIGGER article_search_ad AFTER DELETE ON article_search BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, body)
        VALUES ('delete', old.article_id, old.title, old.body);
    END""",
    """CREATE TRIGGER article_search_au AFTER UPDATE ON article_search BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, body)
        VALUES ('delete', old.article_id, old.title, old.body);
        INSERT INTO article_fts(rowid, title, body) VALUES (new.article_id, new.title, new.body);
    END""",
)

_V2 = (
    """CREATE TABLE summaries (
        article_id     INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        model_id       TEXT NOT NULL,
        prompt_version TEXT NOT NULL,
        text           TEXT NOT NULL,
        created        REAL NOT NULL,
        PRIMARY KEY (article_id, model_id, prompt_version)
    )""",
    """CREATE TABLE site_state (
        site               TEXT PRIMARY KEY,
        cooldown_until     REAL,
        cooldown_level     INTEGER NOT NULL DEFAULT 0,
        last_request       REAL,
        requests_this_hour INTEGER NOT NULL DEFAULT 0,
        hour_started       REAL,
        last_error         TEXT
    )""",
)

# Retention deletes read articles; a feed that still lists one would bring it back as unread.
# A tombstone per dropped guid stops that (tombstones themselves expire after a year).
_V3 = (
    """CREATE TABLE article_tombstones (
        feed_id    INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        guid       TEXT NOT NULL,
        dropped_at REAL NOT NULL,
        PRIMARY KEY (feed_id, guid)
    ) WITHOUT ROWID""",
    "CREATE INDEX article_tombstones_dropped ON article_tombstones(dropped_at)",
)

# Unread and starred lists are the most used views: with the article's date copied into statuses
# (kept in step by triggers), they come straight from partial indexes in display order.
_V4 = (
    "ALTER TABLE statuses ADD COLUMN sort_date REAL NOT NULL DEFAULT 0",
    "UPDATE statuses SET sort_date = (SELECT a.sort_date FROM articles a WHERE a.id = statuses.article_id)",
    "DROP TRIGGER articles_status",
    """CREATE TRIGGER articles_status AFTER INSERT ON articles BEGIN
        INSERT INTO statuses(article_id, feed_id, sort_date) VALUES (new.id, new.feed_id, new.sort_date);
    END""",
    """CREATE TRIGGER articles_status_date AFTER UPDATE OF sort_date ON articles BEGIN
        UPDATE statuses SET sort_date = new.sort_date WHERE article_id = new.id;
    END""",
    "DROP INDEX statuses_unread",
    "DROP INDEX statuses_starred",
    # the flag is repeated as a column so SQLite sees the indexes as covering (and it is constant)
    "CREATE INDEX statuses_unread ON statuses(feed_id, read, sort_date) WHERE read = 0",
    "CREATE INDEX statuses_unread_date ON statuses(read, sort_date, feed_id) WHERE read = 0",
    "CREATE INDEX statuses_starred ON statuses(starred, sort_date) WHERE starred = 1",
)

# AI results beside summaries: translations (an article's title or body, per language, model and prompt
# version), which AI rules run on each feed's new articles, and cached digests/briefings.
_V5 = (
    """CREATE TABLE translations (
        article_id     INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        part           TEXT NOT NULL CHECK (part IN ('title', 'body')),
        language       TEXT NOT NULL,
        model_id       TEXT NOT NULL,
        prompt_version TEXT NOT NULL,
        text           TEXT NOT NULL,
        created        REAL NOT NULL,
        PRIMARY KEY (article_id, part, language, model_id, prompt_version)
    )""",
    """CREATE TABLE feed_ai_rules (
        feed_id   INTEGER PRIMARY KEY REFERENCES feeds(id) ON DELETE CASCADE,
        summarize INTEGER NOT NULL DEFAULT 0,
        translate INTEGER NOT NULL DEFAULT 0,
        language  TEXT NOT NULL DEFAULT ''
    )""",
    """CREATE TABLE digests (
        key            TEXT NOT NULL,
        model_id       TEXT NOT NULL,
        prompt_version TEXT NOT NULL,
        scope          TEXT NOT NULL,
        article_ids    TEXT NOT NULL,
        text           TEXT NOT NULL,
        created        REAL NOT NULL,
        PRIMARY KEY (key, model_id, prompt_version)
    )""",
    "CREATE INDEX digests_scope ON digests(scope, created)",
)

# Full text for teaser feeds: a feed's choice (auto follows `teaser`, what detection last saw) and
# one row per article whose page was fetched, so a page is tried once, and a failure is kept.
_V6 = (
    """CREATE TABLE feed_full_text (
        feed_id INTEGER PRIMARY KEY REFERENCES feeds(id) ON DELETE CASCADE,
        mode    TEXT NOT NULL DEFAULT 'auto' CHECK (mode IN ('auto', 'on', 'off')),
        teaser  INTEGER
    )""",
    """CREATE TABLE article_full_text (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        fetched_at REAL NOT NULL,
        status     INTEGER,
        error      TEXT
    )""",
)


def _reindex_search_text(conn: sqlite3.Connection) -> None:
    """Every article's indexed body again, with the one `html_to_text` (until v6 the index had its own,
    which ran table cells together and dropped images' alt text): old databases then match new ones."""
    last = 0
    while batch := conn.execute(  # a page at a time by id: no cursor stays open over rows being updated
        "SELECT s.article_id, s.body, CASE WHEN a.content_html = '' THEN a.summary_html ELSE a.content_html END "
        "FROM article_search s JOIN articles a ON a.id = s.article_id WHERE s.article_id > ? "
        "ORDER BY s.article_id LIMIT 500",
        (last,),
    ).fetchall():
        last = batch[-1][0]
        changed = [
            (body, article_id)
            for article_id, old, html in batch
            if (body := index_text(html_to_text(html))) != old
        ]
        conn.executemany("UPDATE article_search SET body = ? WHERE article_id = ?", changed)


_V7 = (_reindex_search_text,)

# Full text again for an item edited upstream (the item digest its page was fetched for), and busy
# (429/503) pages retried at a later refresh (how many busy replies so far, and not before when).
_V8 = (
    "ALTER TABLE article_full_text ADD COLUMN item_hash BLOB",
    "ALTER TABLE article_full_text ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE article_full_text ADD COLUMN retry_at REAL",
    "UPDATE article_full_text SET item_hash = "
    "(SELECT a.content_hash FROM articles a WHERE a.id = article_full_text.article_id)",
)

# Application state (a hint shown once) out of settings.json; app_state.adopt_settings_state moves old values.
_V9 = ("CREATE TABLE app_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "folders, feeds, articles, statuses, full-text search", _V1),
    Migration(2, "AI summaries and per-site politeness state", _V2),
    Migration(3, "tombstones for articles dropped by retention", _V3),
    Migration(4, "article dates in statuses, for fast unread and starred lists", _V4),
    Migration(5, "AI translations, per-feed AI rules and cached digests", _V5),
    Migration(6, "full text for teaser feeds: the per-feed choice and each article's attempt", _V6),
    Migration(7, "the search index rebuilt from the one plain-text form of an article", _V7),
    Migration(8, "full text: the item version each page was fetched for, and busy pages' retries", _V8),
    Migration(9, "application state that is no user preference, out of settings.json", _V9),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int | None = None) -> int:
    """Bring the database up to `target` (default: the newest version); returns the version reached."""
    target = SCHEMA_VERSION if target is None else target
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise StorageError(
            f"the database is at schema version {current}, newer than this Hearth knows ({SCHEMA_VERSION})",
            hint="upgrade Hearth, or point --data-dir at another folder",
        )
    for migration in MIGRATIONS:
        if current < migration.version <= target:
            current = _apply(conn, migration)
    return current


def _apply(conn: sqlite3.Connection, migration: Migration) -> int:
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = schema_version(conn)
        if current >= migration.version:  # another process got here first
            conn.execute("ROLLBACK")
            return current
        for step in migration.steps:
            if isinstance(step, str):
                conn.execute(step)
            else:
                step(conn)
        conn.execute(f"PRAGMA user_version = {int(migration.version)}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    log.info("database migrated to version %d (%s)", migration.version, migration.description)
    return migration.version
