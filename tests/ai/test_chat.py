"""Chat sessions on a tiny random RWKV-7: follow-ups feed only the question, regenerate, continue, reset,
free and instruction modes, cancellation."""

from __future__ import annotations

import threading

import pytest

from app.ai.chat import ChatSession
from app.ai.generate import prefill
from app.ai.model import load_model
from app.ai.sampler import GREEDY
from app.ai.tokenizer import WorldTokenizer
from app.errors import ModelError
from tests.support.ai_fixtures import ForwardCounter, tiny_checkpoint

ARTICLE = "User: Read this: otters use stones as tools.\n\nAssistant: I have read it.\n\n"


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory):
    return load_model(tiny_checkpoint(tmp_path_factory.mktemp("tiny")), device="cpu", dtype="fp32")


@pytest.fixture(scope="module")
def tokenizer() -> WorldTokenizer:
    return WorldTokenizer.default()


def session(model, tokenizer, max_tokens: int = 6) -> tuple[ChatSession, int]:
    ids = tokenizer.encode(ARTICLE)
    _logits, base = prefill(model, ids)
    return ChatSession(model, tokenizer, GREEDY.with_(max_tokens=max_tokens), base), len(ids)


def test_follow_up_feeds_only_the_question(model, tokenizer) -> None:
    chat, article_tokens = session(model, tokenizer)
    counter = ForwardCounter(model)
    try:
        first = chat.ask("What do otters use?")
        question = len(tokenizer.encode("User: What do otters use?\n\nAssistant:"))
        assert first.prompt_tokens == question
        counter.reset()
        second = chat.ask("Why?")
        # the prompt ("\n\n" to close an unfinished turn + the question) in one call, then one token at a time
        assert counter.sizes[0] == second.prompt_tokens < article_tokens
        assert all(size == 1 for size in counter.sizes[1:])
        assert [m.role for m in chat.messages] == ["user", "assistant", "user", "assistant"]
    finally:
        counter.restore()


def test_regenerate_restarts_from_before_the_question(model, tokenizer) -> None:
    chat, _n = session(model, tokenizer)
    first = chat.ask("Tell me more")
    again = chat.regenerate()  # greedy: the same start state gives the same answer
    assert again.text == first.text
    assert len(chat.messages) == 2 and chat.messages[0].text == "Tell me more"
    warmer = chat.regenerate(temperature=1.5, top_p=1.0)
    assert warmer.kind == "chat" and len(chat.messages) == 2


def test_continue_extends_an_unfinished_answer(model, tokenizer) -> None:
    chat, _n = session(model, tokenizer, max_tokens=4)
    first = chat.ask("Go on")
    assert first.finish_reason == "length"
    more = chat.continue_()
    assert more.text.startswith(first.text) and len(more.text) > len(first.text)
    assert chat.messages[-1].text == more.text.strip()


def test_reset_free_and_instruct(model, tokenizer) -> None:
    chat, _n = session(model, tokenizer)
    chat.ask("Hi")
    chat.reset()
    assert chat.messages == []
    with pytest.raises(ModelError, match="nothing to regenerate"):
        chat.regenerate()
    free = chat.free("Once upon a time", max_tokens=5)
    assert free.kind == "free" and free.new_tokens == 5 and chat.messages == []
    more = chat.continue_()
    assert more.text.startswith(free.text)
    instruct = chat.instruct("Translate the article to French")
    assert instruct.kind == "instruct" and instruct.prompt_tokens > 0
    with pytest.raises(ModelError, match="empty"):
        chat.ask("   ")


def test_cancel_stops_within_a_token_and_before_the_prompt(model, tokenizer) -> None:
    chat, _n = session(model, tokenizer, max_tokens=200)
    cancel = threading.Event()
    pieces: list[str] = []

    def on_text(piece: str) -> None:
        pieces.append(piece)
        cancel.set()

    reply = chat.ask("Say a lot", on_text=on_text, cancel=cancel)
    assert reply.finish_reason == "cancelled" and reply.new_tokens <= 2
    early = threading.Event()
    early.set()
    before = list(chat.messages)
    nothing = chat.ask("Never read", cancel=early)
    assert nothing.finish_reason == "cancelled" and chat.messages == before
