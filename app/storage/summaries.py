"""Small keyed records: AI summaries per (article, model, prompt version), translations per (article, part,
language, model, prompt version), and per-site politeness state."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.errors import NotFoundError, StorageError
from app.models import SiteState, Summary
from app.storage.db import StoreBase, from_ts, to_ts

TRANSLATION_PARTS = ("title", "body")


@dataclass(frozen=True, slots=True)
class Translation:
    """An article's title or body (HTML) in another language, as one model and prompt version wrote it."""

    article_id: int
    part: str  # "title" or "body"
    language: str
    model_id: str
    prompt_version: str
    text: str
    created: datetime


@dataclass(frozen=True, slots=True)
class StoredDigest:
    """A digest or briefing as written once: its key says which articles (and scope) it covered."""

    key: str
    model_id: str
    prompt_version: str
    scope: str
    article_ids: tuple[int, ...]
    text: str
    created: datetime


class SummaryStore(StoreBase):
    def save_summary(self, summary: Summary) -> None:
        """Store a summary, replacing one for the same article, model and prompt version."""
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM articles WHERE id = ?", (summary.article_id,)).fetchone() is None:
                raise NotFoundError(f"no article with id {summary.article_id}")
            conn.execute(
                "INSERT OR REPLACE INTO summaries(article_id, model_id, prompt_version, text, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    summary.article_id,
                    summary.model_id,
                    summary.prompt_version,
                    summary.text,
                    to_ts(summary.created),
                ),
            )

    def get_summary(self, article_id: int, model_id: str, prompt_version: str) -> Summary | None:
        row = self._conn.execute(
            "SELECT text, created FROM summaries WHERE article_id = ? AND model_id = ? AND prompt_version = ?",
            (article_id, model_id, prompt_version),
        ).fetchone()
        if row is None:
            return None
        created = from_ts(row[1])
        assert created is not None  # the column is NOT NULL
        return Summary(article_id, model_id, prompt_version, row[0], created)

    def latest_summaries(self, article_ids: Sequence[int]) -> dict[int, Summary]:
        """The newest summary of each of these articles (any model or prompt version), for exports."""
        found: dict[int, Summary] = {}
        ids = list(dict.fromkeys(article_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT article_id, model_id, prompt_version, text, created FROM summaries "
                f"WHERE article_id IN ({marks}) ORDER BY created",
                chunk,
            )
            for article_id, model_id, version, text, created in rows:
                when = from_ts(created)
                assert when is not None  # the column is NOT NULL
                found[article_id] = Summary(article_id, model_id, version, text, when)
        return found

    def save_translation(self, translation: Translation) -> None:
        """Store a translation, replacing one with the same key."""
        if translation.part not in TRANSLATION_PARTS:
            raise StorageError(f"unknown translation part {translation.part!r}", hint="title or body")
        t = translation
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM articles WHERE id = ?", (t.article_id,)).fetchone() is None:
                raise NotFoundError(f"no article with id {t.article_id}")
            conn.execute(
                "INSERT OR REPLACE INTO translations(article_id, part, language, model_id, prompt_version, text, "
                "created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (t.article_id, t.part, t.language, t.model_id, t.prompt_version, t.text, to_ts(t.created)),
            )

    def get_translation(
        self, article_id: int, part: str, language: str, model_id: str, prompt_version: str
    ) -> Translation | None:
        row = self._conn.execute(
            "SELECT text, created FROM translations WHERE article_id = ? AND part = ? AND language = ? "
            "AND model_id = ? AND prompt_version = ?",
            (article_id, part, language, model_id, prompt_version),
        ).fetchone()
        if row is None:
            return None
        created = from_ts(row[1])
        assert created is not None  # the column is NOT NULL
        return Translation(article_id, part, language, model_id, prompt_version, row[0], created)

    def latest_translations(
        self, article_ids: Sequence[int], part: str = "body", language: str | None = None
    ) -> dict[int, Translation]:
        """The newest translation of each article's `part` (any model or prompt version; any language unless
        one is given), for exports, the feed server and list markers."""
        found: dict[int, Translation] = {}
        ids = list(dict.fromkeys(article_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            sql = (
                "SELECT article_id, language, model_id, prompt_version, text, created FROM translations "
                f"WHERE part = ? AND article_id IN ({marks})"
            )
            args: list[object] = [part, *chunk]
            if language is not None:
                sql += " AND language = ?"
                args.append(language)
            for article_id, lang, model_id, version, text, created in self._conn.execute(
                sql + " ORDER BY created", args
            ):
                when = from_ts(created)
                assert when is not None  # the column is NOT NULL
                found[article_id] = Translation(article_id, part, lang, model_id, version, text, when)
        return found

    def save_digest(self, digest: StoredDigest) -> None:
        d = digest
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO digests(key, model_id, prompt_version, scope, article_ids, text, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (d.key, d.model_id, d.prompt_version, d.scope, json.dumps(list(d.article_ids)), d.text,
                 to_ts(d.created)),
            )  # fmt: skip

    def get_digest(self, key: str, model_id: str, prompt_version: str) -> StoredDigest | None:
        row = self._conn.execute(
            "SELECT scope, article_ids, text, created FROM digests WHERE key = ? AND model_id = ? "
            "AND prompt_version = ?",
            (key, model_id, prompt_version),
        ).fetchone()
        return None if row is None else _digest(key, model_id, prompt_version, row)

    def latest_digest(self, scope: str) -> StoredDigest | None:
        """The newest digest or briefing written for `scope` (any model), e.g. to reopen this morning's briefing."""
        row = self._conn.execute(
            "SELECT key, model_id, prompt_version, scope, article_ids, text, created FROM digests "
            "WHERE scope = ? ORDER BY created DESC LIMIT 1",
            (scope,),
        ).fetchone()
        return None if row is None else _digest(row[0], row[1], row[2], row[3:])

    def get_site_state(self, site: str) -> SiteState | None:
        row = self._conn.execute(
            "SELECT site, cooldown_until, cooldown_level, last_request, requests_this_hour, hour_started, "
            "last_error FROM site_state WHERE site = ?",
            (site,),
        ).fetchone()
        if row is None:
            return None
        return SiteState(
            site=row[0],
            cooldown_until=from_ts(row[1]),
            cooldown_level=row[2],
            last_request=from_ts(row[3]),
            requests_this_hour=row[4],
            hour_started=from_ts(row[5]),
            last_error=row[6],
        )

    def save_site_state(self, state: SiteState) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO site_state(site, cooldown_until, cooldown_level, last_request, "
                "requests_this_hour, hour_started, last_error) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (state.site, to_ts(state.cooldown_until), state.cooldown_level, to_ts(state.last_request),
                 state.requests_this_hour, to_ts(state.hour_started), state.last_error),
            )  # fmt: skip


def _digest(key: str, model_id: str, version: str, row: Sequence[object]) -> StoredDigest:
    created = from_ts(row[3])  # type: ignore[arg-type]
    assert created is not None  # the column is NOT NULL
    ids = tuple(int(i) for i in json.loads(str(row[1])))
    return StoredDigest(key, model_id, version, str(row[0]), ids, str(row[2]), created)
