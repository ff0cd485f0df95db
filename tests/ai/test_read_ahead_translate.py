"""Read-ahead prepares Translate (tiny random RWKV-7, forward calls counted): the titles of the articles it reads
are translated into ai.language and stored, and the first block's instructions kept, so Translate on such an
article shows its title before any model work and reads only the first block's own tokens; an article already in
the user's language costs no model run; a cancel keeps no title; a second pass has nothing left to do."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.ai.assistant import Assistant
from app.ai.prompts import chat_prompt
from app.ai.read_ahead import ReadAhead
from app.ai.results import FinishReason
from app.ai.state_cache import StateCache
from app.ai.task_prompts import translate_head, translate_messages
from app.config import Paths, Settings
from tests.support.ai_fixtures import ForwardCounter, otters_env, tiny_checkpoint


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def env(tmp_path: Path, tiny: Path):
    paths, settings, store, newest_first = otters_env(tmp_path, tiny, articles=3, language="zh")
    yield paths, settings, store, newest_first
    store.close()


def _assistant(paths: Paths, settings: Settings, store) -> Assistant:
    return Assistant(settings, paths, store, state_cache=StateCache(paths.states_dir))


def _first_block_tail(tokenizer) -> int:
    """Tokens of the first block's prompt after its instructions."""
    first = "Sea otters live along the coasts of the North Pacific."  # OTTERS' first sentence
    prompt = chat_prompt(translate_messages(first, "zh"))
    return len(tokenizer.encode(prompt[len(translate_head("zh")) :]))


def test_a_read_ahead_article_shows_its_title_before_any_model_work(env) -> None:
    paths, settings, store, ids = env
    reader = _assistant(paths, settings, store)
    reader.load()
    result = ReadAhead(reader, limit=1, max_title_tokens=4).run()
    assert result is not None and result.read == (ids[0],) and result.finish_reason == FinishReason.STOP
    stored = reader.translator().cached_title(ids[0])
    assert stored and reader.translator().cached_title(ids[1]) is None
    assert ReadAhead(reader, limit=1, max_title_tokens=4).run() is None  # nothing left: the title counts

    fresh = _assistant(paths, settings, store)  # a new window: the first block's instructions come from disk
    counter = ForwardCounter(fresh.load())
    calls_at_title: list[int] = []
    try:
        translator = fresh.translator(max_block_tokens=4)
        translator.first_piece_tokens = 16  # the first piece is the first sentence
        done = translator.translate_article(ids[0], on_title=lambda _t: calls_at_title.append(counter.calls))
        assert done.finish_reason == "stop" and done.title == stored
        assert calls_at_title == [0]  # shown whole, before the model ran at all
        assert counter.sizes[0] == _first_block_tail(fresh.tokenizer)  # the instructions were read ahead
        counter.reset()
        calls_at_title.clear()
        cold = translator.translate_article(ids[1], on_title=lambda _t: calls_at_title.append(counter.calls))
        assert (
            cold.finish_reason == "stop" and calls_at_title[0] > 0
        )  # not read ahead: its title is written now
    finally:
        counter.restore()


def test_an_article_in_the_users_language_needs_no_title_run(env) -> None:
    paths, settings, store, ids = env
    settings.set("ai.language", "en")  # the articles are English already
    reader = _assistant(paths, settings, store)
    reader.load()
    result = ReadAhead(reader, limit=1, max_title_tokens=4).run()
    assert result is not None and result.read == (ids[0],)
    assert store.latest_translations(ids, part="title") == {}  # no model run wrote one
    assert ReadAhead(reader, limit=1, max_title_tokens=4).run() is None  # and it counts as read


def test_a_cancel_during_the_title_keeps_no_title(env) -> None:
    paths, settings, store, ids = env
    reader = _assistant(paths, settings, store)
    model = reader.load()
    assert reader.tokenizer is not None
    title_head = len(reader.tokenizer.encode(translate_head("zh", "title")))
    cancel = threading.Event()
    inner = model.forward

    def forward(tokens, state=None, **kwargs):
        if len(tokens) == title_head:
            cancel.set()  # the title's instructions are read: stop before its translation
        return inner(tokens, state, **kwargs)

    model.forward = forward
    try:
        stopped = ReadAhead(reader, limit=2, max_title_tokens=4).run(cancel=cancel)
    finally:
        model.__dict__.pop("forward", None)
    assert cancel.is_set() and stopped is not None
    assert stopped.finish_reason == FinishReason.CANCELLED and stopped.read == ()
    assert reader.translator().cached_title(ids[0]) is None
    again = ReadAhead(reader, limit=1, max_title_tokens=4).run()  # the next pass does it
    assert again is not None and again.read == (ids[0],) and reader.translator().cached_title(ids[0])
