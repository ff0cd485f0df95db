"""What the feed server answers, independent of the HTTP plumbing: path + query in, a `Reply` out.

Feeds are served from the database while fresh (server.max_age_minutes) and refreshed politely when
not; RSSHub-style source paths are matched by app.sources.registry and subscribed on first request.
A site in cooldown is never asked: stored articles are served, or a 503 with Retry-After.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from app.config import Key, Settings
from app.errors import HearthError, NotFoundError, SourceError, StorageError
from app.models import ArticleQuery, Feed, FeedKind
from app.server.pages import index_html, opml_listing

if TYPE_CHECKING:
    from app.storage import Store

log = logging.getLogger(__name__)

FORMATS = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
DEFAULT_LIMIT = 50
MAX_LIMIT = 500

# refresh(store, feed_ids) -> {feed_id: error message or None}; runs on the request's thread
RefreshFunc = Callable[["Store", Sequence[int]], dict[int, str | None]]


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def text_reply(status: int, message: str, **headers: str) -> Reply:
    return Reply(status, (message.rstrip("\n") + "\n").encode("utf-8"), headers=dict(headers))


class FeedService:
    """Routes one request. Thread-safe: each call gets the store of its own thread from `open_store`."""

    def __init__(
        self,
        settings: Settings,
        open_store: Callable[[], Store],
        *,
        refresh: RefreshFunc | None = None,
        base_url: Callable[[], str] = lambda: "",
    ) -> None:
        self.settings = settings
        self.open_store = open_store
        self.refresh = refresh
        self.base_url = base_url
        self._refresh_lock = threading.Lock()  # one server-triggered refresh at a time: polite and simple

    # -- entry -----------------------------------------------------------------------------------

    def handle(self, path: str, query: dict[str, str]) -> Reply:
        key = self.settings.get(Key.SERVER_ACCESS_KEY)
        if key and not hmac.compare_digest(query.get("key", "").encode(), key.encode()):
            return text_reply(
                403,
                "403 Forbidden: this Hearth feed server needs its access key: add ?key=YOUR_KEY "
                "(the value of the server.access_key setting) to the address.",
            )
        fmt = query.get("format", "rss").lower()
        if fmt not in FORMATS:
            return text_reply(400, f"400 Bad Request: format must be rss, atom or json, not {fmt!r}.")
        store = self.open_store()
        try:
            return self._route(store, path.rstrip("/") or "/", query, fmt)
        except NotFoundError as exc:
            return text_reply(404, f"404 Not Found: {exc.user_message()}")
        except HearthError as exc:
            log.warning("feed server: %s: %s", path, exc.user_message())
            return text_reply(502, f"502 Bad Gateway: {exc.user_message()}")
        finally:
            store.close()

    def _route(self, store: Store, path: str, query: dict[str, str], fmt: str) -> Reply:
        parts = path.strip("/").split("/")
        if path == "/":
            return Reply(200, index_html(*self._listing(store), self._url), "text/html; charset=utf-8")
        if path == "/opml":
            return Reply(200, opml_listing(*self._listing(store), self._url), "text/x-opml; charset=utf-8")
        if path == "/starred":
            return self._render(store, ArticleQuery(smart="starred"), "Starred", path, query, fmt)
        if path == "/search":
            text = query.get("q", "").strip()
            if not text:
                return text_reply(400, "400 Bad Request: /search needs ?q=WORDS.")
            rows = store.search(text, limit=self._limit(query))
            return self._feed(store, [r.id for r in rows], f"Search: {text}", path, query, fmt)
        if len(parts) == 2 and parts[0] == "feeds" and parts[1].isdigit():
            return self._serve_feed(store, store.get_feed(int(parts[1])), path, query, fmt)
        if len(parts) == 2 and parts[0] == "folders" and parts[1].isdigit():
            folder = store.get_folder(int(parts[1]))
            return self._render(store, ArticleQuery(folder_id=folder.id), folder.name, path, query, fmt)
        return self._serve_rsshub(store, path, query, fmt)

    # -- feeds -----------------------------------------------------------------------------------

    def _serve_rsshub(self, store: Store, path: str, query: dict[str, str], fmt: str) -> Reply:
        from app.sources.registry import match_url, source_feed_url

        found = match_url(path)
        if found is None or not path.startswith("/") or found[0].id.startswith(FeedKind.SCRIPT):
            return text_reply(
                404,
                f"404 Not Found: nothing is served at {path}. Feeds are at /feeds/ID, folders at /folders/ID, "
                "sources at RSSHub's paths (e.g. /zhihu/people/activities/ID); / lists them all.",
            )
        source, params = found
        url = source_feed_url(source, params)
        feed = store.find_feed_by_url(url)
        if feed is None or feed.kind != source.id:
            try:
                # An empty title lets the first fetch fill in the site's own name for the feed.
                feed = store.add_feed(url, title="", kind=source.id, params=params)
                log.info("feed server subscribed %s for %s", url, path)
            except StorageError:  # another request subscribed it a moment ago
                feed = store.find_feed_by_url(url)
                if feed is None:
                    raise
        return self._serve_feed(store, feed, path, query, fmt)

    def _serve_feed(self, store: Store, feed: Feed, path: str, query: dict[str, str], fmt: str) -> Reply:
        note: str | None = None  # why what we serve may be stale
        if self.refresh is not None and self._is_stale(feed):
            cooling = self._cooldown(store, feed)
            if cooling is None:
                note = self._refresh_one(store, feed)
                feed = store.get_feed(feed.id)
            else:
                note = cooling[1]  # never ask a site that is cooling down
        elif feed.consecutive_errors:
            note = feed.last_error or "the last fetch failed"
        if note and not store.count_articles(ArticleQuery(feed_ids=(feed.id,))):
            return self._failed(store, feed, note)
        reply = self._render(
            store,
            ArticleQuery(feed_ids=(feed.id,)),
            feed.title or source_title_of(feed),
            path,
            query,
            fmt,
            link=feed.site_url or feed.url,
        )
        if note:
            reply.headers["X-Hearth-Stale"] = note.encode("ascii", "replace").decode()[:200]
        return reply

    def _failed(self, store: Store, feed: Feed, message: str) -> Reply:
        """Nothing stored to fall back on: 503 + Retry-After while the site cools down, else 502."""
        cooling = self._cooldown(store, feed)
        if cooling is not None:
            until, reason = cooling
            retry = max(1, int((until - datetime.now(UTC)).total_seconds()))
            return text_reply(
                503,
                f"503 Service Unavailable: {reason}. Hearth leaves the site alone until "
                f"{until.astimezone():%Y-%m-%d %H:%M %Z}; try again later.",
                **{"Retry-After": str(retry)},
            )
        return text_reply(502, f"502 Bad Gateway: fetching {feed.title or feed.url} failed: {message}")

    def _is_stale(self, feed: Feed) -> bool:
        max_age = timedelta(minutes=max(0, self.settings.get(Key.SERVER_MAX_AGE_MINUTES)))
        return feed.last_fetch is None or datetime.now(UTC) - feed.last_fetch >= max_age

    def _cooldown(self, store: Store, feed: Feed) -> tuple[datetime, str] | None:
        if feed.kind == FeedKind.FEED:
            return None
        from app.sources.registry import site_of

        site = site_of(feed)
        state = store.get_site_state(site) if site else None
        if state is None or state.cooldown_until is None or state.cooldown_until <= datetime.now(UTC):
            return None
        why = f" ({state.last_error})" if state.last_error else ""
        return state.cooldown_until, f"{site} is cooling down after it blocked Hearth{why}"

    def _refresh_one(self, store: Store, feed: Feed) -> str | None:
        """Refresh one feed (waiting for any other server refresh); the error message, or None."""
        assert self.refresh is not None
        with self._refresh_lock:
            fresh = store.get_feed(feed.id)
            if not self._is_stale(fresh):  # another request refreshed it while we waited
                return None
            try:
                return self.refresh(store, [feed.id]).get(feed.id)
            except HearthError as exc:
                return exc.user_message()

    # -- rendering -------------------------------------------------------------------------------

    def _render(
        self,
        store: Store,
        query: ArticleQuery,
        title: str,
        path: str,
        params: dict[str, str],
        fmt: str,
        *,
        link: str | None = None,
    ) -> Reply:
        ids = store.query_ids(query)[: self._limit(params)]
        return self._feed(store, ids, title, path, params, fmt, link=link)

    def _feed(
        self,
        store: Store,
        ids: Sequence[int],
        title: str,
        path: str,
        params: dict[str, str],
        fmt: str,
        *,
        link: str | None = None,
    ) -> Reply:
        from app.feeds.export import export_articles

        articles = []
        for article_id in ids:
            try:
                articles.append(store.get_article(article_id))
            except NotFoundError:
                continue  # deleted between the query and now
        own = {k: v for k, v in params.items() if k != "key"}
        self_url = self._url(path + ("?" + urlencode(own) if own else ""))
        body = export_articles(
            articles,
            title=title,
            link=link or self._url(path),
            fmt=fmt,
            description=f"{title} — served by Hearth",
            self_url=self_url,
            ai_summaries=store.latest_summaries(ids) if params.get("summaries") in ("1", "true") else None,
            **_translations(store, ids, params.get("translations") or params.get("lang", "")),
        )
        return Reply(200, body, FORMATS[fmt])

    def _limit(self, params: dict[str, str]) -> int:
        text = params.get("limit", "")
        return max(1, min(MAX_LIMIT, int(text))) if text.isdigit() else DEFAULT_LIMIT

    def _listing(self, store: Store) -> tuple[list[Feed], list[Any], dict[int, str]]:
        from app.sources.registry import source_of

        feeds = store.list_feeds()
        rsshub: dict[int, str] = {}
        for feed in feeds:
            if feed.kind != FeedKind.FEED and not feed.kind.startswith(FeedKind.SCRIPT):
                try:
                    source, params = source_of(feed)
                    rsshub[feed.id] = source.rsshub_path(params)
                except (HearthError, ValueError, KeyError):
                    pass
        return feeds, store.list_folders(), rsshub

    def _url(self, path: str) -> str:
        return self.base_url() + path


def source_title_of(feed: Feed) -> str:
    """A display title for a feed not fetched yet: its source's own placeholder, else its URL."""
    if feed.kind == FeedKind.FEED:
        return feed.url
    from app.sources.registry import source_of, source_title

    try:
        return source_title(*source_of(feed))
    except SourceError:  # an unknown kind: the URL is honest enough
        return feed.url


def _translations(store: Store, ids: Sequence[int], wanted: str) -> dict[str, dict[int, Any]]:
    """`?translations=1` (any language) or `?translations=zh` / `?lang=zh` (that one): each article's newest
    translated body and title, as export_articles' `ai_translations` and `ai_titles`."""
    if wanted in ("", "0", "false"):
        return {}
    language = None if wanted in ("1", "true") else wanted
    return {
        "ai_translations": store.latest_translations(ids, "body", language),
        "ai_titles": store.latest_translations(ids, "title", language),
    }
