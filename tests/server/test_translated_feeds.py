"""AI translations travel with the feed server: `?translations=LANG` (or `?lang=LANG`, `=1` for any language)
makes each translated article's item title the translated title and puts the translated body above the original
(its title kept at the head), on the real loopback server over a real SQLite file; without it nothing changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import httpx
import pytest

from app.ai.task_prompts import TRANSLATE_PROMPT_VERSION
from app.config import Paths, Settings
from app.feeds.export import export_articles
from app.models import ArticleQuery, ParsedItem
from app.server import FeedServer
from app.storage import open_store
from app.storage.summaries import Translation

WHEN = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def _save(store, article_id: int, part: str, language: str, text: str, minutes: int = 0) -> None:
    store.save_translation(
        Translation(
            article_id,
            part,
            language,
            "m#1",
            TRANSLATE_PROMPT_VERSION,
            text,
            WHEN + timedelta(minutes=minutes),
        )
    )


@pytest.fixture
def env(tmp_path: Path):
    paths = Paths(tmp_path / "data").ensure()
    store = open_store(paths.db_path)
    feed = store.add_feed("http://127.0.0.1:9/f.xml", title="Otters")
    items = [
        ParsedItem(
            "a", "http://example.org/a", "Otters hold hands", content_html="<p>They sleep afloat.</p>"
        ),
        ParsedItem("b", "http://example.org/b", "Sea urchins", content_html="<p>Otters eat them.</p>"),
    ]
    first, second = store.upsert_articles(feed.id, items).new_ids
    _save(store, first, "title", "zh", "水獭手牵手")
    _save(store, first, "body", "zh", "<p>它们漂浮着睡觉。</p>")
    _save(store, first, "title", "fr", "Les loutres se tiennent la main", minutes=5)
    _save(store, first, "body", "fr", "<p>Elles dorment en flottant.</p>", minutes=5)
    _save(store, second, "title", "zh", "海胆")  # a title translated from the list, no body
    yield paths, Settings(paths.settings_path), feed.id
    store.close()


def _entries(srv: FeedServer, path: str) -> dict[str, feedparser.FeedParserDict]:
    response = httpx.get(srv.url(path))
    assert response.status_code == 200
    return {e.link: e for e in feedparser.parse(response.content).entries}


def test_the_server_serves_translated_titles_and_bodies_on_request(env) -> None:
    paths, settings, feed = env
    with FeedServer(paths, settings, port=0, refresh=None).start() as srv:
        plain = _entries(srv, f"/feeds/{feed}")
        zh = _entries(srv, f"/feeds/{feed}?translations=zh")
        lang = _entries(srv, f"/feeds/{feed}?lang=zh&format=atom")
        newest = _entries(srv, f"/feeds/{feed}?translations=1")
        none = _entries(srv, f"/feeds/{feed}?translations=de")
    a, b = "http://example.org/a", "http://example.org/b"
    assert plain[a].title == "Otters hold hands" and "它们" not in plain[a].content[0].value
    for entries in (zh, lang):
        assert entries[a].title == "水獭手牵手"
        body = entries[a].content[0].value
        # the translation first, marked, then the original title and body
        assert (
            body.index("它们漂浮着睡觉") < body.index("Otters hold hands") < body.index("They sleep afloat")
        )
        assert "AI translation" in body and 'lang="zh"' in body
        assert entries[b].title == "海胆" and "Otters eat them." in entries[b].content[0].value
    assert newest[a].title == "Les loutres se tiennent la main"  # the newest language
    assert "Elles dorment en flottant." in newest[a].content[0].value
    assert none[a].title == "Otters hold hands" and "AI translation" not in none[a].content[0].value


def test_a_title_in_another_language_than_the_body_is_left_out(env) -> None:
    paths, _settings, _feed = env
    store = open_store(paths.db_path)
    try:
        article = store.get_article(min(store.query_ids(ArticleQuery())))
        bodies = store.latest_translations([article.id], "body", "fr")
        titles = store.latest_translations([article.id], "title", "zh")
        data = export_articles([article], title="T", fmt="json", ai_translations=bodies, ai_titles=titles)
    finally:
        store.close()
    text = data.decode()
    assert "Elles dorment" in text and "水獭" not in text and '"title": "Otters hold hands"' in text
