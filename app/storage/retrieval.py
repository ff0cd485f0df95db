"""Finding the articles that answer a question: FTS5 (bm25, title hits weigh more) over a scope (feed, folder,
starred, unread, everything, a date range), blended with recency, best first."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from datetime import datetime

from app.errors import HearthError
from app.storage.db import StoreBase
from app.storage.text import index_text

CANDIDATES = 60  # bm25's best, re-ranked with recency
RECENCY_HALF_LIFE_DAYS = 30.0
RECENCY_WEIGHT = 0.25  # of the blended score; relevance is the rest
_STOP_TEXT = (
    "a an and are as at be by can did do does for from had has have how i in is it its me my of on or so that the "
    "their them they this to was were what when where which who why will with you your about any there into"
)
_STOPWORDS = frozenset(_STOP_TEXT.split())
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\u3040-\u30ff\uac00-\ud7af]+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CJK_STOP = frozenset("的了是吗呢吧啊么什我你他她它们这那有在和与就都也")


@dataclass(frozen=True)
class Scope:
    """Where to look. Everything by default; the fields narrow it (feed_ids OR folder, AND the rest)."""

    feed_ids: tuple[int, ...] | None = None
    folder_id: int | None = None
    starred: bool = False
    unread: bool = False
    since: float | None = None  # unix time, inclusive
    until: float | None = None  # unix time, exclusive


@dataclass(frozen=True)
class Hit:
    article_id: int
    relevance: float  # 0..1, 1 for the best match among the candidates
    recency: float  # 0..1, 1 for now, halving every RECENCY_HALF_LIFE_DAYS
    score: float


def parse_scope(text: str, *, now: float | None = None) -> Scope:
    """`all`, `starred`, `unread`, `feed:ID` (or `ID`), `folder:ID`, `since:YYYY-MM-DD`, `until:YYYY-MM-DD`,
    `days:N`, combined with commas: `folder:2,days:7`."""
    now = time.time() if now is None else now
    fields: dict[str, object] = {}
    feeds: list[int] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, _, value = part.partition(":")
        name = name.lower()
        try:
            if name == "all" and not value:
                continue
            if name in ("starred", "unread") and not value:
                fields[name] = True
            elif name.isdigit() and not value:
                feeds.append(int(name))
            elif name == "feed" and value.isdigit():
                feeds.append(int(value))
            elif name == "folder" and value.isdigit():
                fields["folder_id"] = int(value)
            elif name in ("since", "until"):
                fields[name] = datetime.fromisoformat(value).astimezone().timestamp()
            elif name == "days" and value.isdigit():
                fields["since"] = now - int(value) * 86400
            else:
                raise ValueError
        except ValueError:
            raise HearthError(
                f"unknown scope {part!r}",
                hint="use all, starred, unread, feed:ID, folder:ID, since:YYYY-MM-DD, until:YYYY-MM-DD or days:N, "
                "joined by commas",
            ) from None
    if feeds:
        fields["feed_ids"] = tuple(feeds)
    return Scope(**fields)  # type: ignore[arg-type]


def question_match(question: str) -> str | None:
    """An FTS5 query that ORs the question's content words (CJK as character pairs), or None when it has none."""
    terms: list[str] = []
    for run in _CJK_RUN.findall(question):
        chars = [c for c in run if c not in _CJK_STOP] if len(run) > 2 else list(run)
        pairs = [chars[i] + chars[i + 1] for i in range(len(chars) - 1)] or chars
        terms.extend(pairs)
    for word in _WORD.findall(_CJK_RUN.sub(" ", question)):
        lowered = word.lower()
        if lowered not in _STOPWORDS and (len(lowered) > 1 or lowered.isdigit()):
            terms.append(lowered)
    unique = list(dict.fromkeys(terms))
    if not unique:
        return None
    return " OR ".join('"' + " ".join(index_text(t).split()).replace('"', '""') + '"' for t in unique)


class RetrievalStore(StoreBase):
    def retrieve(
        self, question: str, scope: Scope = Scope(), *, limit: int = 5, now: float | None = None
    ) -> list[Hit]:
        """The `limit` articles in `scope` that best match `question`, blending bm25 with recency."""
        scope = scope or Scope()
        match = question_match(question)
        if match is None or limit <= 0:
            return []
        where, args = _scope_where(scope)
        where.insert(0, "article_fts MATCH ?")
        args.insert(0, match)
        rows = self._conn.execute(
            "SELECT a.id, bm25(article_fts, 4.0, 1.0), a.sort_date FROM article_fts "
            "JOIN articles a ON a.id = article_fts.rowid JOIN statuses s ON s.article_id = a.id "
            f"WHERE {' AND '.join(where)} ORDER BY bm25(article_fts, 4.0, 1.0) LIMIT ?",
            [*args, CANDIDATES],
        ).fetchall()
        if not rows:
            return []
        now = time.time() if now is None else now
        best = max(-rank for _, rank, _ in rows) or 1.0
        hits = []
        for article_id, rank, sort_date in rows:
            relevance = max(0.0, -rank) / best if best > 0 else 1.0
            age_days = max(0.0, (now - sort_date) / 86400)
            recency = math.pow(0.5, age_days / RECENCY_HALF_LIFE_DAYS)
            score = (1 - RECENCY_WEIGHT) * relevance + RECENCY_WEIGHT * recency
            hits.append(Hit(article_id, relevance, recency, score))
        hits.sort(key=lambda h: (-h.score, -h.article_id))
        return hits[:limit]

    def scope_ids(self, scope: Scope | None = None, *, limit: int = 50) -> list[int]:
        """The newest article ids in `scope` (for briefings)."""
        where, args = _scope_where(scope or Scope())
        sql = "SELECT a.id FROM articles a JOIN statuses s ON s.article_id = a.id"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._conn.execute(sql + " ORDER BY a.sort_date DESC, a.id DESC LIMIT ?", [*args, limit])
        return [row[0] for row in rows]


def _scope_where(scope: Scope) -> tuple[list[str], list[object]]:
    """SQL conditions on `a` (articles) and `s` (statuses) for a scope."""
    where: list[str] = []
    args: list[object] = []
    if scope.feed_ids:
        where.append("a.feed_id IN (SELECT value FROM json_each(?))")
        args.append("[" + ",".join(str(int(i)) for i in scope.feed_ids) + "]")
    if scope.folder_id is not None:
        where.append(
            "a.feed_id IN (WITH RECURSIVE tree(id) AS (SELECT ? UNION SELECT f.id FROM folders f "
            "JOIN tree ON f.parent_id = tree.id) SELECT feeds.id FROM feeds JOIN tree ON feeds.folder_id = tree.id)"
        )
        args.append(scope.folder_id)
    if scope.starred:
        where.append("s.starred = 1")
    if scope.unread:
        where.append("s.read = 0")
    if scope.since is not None:
        where.append("a.sort_date >= ?")
        args.append(scope.since)
    if scope.until is not None:
        where.append("a.sort_date < ?")
        args.append(scope.until)
    return where, args
