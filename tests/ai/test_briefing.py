"""Briefings and digests: cached per articles, model and prompt version (no model run the second time), a daily
briefing of a scope over the last day with numbered links back to each article, nothing-new without a model,
the schedule check, and a run on the tiny random RWKV-7 with cancel."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.ai.assistant import Assistant
from app.ai.briefing import briefing_due
from app.config import Paths, Settings
from app.errors import ConfigError
from app.models import ArticleQuery, ParsedItem
from app.storage import open_store
from tests.ai.openai_server import FakeModelServer
from tests.support.ai_fixtures import build_library, tiny_checkpoint

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture
def env(tmp_path: Path):
    paths = Paths(tmp_path / "data").ensure()
    store = open_store(paths.db_path)
    folder = store.add_folder("Nature")
    feed = store.add_feed("http://127.0.0.1:9/n.xml", title="Nature", folder_id=folder.id)
    other = store.add_feed("http://127.0.0.1:9/w.xml", title="World")
    ages = {"fresh": 2, "newest": 1, "old": 40}
    store.upsert_articles(feed.id, [
        ParsedItem(g, f"http://example.org/{g}", f"Story {g}", content_html=f"<p>About {g}.</p>",
                   published=NOW - timedelta(hours=h))
        for g, h in ages.items()
    ])  # fmt: skip
    store.upsert_articles(other.id, [ParsedItem("w", "http://example.org/w", "World news",
                                                content_html="<p>World.</p>", published=NOW - timedelta(hours=3))])  # fmt: skip
    ids = {row.title: row.id for row in store.rows(store.query_ids(ArticleQuery(smart="all")))}
    settings = Settings(paths.settings_path)
    settings.set("ai.backend", "openai")
    settings.set("ai.language", "en")
    yield paths, settings, store, ids | {"folder": folder.id}
    store.close()


def test_daily_briefing_numbers_the_last_day_links_back_and_is_cached(env) -> None:
    paths, settings, store, ids = env
    with FakeModelServer(pieces=["Today: news.\n- [1] newest.", "\n- [2] fresh."]) as srv:
        settings.set("ai.endpoint", srv.base)
        assistant = Assistant(settings, paths, store)
        scope = f"folder:{ids['folder']}"
        first = assistant.briefing(scope, now=NOW)
        assert not first.cached and first.text == "Today: news.\n- [1] newest.\n- [2] fresh."
        assert [i.title for i in first.items] == ["Story newest", "Story fresh"]  # "old" is outside the day
        assert first.items[0].link == f"hearth://article/{ids['Story newest']}"
        prompt = srv.requests[-1]["body"]["messages"][0]["content"]
        assert "[1] Story newest: About newest.\n[2] Story fresh: About fresh." in prompt
        posts = len(srv.requests)
        again = Assistant(settings, paths, store).briefing(scope, now=NOW)
        assert again.cached and again.text == first.text and len(srv.requests) == posts
        assert store.latest_digest(scope).text == first.text
        everything = assistant.briefing("all", now=NOW)
        assert [i.title for i in everything.items] == ["Story newest", "Story fresh", "World news"]
        assert not everything.cached
        fresh = assistant.briefing(scope, now=NOW, refresh=True)
        assert not fresh.cached and len(srv.requests) > posts + 1
        empty = assistant.briefing("starred", now=NOW)
    assert (
        empty.finish_reason == "empty" and empty.text.startswith("Nothing new here since") and not empty.items
    )


def test_digests_are_cached_per_set_of_articles(env) -> None:
    paths, settings, store, ids = env
    with FakeModelServer(pieces=["- one\nOverall: x."]) as srv:
        settings.set("ai.endpoint", srv.base)
        assistant = Assistant(settings, paths, store)
        chosen = [ids["Story newest"], ids["World news"]]
        first = assistant.digest(chosen)
        posts = len(srv.requests)
        seen: list[str] = []
        again = assistant.digest(chosen, on_text=seen.append)
        other = assistant.digest(chosen[:1])
    assert not first.cached and again.cached and again.text == first.text == "".join(seen)
    assert not other.cached and len(srv.requests) == posts + 1


def test_briefing_schedule() -> None:
    at = NOW.astimezone().replace(hour=7, minute=30, second=0, microsecond=0)
    assert briefing_due("07:30", None, at + timedelta(minutes=1))
    assert not briefing_due("07:30", None, at - timedelta(minutes=1))
    assert not briefing_due("07:30", at + timedelta(seconds=5), at + timedelta(hours=2))  # already ran today
    assert briefing_due("07:30", at - timedelta(days=1), at + timedelta(hours=2))
    assert not briefing_due("", None, at)
    with pytest.raises(ConfigError, match="HH:MM"):
        briefing_due("7h30", None, at)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("tiny"))


def test_briefing_streams_on_the_tiny_model_and_a_cancel_is_not_cached(tmp_path: Path, tiny: Path) -> None:
    paths = Paths(tmp_path / "data").ensure()
    build_library(paths.db_path)
    settings = Settings(
        paths.settings_path, {"ai.model_path": str(tiny), "ai.device": "cpu", "ai.max_tokens": 4}
    )
    with open_store(paths.db_path) as store:
        assistant = Assistant(settings, paths, store)
        cancel = threading.Event()
        stopped = assistant.briefing("all", on_text=lambda _p: cancel.set(), cancel=cancel)
        assert stopped.finish_reason == "cancelled" and store.latest_digest("all") is None
        pieces: list[str] = []
        done = assistant.briefing("all", on_text=pieces.append)
        assert done.finish_reason in ("stop", "length", "eos") and len(done.items) == 3
        assert "".join(pieces).strip() == done.text and store.latest_digest("all") is not None
