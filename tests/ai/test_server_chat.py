"""Chatting about an article on the user's own model server: the article's opening is the first exchange, the
history is re-sent each turn, regenerate/continue/reset/free/instruct behave as on the built-in engine, and the
terminal console works over it."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest

from app.ai.assistant import Assistant
from app.cli import run
from app.config import Paths, Settings
from app.errors import ModelError
from app.storage import open_store
from tests.ai.openai_server import FakeModelServer
from tests.support.ai_fixtures import build_library


@pytest.fixture
def env(tmp_path: Path):
    paths = Paths(tmp_path / "data").ensure()
    ids = build_library(paths.db_path)
    settings = Settings(paths.settings_path, {"ai.backend": "openai"})
    store = open_store(paths.db_path)
    yield paths, settings, store, ids
    store.close()


def _sent(srv: FakeModelServer) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in srv.requests[-1]["body"]["messages"]]


def test_article_chat_resends_the_history(env) -> None:
    paths, settings, store, ids = env
    with FakeModelServer(pieces=[" They eat", " urchins."]) as srv:
        settings.set("ai.endpoint", srv.base)
        chat = Assistant(settings, paths, store).article_chat(ids["otters"])
        assert chat is not None and chat.article_id == ids["otters"] and chat.context_tokens > 0
        with pytest.raises(ModelError, match="nothing to regenerate"):
            chat.regenerate()
        pieces: list[str] = []
        first = chat.ask("What do otters eat?", on_text=pieces.append)
        assert first.text == " They eat urchins." and "".join(pieces) == first.text
        sent = _sent(srv)
        assert sent[0][0] == "user" and sent[0][1].startswith("Read this article; I will ask you about it.")
        assert "Sea otters live along the coasts" in sent[0][1]
        assert sent[1] == ("assistant", "I have read the article. What would you like to know about it?")
        assert sent[2] == ("user", "What do otters eat?")
        chat.ask("And how?")
        assert _sent(srv)[2:] == [("user", "What do otters eat?"), ("assistant", "They eat urchins."),
                                  ("user", "And how?")]  # fmt: skip
        chat.regenerate()
        assert _sent(srv)[-1] == ("user", "And how?") and len(chat.messages) == 4
        chat.continue_()
        assert _sent(srv)[-1] == ("user", "Please continue your last answer.")
        chat.instruct("Say hi")
        assert _sent(srv) == [("user", "Say hi")]  # instruction mode sends no article or history
        chat.reset()
        assert chat.messages == []
        cancel = threading.Event()
        cancel.set()
        assert chat.ask("again?", cancel=cancel).finish_reason == "cancelled" and chat.messages == []


def test_chat_console_over_a_server(capsys, monkeypatch, data_dir) -> None:
    ids = build_library(data_dir / "hearth.sqlite3")
    with FakeModelServer(pieces=[" Urchins."]) as srv:
        settings = Settings.load(data_dir / "settings.json")
        settings.set("ai.backend", "openai")
        settings.set("ai.endpoint", srv.base)
        settings.save()
        monkeypatch.setattr(
            "sys.stdin", io.StringIO("What do otters eat?\n/regen\n/reset\n/continue\n/quit\n")
        )
        code = run(["chat", str(ids["otters"])])
    out = capsys.readouterr().out
    assert code == 0 and "Article read:" in out and out.count("Assistant: Urchins.") == 2
    assert "! there is nothing to continue" in out
