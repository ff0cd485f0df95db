"""What makes Translate's first text quick, through the real tiny RWKV-7 (forward calls and tokens counted) and a
loopback model server (deterministic replies): the instructions are read once per language and kind of block, so
a later block's prompt reads only its own tokens; a cached head never changes the answer (greedy: cold, cached
in memory and read back from disk give the same text); the title streams; a long paragraph goes in pieces of
whole sentences, rejoined into its one block; a cancel keeps nothing half-done."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import pytest

from app.ai.assistant import Assistant
from app.ai.html_blocks import sentence_pieces, sentences
from app.ai.prompts import chat_prompt
from app.ai.state_cache import StateCache
from app.ai.task_prompts import TRANSLATE_PROMPT_VERSION, translate_head, translate_messages
from app.ai.tokenizer import WorldTokenizer
from app.config import Paths, Settings
from app.models import ArticleQuery, ParsedItem
from app.storage import open_store
from tests.ai.openai_server import FakeModelServer
from tests.support.ai_fixtures import ForwardCounter, tiny_checkpoint

TITLE = "Sea otters at work"
P1 = "Sea otters use stones as tools."
P2 = "They eat clams and urchins on the coast."
ITEM = "Dense fur keeps them warm"
BODY = f"<p>{P1}</p><p>{P2}</p><ul><li>{ITEM}</li></ul>"
LONG = (
    "Sea otters live along the coasts of the North Pacific. They eat sea urchins, crabs and clams! "
    "Do they use tools? They open shells with stones. Their fur is the densest of any animal. "
    "Their numbers fell during the fur trade and have partly recovered."
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def env(tmp_path: Path, tiny: Path):
    paths = Paths(tmp_path / "data").ensure()
    store = open_store(paths.db_path)
    feed = store.add_feed("http://127.0.0.1:9/otters.xml", title="Otters")
    store.upsert_articles(
        feed.id,
        [
            ParsedItem(guid="a", url="http://example.org/a", title=TITLE, content_html=BODY),
            ParsedItem(
                guid="b", url="http://example.org/b", title="Otters at rest", content_html=f"<p>{P2}</p>"
            ),
            ParsedItem(guid="c", url="http://example.org/c", title="Long", content_html=f"<p>{LONG}</p>"),
            ParsedItem(
                guid="d", url="http://example.org/d", title="海獭", content_html="<p>Otters swim.</p>"
            ),
        ],
    )
    rows = {r.title: r.id for r in store.rows(store.query_ids(ArticleQuery(smart="all")))}
    settings = Settings(paths.settings_path)
    for key, value in (("ai.language", "zh"), ("ai.device", "cpu"), ("ai.model_path", str(tiny)),
                       ("ai.summary_temperature", 0.0)):  # fmt: skip
        settings.set(key, value)
    yield paths, settings, store, rows
    store.close()


def _assistant(paths: Paths, settings: Settings, store, states: Path | None = None) -> Assistant:
    return Assistant(settings, paths, store, state_cache=StateCache(states or paths.states_dir))


def _split(tokenizer, text: str, kind: str, language: str = "zh") -> tuple[int, int]:
    """(tokens of the instructions, tokens of the rest) of the prompt translating `text`."""
    prompt = chat_prompt(translate_messages(text, language, kind=kind))
    head = translate_head(language, kind)
    assert prompt.startswith(head)
    return len(tokenizer.encode(head)), len(tokenizer.encode(prompt[len(head) :]))


def _prefills(counter: ForwardCounter) -> list[int]:
    return [size for size in counter.sizes if size > 1]  # decoding feeds one token a call


# --- sentences ---------------------------------------------------------------------------------------------
def test_sentences_cut_cjk_and_latin_ends_and_join_back() -> None:
    text = "Otters eat clams. They use stones! Really? (Yes.) 3.14 is pi. 海獭吃蛤。它们用石头！“真的吗？”好"
    parts = sentences(text)
    assert "".join(parts) == text
    assert parts == ["Otters eat clams. ", "They use stones! ", "Really? ", "(Yes.) ", "3.14 is pi. ",
                     "海獭吃蛤。", "它们用石头！", "“真的吗？”", "好"]  # fmt: skip


def test_pieces_are_whole_sentences_within_the_limits() -> None:
    tokenizer = WorldTokenizer.default()

    def count(text: str) -> int:
        return len(tokenizer.encode(text))

    assert sentence_pieces(P1, count, 8) == [P1]  # one sentence, even over the limit
    pieces = sentence_pieces(LONG, count, 24, 14)
    assert len(pieces) >= 3 and " ".join(pieces) == LONG
    assert count(pieces[0]) <= 14 and all(count(p) <= 24 for p in pieces[1:])
    assert all(p.endswith((".", "!", "?")) for p in pieces)
    assert sentence_pieces(LONG, count, 500) == [LONG]


# --- the real model: tokens read ----------------------------------------------------------------------------
def test_each_prompt_reads_its_instructions_once_then_only_its_own_tokens(env) -> None:
    paths, settings, store, rows = env
    assistant = _assistant(paths, settings, store)
    counter = ForwardCounter(assistant.load())
    tok = assistant.tokenizer
    try:
        result = assistant.translator(max_block_tokens=4).translate_article(rows[TITLE])
        assert result.finish_reason == "stop" and result.blocks_done == 3
        (ht, rt), (hp, r1), (_, r2), (hi, ri) = (
            _split(tok, TITLE, "title"), _split(tok, P1, "paragraph"), _split(tok, P2, "paragraph"),
            _split(tok, ITEM, "item"),
        )  # fmt: skip
        # the second paragraph reads only its own tokens: the paragraph instructions were read for the first
        assert _prefills(counter) == [ht, rt, hp, r1, r2, hi, ri]
        counter.reset()
        other = assistant.translator(max_block_tokens=4).translate_article(rows["Otters at rest"])
        assert other.finish_reason == "stop"
        assert _prefills(counter) == [_split(tok, "Otters at rest", "title")[1], r2]  # no instructions at all
    finally:
        counter.restore()


def test_a_cached_head_never_changes_the_answer(env, tmp_path: Path) -> None:
    paths, settings, store, rows = env
    cold = _assistant(paths, settings, store).translator(max_block_tokens=6)
    first = cold.translate_article(rows[TITLE])
    counter = ForwardCounter(cold.assistant.model)
    try:
        again = cold.translate_article(rows[TITLE], refresh=True)  # the heads from memory
        assert len(_prefills(counter)) == 4  # the title and the three blocks, no instructions
    finally:
        counter.restore()
    from_disk = _assistant(paths, settings, store).translator(max_block_tokens=6)
    disk = from_disk.translate_article(rows[TITLE], refresh=True)  # a new window: the heads from disk
    fresh = _assistant(paths, settings, store, tmp_path / "other-states").translator(max_block_tokens=6)
    never = fresh.translate_article(rows[TITLE], refresh=True)  # another cache, empty: cold again
    assert from_disk.assistant.states.hits["disk"] >= 3
    for result in (again, disk, never):
        assert (result.title, result.html) == (first.title, first.html)


def test_the_title_streams_as_it_is_written(env) -> None:
    paths, settings, store, rows = env
    shown: list[str] = []
    result = (
        _assistant(paths, settings, store)
        .translator(max_block_tokens=6)
        .translate_article(rows[TITLE], on_title=shown.append)
    )
    assert len(shown) >= 2 and shown[-1] == result.title
    assert all(b.startswith(a) for a, b in itertools.pairwise(shown[:-1]))  # it only grows
    row = store.get_translation(rows[TITLE], "title", "zh", result.model_id, TRANSLATE_PROMPT_VERSION)
    assert row is not None and row.text == result.title


def test_cancel_keeps_nothing_half_done_and_the_next_run_is_clean(env, tmp_path: Path) -> None:
    paths, settings, store, rows = env
    assistant = _assistant(paths, settings, store)
    translator = assistant.translator(max_block_tokens=6)
    cancel = threading.Event()
    titles: list[str] = []

    def on_title(text: str) -> None:
        titles.append(text)
        cancel.set()  # at the title's first piece

    stopped = translator.translate_article(rows[TITLE], on_title=on_title, cancel=cancel)
    assert stopped.finish_reason == "cancelled" and len(titles) == 1
    assert translator.cached_title(rows[TITLE]) is None and translator.cached(rows[TITLE]) is None
    cancel.clear()
    texts: list[str] = []

    def on_text(piece: str) -> None:
        texts.append(piece)
        cancel.set()  # in the first block

    stopped = translator.translate_article(rows[TITLE], on_text=on_text, cancel=cancel)
    assert stopped.finish_reason == "cancelled" and stopped.blocks_done == 0
    assert translator.cached(rows[TITLE]) is None  # no body stored; the finished title is
    assert translator.cached_title(rows[TITLE]) == stopped.title
    done = translator.translate_article(rows[TITLE])
    clean = _assistant(paths, settings, store, tmp_path / "clean").translator(max_block_tokens=6)
    reference = clean.translate_article(rows[TITLE], refresh=True)
    assert done.finish_reason == "stop" and (done.title, done.html) == (reference.title, reference.html)


# --- a model server: what is asked, and how the pieces are rejoined -------------------------------------
def _upper(body: dict) -> list[str]:
    text = body["messages"][0]["content"].split("\n", 1)[1]
    return [" ", text.upper()[:3], text.upper()[3:]]


@pytest.mark.parametrize(("language", "joiner"), [("fr", " "), ("zh", "")])
def test_a_long_paragraph_goes_in_sentences_and_comes_back_as_one_block(
    env, language: str, joiner: str
) -> None:
    paths, settings, store, rows = env
    settings.set("ai.language", language)
    with FakeModelServer(reply_for=_upper) as srv:
        settings.set("ai.backend", "openai")
        settings.set("ai.endpoint", srv.base)
        translator = _assistant(paths, settings, store).translator()
        translator.piece_tokens, translator.first_piece_tokens = 24, 12
        shown: list[str] = []
        streamed: list[str] = []
        result = translator.translate_article(rows["Long"], on_title=shown.append, on_text=streamed.append)
        asked = [
            r["body"]["messages"][0]["content"].split("\n", 1)[1]
            for r in srv.requests
            if r["method"] == "POST"
        ]
    count = translator.assistant.backend.count_tokens
    pieces = sentence_pieces(LONG, count, 24, 12)
    assert len(pieces) >= 3 and asked == ["Long", *pieces]  # the title, then each piece in order
    assert result.blocks_total == result.blocks_done == 1
    assert result.html == "<p>" + joiner.join(p.upper() for p in pieces) + "</p>"
    assert "".join(streamed) == joiner.join(p.upper() for p in pieces)  # streamed as it is shown
    assert shown == ["LON", "LONG"]  # the title grew as the server wrote it


def test_a_title_already_in_the_language_still_leaves_the_article_cached(env) -> None:
    paths, settings, store, rows = env
    with FakeModelServer(reply_for=_upper) as srv:
        settings.set("ai.backend", "openai")
        settings.set("ai.endpoint", srv.base)
        translator = _assistant(paths, settings, store).translator()
        first = translator.translate_article(rows["海獭"])
        posts = len([r for r in srv.requests if r["method"] == "POST"])
        again = translator.translate_article(rows["海獭"])
        assert (
            posts == 1 and len([r for r in srv.requests if r["method"] == "POST"]) == posts
        )  # the body only
    assert first.title == "海獭" and not first.cached
    assert again.cached and (again.title, again.html) == (first.title, first.html)
