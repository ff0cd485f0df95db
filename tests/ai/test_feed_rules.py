"""Per-feed AI rules: stored per feed (not a settings string), the old auto-summary setting still honoured, run on
new articles newest first under a cap per refresh with progress, cancel and per-article errors; translations
travel with exports and the feed server (`?translations=1`)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import httpx
import pytest

from app.ai.assistant import Assistant
from app.ai.rules import run_feed_rules
from app.ai.task_prompts import TRANSLATE_PROMPT_VERSION
from app.config import Paths, Settings
from app.errors import NotFoundError
from app.feeds.export import export_articles
from app.models import ArticleQuery, ParsedItem
from app.server import FeedServer
from app.storage import open_store
from app.storage.ai_rules import FeedRules
from app.storage.summaries import Translation
from tests.ai.openai_server import FakeModelServer


@pytest.fixture
def env(tmp_path: Path):
    paths = Paths(tmp_path / "data").ensure()
    store = open_store(paths.db_path)
    feed = store.add_feed("http://127.0.0.1:9/f.xml", title="Feed")
    other = store.add_feed("http://127.0.0.1:9/g.xml", title="Other")
    items = [ParsedItem(f"a{i}", f"http://example.org/{i}", f"Post {i}", content_html=f"<p>Body {i}.</p>")
             for i in range(3)]  # fmt: skip
    ids = list(store.upsert_articles(feed.id, items).new_ids)
    settings = Settings(paths.settings_path)
    settings.set("ai.backend", "openai")
    settings.set("ai.language", "fr")
    yield paths, settings, store, feed.id, other.id, ids
    store.close()


def test_rules_are_stored_per_feed_and_dropped_with_it(env) -> None:
    paths, _settings, store, feed, other, _ids = env
    assert store.feed_rules(feed) == FeedRules(feed) and store.all_feed_rules() == {}
    store.set_feed_rules(FeedRules(feed, summarize=True, translate=True, language="zh"))
    assert store.feed_rules(feed) == FeedRules(feed, True, True, "zh")
    store.set_feed_rules(FeedRules(other, translate=True))
    assert set(store.all_feed_rules()) == {feed, other}
    store.set_feed_rules(FeedRules(other))  # all off: no row
    assert set(store.all_feed_rules()) == {feed}
    with pytest.raises(NotFoundError, match="no feed with id 999"):
        store.set_feed_rules(FeedRules(999, summarize=True))
    store.remove_feed(feed)
    assert store.all_feed_rules() == {}
    paths.settings_path.write_text(json.dumps({"ai.auto_summary_feeds": f"{other}, x"}), encoding="utf-8")
    assert store.adopt_settings_state(Settings.load(paths.settings_path))  # a list an old Hearth wrote
    assert store.feed_rules(other) == FeedRules(other, summarize=True)


def test_rules_run_newest_first_under_the_cap_and_resume(env) -> None:
    paths, settings, store, feed, _other, ids = env
    store.set_feed_rules(FeedRules(feed, summarize=True, translate=True))
    with FakeModelServer(pieces=[" Résumé."]) as srv:
        settings.set("ai.endpoint", srv.base)
        assistant = Assistant(settings, paths, store)
        seen = []
        first = run_feed_rules(assistant, feed, ids, cap=3, on_progress=seen.append)
        newest, middle, oldest = sorted(ids, reverse=True)
        assert first.summarized == [newest, middle] and first.translated == [newest]
        assert first.left_for_later == [middle, oldest] and not first.cancelled
        assert [(p.article_id, p.action, p.done) for p in seen] == [
            (newest, "summary", 1), (newest, "translation", 2), (middle, "summary", 3),
        ]  # fmt: skip
        posts = len(srv.requests)
        second = run_feed_rules(assistant, feed, first.left_for_later, cap=3)
        assert second.summarized == [middle, oldest] and second.translated == [middle, oldest]
        # middle's summary came from the cache; a translation is its title and one block
        assert len(srv.requests) - posts == 2 + 1 + 2
    model_id = assistant.model_id()
    for article_id in ids:
        assert store.get_translation(article_id, "body", "fr", model_id, TRANSLATE_PROMPT_VERSION) is not None


def test_cancel_and_errors(env) -> None:
    paths, settings, store, feed, other, ids = env
    store.set_feed_rules(FeedRules(feed, summarize=True))
    cancel = threading.Event()
    with FakeModelServer(pieces=[" Done."]) as srv:
        settings.set("ai.endpoint", srv.base)
        assistant = Assistant(settings, paths, store)
        stopped = run_feed_rules(assistant, feed, ids, cancel=cancel, on_progress=lambda _p: cancel.set())
    newest, *rest = sorted(ids, reverse=True)
    assert stopped.cancelled and stopped.summarized == [newest] and stopped.left_for_later == rest
    with FakeModelServer(status=500, error="overloaded") as srv:
        settings.set("ai.endpoint", srv.base)
        failed = run_feed_rules(Assistant(settings, paths, store), feed, ids[:1])
    assert failed.summarized == [] and "overloaded" in failed.errors[0]
    assert run_feed_rules(Assistant(settings, paths, store), other, ids).summarized == []  # no rules: nothing


def _translate(store, article_id: int) -> None:
    store.save_translation(Translation(article_id, "body", "zh", "m#1", TRANSLATE_PROMPT_VERSION,
                                       "<p>译文正文</p>", datetime.now(UTC)))  # fmt: skip


def test_translations_travel_with_exports_and_the_feed_server(env) -> None:
    paths, settings, store, feed, _other, ids = env
    _translate(store, ids[0])
    articles = [store.get_article(i) for i in ids]
    body = export_articles(
        articles, title="T", fmt="rss", ai_translations=store.latest_translations(ids)
    ).decode()
    parsed = {e.link: e.content[0].value for e in feedparser.parse(body).entries}
    assert "译文正文" in parsed["http://example.org/0"] and "Body 0." in parsed["http://example.org/0"]
    assert "AI translation" not in parsed["http://example.org/1"]
    with FeedServer(paths, settings, port=0, refresh=None).start() as srv:
        plain = httpx.get(srv.url(f"/feeds/{feed}")).text
        rich = feedparser.parse(httpx.get(srv.url(f"/feeds/{feed}?translations=1")).content)
        other_lang = httpx.get(srv.url(f"/feeds/{feed}?translations=fr")).text
    assert "译文正文" not in plain and "译文正文" not in other_lang
    entry = next(e for e in rich.entries if e.link == "http://example.org/0")
    assert "译文正文" in entry.content[0].value and 'lang="zh"' in entry.content[0].value
    assert store.query_ids(ArticleQuery(feed_ids=(feed,)))  # the library is untouched
