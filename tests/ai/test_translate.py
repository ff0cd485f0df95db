"""Translation end to end: layout-preserving blocks, the user's language from the locale, streaming block by block
on a tiny random RWKV-7 and through a loopback model server, the cache (no model run the second time), cancel,
titles of a list, and the stored rows."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.ai.assistant import Assistant
from app.ai.html_blocks import Run, render, runs, split_blocks
from app.ai.languages import normalise_language, preferred_language, system_language
from app.ai.task_prompts import TRANSLATE_PROMPT_VERSION
from app.config import Paths, Settings
from app.errors import ConfigError
from app.models import ArticleQuery, ParsedItem
from app.storage import open_store
from tests.ai.openai_server import FakeModelServer
from tests.support.ai_fixtures import ForwardCounter, build_library, tiny_checkpoint

LAYOUT = (
    '<h2 id="t">Sea <em>otters</em></h2><p>They use <a href="http://x.org/">stones</a> as tools.</p>'
    '<ul><li>Urchins</li><li>Clams</li></ul><figure><img src="http://x.org/o.jpg" alt="an otter">'
    "<figcaption>An otter</figcaption></figure><pre><code>x = 1 &lt; 2</code></pre><p>已经是中文。</p>"
)


# --- blocks ----------------------------------------------------------------------------------------------
def test_blocks_keep_the_layout_and_flatten_inline_tags() -> None:
    pieces = split_blocks(LAYOUT)
    assert [(r.kind, r.text) for r in runs(pieces)] == [
        ("heading", "Sea otters"),
        ("paragraph", "They use stones as tools."),
        ("item", "Urchins"),
        ("item", "Clams"),
        ("caption", "An otter"),
        ("paragraph", "已经是中文。"),
    ]
    out = render(pieces, {0: "海獭", 2: "海胆 & <b>"})
    assert out.startswith(
        '<h2 id="t">海獭</h2><p>They use stones as tools.</p><ul><li>海胆 &amp; &lt;b&gt;</li>'
    )
    assert '<img src="http://x.org/o.jpg" alt="an otter">' in out
    assert "<pre><code>x = 1 &lt; 2</code></pre>" in out  # code is never translated


def test_line_breaks_and_images_split_a_paragraph() -> None:
    pieces = split_blocks('<p>one<br>two <img src="a.png"> three</p>')
    assert [r.text for r in runs(pieces)] == ["one", "two", "three"]
    assert render(pieces) == '<p>one<br>two<img src="a.png">three</p>'
    assert isinstance(split_blocks("plain text")[0], Run)


# --- languages -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh_CN.UTF-8", "zh"),
        ("zh_TW.UTF-8", "zh-Hant"),
        ("fr_FR.UTF-8", "fr"),
        ("C.UTF-8", "en"),
        ("xx_YY", "en"),
    ],
)
def test_default_language_follows_the_locale(monkeypatch, lang: str, expected: str) -> None:
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", lang)
    monkeypatch.setattr("locale.getlocale", lambda: (None, None))
    assert system_language() == expected
    assert preferred_language(Settings()) == expected
    assert preferred_language(Settings(values={"ai.language": "English"})) == "en"


def test_unknown_language_is_a_config_error() -> None:
    assert normalise_language("Chinese") == "zh" and normalise_language("ZH-hk") == "zh-Hant"
    with pytest.raises(ConfigError, match="klingon"):
        normalise_language("klingon")


# --- end to end on the tiny RWKV ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def env(tmp_path: Path):
    paths = Paths(tmp_path / "data").ensure()
    ids = build_library(paths.db_path)
    settings = Settings(paths.settings_path)
    settings.set("ai.language", "zh")
    settings.set("ai.device", "cpu")
    store = open_store(paths.db_path)
    feed = store.add_feed("http://127.0.0.1:9/layout.xml", title="Layout")
    store.upsert_articles(
        feed.id, [ParsedItem(guid="l1", url="http://x.org/l1", title="Otters", content_html=LAYOUT)]
    )
    ids["layout"] = store.query_ids(ArticleQuery(feed_ids=(feed.id,)))[0]
    yield paths, settings, store, ids
    store.close()


def test_article_streams_block_by_block_then_comes_from_the_cache(env, tiny: Path) -> None:
    paths, settings, store, ids = env
    settings.set("ai.model_path", str(tiny))
    assistant = Assistant(settings, paths, store)
    events: list[tuple[str, object]] = []
    translator = assistant.translator(max_block_tokens=4)
    result = translator.translate_article(
        ids["layout"], on_title=lambda t: events.append(("title", t)),
        on_text=lambda p: events.append(("text", p)), on_block=lambda b: events.append(("block", b.index)),
    )  # fmt: skip
    assert result.finish_reason == "stop" and not result.cached and result.language == "zh"
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "title" and kinds.index("text") < kinds.index("block")  # the first block streams first
    assert [v for k, v in events if k == "block"] == [0, 1, 2, 3, 4, 5]
    assert result.blocks_done == result.blocks_total == 6 and result.first_block_s is not None
    html = result.html
    for kept in ('<h2 id="t">', "<ul><li>", '<img src="http://x.org/o.jpg" alt="an otter">', "<pre><code>"):
        assert kept in html
    assert "<p>已经是中文。</p>" in html  # already Chinese: kept without a model run
    model_id = assistant.model_id()
    row = store.get_translation(ids["layout"], "body", "zh", model_id, TRANSLATE_PROMPT_VERSION)
    assert row is not None and row.text == html
    counter = ForwardCounter(assistant.model)
    again = Assistant(settings, paths, store).translator().translate_article(ids["layout"])
    assert again.cached and again.html == html and again.title == result.title and counter.calls == 0
    counter.restore()
    assert store.latest_translations([ids["layout"], ids["rain"]]).keys() == {ids["layout"]}


def test_cancel_mid_article_keeps_nothing(env, tiny: Path) -> None:
    paths, settings, store, ids = env
    settings.set("ai.model_path", str(tiny))
    cancel = threading.Event()
    translator = Assistant(settings, paths, store).translator(max_block_tokens=3)

    def on_block(block) -> None:
        if block.index == 1:
            cancel.set()

    result = translator.translate_article(ids["layout"], on_block=on_block, cancel=cancel)
    assert result.finish_reason == "cancelled" and result.blocks_done == 2
    assert "<li>Urchins</li>" in result.html  # not reached: the original stays
    assert translator.cached(ids["layout"]) is None


# --- through a model server (deterministic output) -------------------------------------------------------
def _upper(body: dict) -> list[str]:
    text = body["messages"][0]["content"].split("\n", 1)[1]
    return [" ", text.upper()[: len(text) // 2], text.upper()[len(text) // 2 :]]


def test_server_translation_replaces_each_run_and_titles_are_cached(env) -> None:
    paths, settings, store, ids = env
    settings.set("ai.language", "fr")
    with FakeModelServer(reply_for=_upper) as srv:
        settings.set("ai.backend", "openai")
        settings.set("ai.endpoint", srv.base)
        assistant = Assistant(settings, paths, store)
        result = assistant.translator().translate_article(ids["layout"])
        assert result.title == "OTTERS"
        assert result.html.startswith('<h2 id="t">SEA OTTERS</h2><p>THEY USE STONES AS TOOLS.</p>')
        assert "<figcaption>AN OTTER</figcaption>" in result.html
        prompts = [r["body"]["messages"][0]["content"] for r in srv.requests if r["method"] == "POST"]
        assert prompts[1] == (
            "Translate the following heading into French. Reply with the translation only, nothing else.\nSea otters"
        )
        assert all(r["body"]["stop"] == ["\n\n"] for r in srv.requests if r["method"] == "POST")
        seen: list[tuple[int, str]] = []
        titles = assistant.translator().translate_titles(
            [ids["layout"], ids["rain"]], on_title=lambda i, t: seen.append((i, t))
        )
        assert titles == {ids["layout"]: "OTTERS", ids["rain"]: "RAIN"} and seen[0] == (
            ids["layout"],
            "OTTERS",
        )
        posts = len([r for r in srv.requests if r["method"] == "POST"])
        assistant.translator().translate_titles([ids["rain"]])
        assert len([r for r in srv.requests if r["method"] == "POST"]) == posts  # cached
        cancel = threading.Event()
        cancel.set()
        assert assistant.translator().translate_titles([ids["otters"]], cancel=cancel) == {}


def test_deleting_an_article_drops_its_translations(env) -> None:
    paths, settings, store, ids = env
    with FakeModelServer(reply_for=_upper) as srv:
        settings.set("ai.backend", "openai")
        settings.set("ai.endpoint", srv.base)
        Assistant(settings, paths, store).translator().translate_titles([ids["rain"]], language="en")
    assert store.latest_translations([ids["rain"]], part="title").keys() == {ids["rain"]}
    store.remove_feed(ids["news_feed"])
    assert store.latest_translations([ids["rain"]], part="title") == {}
