"""Ask your library: FTS5 retrieval over a scope blended with recency, the answer prompt with numbered sources,
citations listed with titles and links, "nothing found" without a model, on a loopback model server and on a tiny
random RWKV-7 (streaming, cancel)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.ai.assistant import Assistant
from app.config import Paths, Settings
from app.errors import HearthError
from app.models import ArticleQuery, ParsedItem
from app.storage import open_store
from app.storage.retrieval import Scope, parse_scope, question_match
from tests.ai.openai_server import FakeModelServer
from tests.support.ai_fixtures import OTTERS, ForwardCounter, tiny_checkpoint

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _item(guid: str, title: str, text: str, days_old: float) -> ParsedItem:
    when = NOW - timedelta(days=days_old)
    return ParsedItem(
        guid=guid, url=f"http://example.org/{guid}", title=title, content_html=text, published=when
    )


@pytest.fixture
def env(tmp_path: Path):
    paths = Paths(tmp_path / "data").ensure()
    store = open_store(paths.db_path)
    folder = store.add_folder("Nature")
    nature = store.add_feed("http://127.0.0.1:9/n.xml", title="Nature", folder_id=folder.id)
    news = store.add_feed("http://127.0.0.1:9/w.xml", title="World")
    store.upsert_articles(nature.id, [
        _item("otters", "Sea otters", OTTERS, 40),
        _item("otters-new", "Otters again", "<p>Sea otters use stones as tools, a new study finds.</p>", 1),
        _item("whales", "Whales", "<p>Whales sing long songs across oceans.</p>", 2),
    ])  # fmt: skip
    store.upsert_articles(news.id, [
        _item("rain", "Rain", "<p>It rained today in the city.</p>", 0),
        _item("zh", "海獭的工具", "<p>海獭会用石头砸开贝壳。</p>", 3),
    ])  # fmt: skip
    rows = store.rows(store.query_ids(ArticleQuery(smart="all")))
    ids = {row.title: row.id for row in rows} | {"folder": folder.id, "news": news.id, "nature": nature.id}
    settings = Settings(paths.settings_path)
    settings.set("ai.device", "cpu")
    yield paths, settings, store, ids
    store.close()


# --- retrieval -------------------------------------------------------------------------------------------
def test_question_words_become_an_or_query() -> None:
    assert question_match("How do the otters use tools?") == '"otters" OR "use" OR "tools"'
    assert question_match("海獭用什么工具？") == '"海 獭" OR "獭 用" OR "用 工" OR "工 具"'
    assert question_match("what is the?") is None


def test_retrieval_ranks_relevance_then_recency_within_a_scope(env) -> None:
    _paths, _settings, store, ids = env
    now = NOW.timestamp()
    hits = store.retrieve("otters stones tools", limit=5, now=now)
    assert [h.article_id for h in hits[:2]] == [ids["Otters again"], ids["Sea otters"]]
    assert ids["Rain"] not in [h.article_id for h in hits] and hits[0].recency > hits[1].recency
    assert store.retrieve("otters", Scope(feed_ids=(ids["news"],)), now=now) == []
    assert {h.article_id for h in store.retrieve("otters", Scope(folder_id=ids["folder"]), now=now)} == {
        ids["Sea otters"], ids["Otters again"],
    }  # fmt: skip
    recent = parse_scope("days:7", now=now)
    assert [h.article_id for h in store.retrieve("otters", recent, now=now)] == [ids["Otters again"]]
    store.star([ids["Sea otters"]])
    assert [h.article_id for h in store.retrieve("otters", Scope(starred=True), now=now)] == [
        ids["Sea otters"]
    ]
    assert [h.article_id for h in store.retrieve("海獭用什么工具", now=now)] == [ids["海獭的工具"]]


def test_scope_strings() -> None:
    assert parse_scope("all") == Scope()
    assert parse_scope("folder:2,starred") == Scope(folder_id=2, starred=True)
    assert parse_scope("feed:3, 4") == Scope(feed_ids=(3, 4))
    since = parse_scope("since:2026-11-01,until:2026-11-30")
    assert since.since is not None and since.until is not None and since.since < since.until
    with pytest.raises(HearthError, match="unknown scope 'folder:x'"):
        parse_scope("folder:x")


# --- answers through a model server ----------------------------------------------------------------------
def test_answer_cites_sources_listed_with_titles_and_links(env) -> None:
    paths, settings, store, ids = env
    events: list[str] = []
    with FakeModelServer(pieces=[" Otters use", " stones [1], as before [2]."]) as srv:
        settings.set("ai.backend", "openai")
        settings.set("ai.endpoint", srv.base)
        result = Assistant(settings, paths, store).ask(
            "Do otters use tools?", f"folder:{ids['folder']}", limit=5,
            on_sources=lambda s: events.append("sources"), on_text=lambda p: events.append("text"),
        )  # fmt: skip
    assert events[0] == "sources" and "text" in events
    assert result.answer == "Otters use stones [1], as before [2]." and result.finish_reason == "stop"
    assert [(s.number, s.title, s.cited) for s in result.sources] == [(1, "Otters again", True),
                                                                     (2, "Sea otters", True)]  # fmt: skip
    assert result.sources[0].link == f"hearth://article/{ids['Otters again']}"
    assert result.sources[0].url == "http://example.org/otters-new"
    prompt = srv.requests[-1]["body"]["messages"][0]["content"]
    assert "[1] Otters again (2026-11-30)\nSea otters use stones as tools" in prompt
    assert "[2] Sea otters (2026-10-22)" in prompt and prompt.endswith("My question: Do otters use tools?")
    assert result.first_text_s is not None and result.prompt_tokens > 0


def test_nothing_found_says_so_without_asking_the_model(env) -> None:
    paths, settings, store, _ids = env
    with FakeModelServer() as srv:
        settings.set("ai.backend", "openai")
        settings.set("ai.endpoint", srv.base)
        result = Assistant(settings, paths, store).ask("volcanoes on mars?")
        zh = Assistant(settings, paths, store).ask("火山爆发了吗", "starred")
    assert not result.found and result.finish_reason == "nothing-found" and "nothing" in result.answer
    assert zh.answer == "在你的订阅里没有找到相关的文章。" and srv.requests == []


# --- on the tiny RWKV ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("tiny"))


def test_answer_streams_on_the_tiny_model_and_cancels(env, tiny: Path) -> None:
    paths, settings, store, _ids = env
    settings.set("ai.model_path", str(tiny))
    settings.set("ai.max_tokens", 6)
    assistant = Assistant(settings, paths, store)
    pieces: list[str] = []
    result = assistant.ask("otters tools", on_text=pieces.append)
    assert result.finish_reason in ("stop", "length", "eos") and len(result.sources) == 2
    assert "".join(pieces).strip() == result.answer
    cancel = threading.Event()
    cancel.set()
    stopped = assistant.ask("otters tools", cancel=cancel)
    assert stopped.finish_reason == "cancelled" and stopped.answer == ""


def test_a_repeated_question_reads_only_itself_on_the_cached_sources_state(env, tiny: Path) -> None:
    """The instructions and sources are read once and kept in the state cache; asking again over the same
    sources feeds only the question, and the answer is the one a fresh read gives (greedy sampling)."""
    paths, settings, store, _ids = env
    settings.set("ai.model_path", str(tiny))
    settings.set("ai.max_tokens", 5)
    settings.set("ai.chat_temperature", 0.0)
    assistant = Assistant(settings, paths, store)
    counter = ForwardCounter(assistant.load())
    try:
        first = assistant.ask("otters tools")
        read_first = counter.tokens
        head = counter.sizes[0]  # the instructions and sources, read into the cached state
        counter.reset()
        again = assistant.ask("otters tools")
        assert again.answer == first.answer and again.sources == first.sources
        assert counter.sizes[0] < 16 < head  # only "My question: ..." was fed before the answer
        assert counter.tokens < read_first - head + 16
        counter.reset()
        assistant.ask("Otters, tools?")  # other words, the same sources: the same head
        assert counter.sizes[0] < 16
        counter.reset()
        assistant.states.clear()  # no cached head: read again, and the same answer
        assert assistant.ask("otters tools").answer == first.answer and counter.sizes[0] == head
        counter.reset()
        other = assistant.ask("whales songs")  # other sources: another head, read in full
        assert other.sources and counter.sizes[0] > 16
    finally:
        counter.restore()
