"""The user's own model server (ai.backend = openai) against a real loopback server speaking the OpenAI chat API:
streaming, cancelling by closing the stream, clear errors, and the assistant's summaries/digests through it
with the same prompts and the same cache."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.ai.assistant import Assistant
from app.ai.openai_backend import OpenAIClient, normalise_endpoint
from app.ai.prompts import PROMPT_VERSION, ChatMessage, summary_messages
from app.config import Paths, Settings
from app.errors import ConfigError, ModelError, ModelLoadError
from app.storage import open_store
from tests.ai.openai_server import FakeModelServer
from tests.support.ai_fixtures import build_library

ROOT = Path(__file__).resolve().parents[2]
HI = [ChatMessage("user", "hi")]


def test_streams_pieces_in_order_and_asks_the_servers_first_model() -> None:
    with FakeModelServer(models=["first", "second"], pieces=["Hel", "lo", " 你好"]) as srv:
        seen: list[str] = []
        result = OpenAIClient(srv.base).stream_chat(HI, temperature=0.5, max_tokens=9, on_text=seen.append)
    assert seen == ["Hel", "lo", " 你好"] and result.text == "Hello 你好"
    assert result.finish_reason == "stop" and result.model == "first" and result.first_text_s is not None
    assert [r["path"] for r in srv.requests] == ["/v1/models", "/v1/chat/completions"]
    sent = srv.requests[-1]
    assert sent["body"]["stream"] is True and sent["body"]["model"] == "first"
    assert sent["body"]["messages"] == [{"role": "user", "content": "hi"}]
    assert sent["body"]["max_tokens"] == 9 and sent["body"]["temperature"] == 0.5
    assert "cookie" not in sent["headers"] and "authorization" not in sent["headers"]


def test_length_finish_is_reported() -> None:
    with FakeModelServer(finish_reason="length") as srv:
        assert OpenAIClient(srv.base, "tiny-chat").stream_chat(HI).finish_reason == "length"
    assert [r["path"] for r in srv.requests] == ["/v1/chat/completions"]  # a named model needs no list


def test_cancel_closes_the_stream_while_the_server_is_still_thinking() -> None:
    cancel = threading.Event()
    with FakeModelServer(pieces=["one", "two", "three"], hang_after=1) as srv:
        client = OpenAIClient(srv.base, "tiny-chat")

        def on_text(piece: str) -> None:
            cancel.set()  # the user pressed Stop after the first word; the server is blocked mid-answer

        result = client.stream_chat(HI, on_text=on_text, cancel=cancel)
        assert srv.disconnected.wait(10)
    assert result.finish_reason == "cancelled" and result.text == "one"


def test_cancel_before_the_request_sends_nothing() -> None:
    cancel = threading.Event()
    cancel.set()
    with FakeModelServer() as srv:
        result = OpenAIClient(srv.base, "tiny-chat").stream_chat(HI, cancel=cancel)
    assert result.finish_reason == "cancelled" and srv.requests == []


def test_unreachable_server_is_a_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    with pytest.raises(ModelLoadError, match="cannot reach the model server") as info:
        OpenAIClient(f"http://127.0.0.1:{port}/v1", "m").stream_chat(HI)
    assert "ai.endpoint" in info.value.hint


def test_unknown_model_names_the_ones_the_server_has() -> None:
    with (
        FakeModelServer(models=["qwen", "llama"]) as srv,
        pytest.raises(ModelLoadError, match="'gpt-9'") as info,
    ):
        OpenAIClient(srv.base, "gpt-9").stream_chat(HI)
    assert "qwen, llama" in info.value.hint


def test_http_errors_carry_the_servers_message() -> None:
    with (
        FakeModelServer(status=500, error="out of memory") as srv,
        pytest.raises(ModelError, match="HTTP 500: out"),
    ):
        OpenAIClient(srv.base, "tiny-chat").stream_chat(HI)
    with (
        FakeModelServer(mid_stream_error="context too long") as srv,
        pytest.raises(ModelError, match="too long"),
    ):
        OpenAIClient(srv.base, "tiny-chat").stream_chat(HI)


def test_wrong_base_path_says_what_to_set() -> None:
    with (
        FakeModelServer() as srv,
        pytest.raises(ModelLoadError, match="no OpenAI-compatible chat API") as info,
    ):
        OpenAIClient(f"http://127.0.0.1:{srv.port}/api", "tiny-chat").stream_chat(HI)
    assert "/v1" in info.value.hint


@pytest.mark.parametrize(
    "text", ["file:///etc/passwd", "ftp://127.0.0.1/v1", "127.0.0.1:11434", "", "http://u:p@127.0.0.1/v1"]
)
def test_only_http_endpoints_are_allowed(text: str) -> None:
    with pytest.raises(ConfigError):
        normalise_endpoint(text)


def test_endpoint_normalisation() -> None:
    assert normalise_endpoint(" http://127.0.0.1:11434 ") == "http://127.0.0.1:11434/v1"
    assert normalise_endpoint("https://box.lan/v1/") == "https://box.lan/v1"


# --- the assistant through the server --------------------------------------------------------------------
@pytest.fixture
def env(tmp_path: Path):
    paths = Paths(tmp_path / "data").ensure()
    ids = build_library(paths.db_path)
    settings = Settings(paths.settings_path)
    settings.set("ai.backend", "openai")
    store = open_store(paths.db_path)
    yield paths, settings, store, ids
    store.close()


def test_summary_through_the_server_uses_the_same_prompt_and_cache(env) -> None:
    paths, settings, store, ids = env
    with FakeModelServer(pieces=["- Otters", " use tools.\nGist:", " otters."]) as srv:
        settings.set("ai.endpoint", srv.base)
        assistant = Assistant(settings, paths, store)
        pieces: list[str] = []
        first = assistant.summarize(ids["otters"], on_text=pieces.append)
        assert not first.cached and first.text == "- Otters use tools.\nGist: otters."
        assert "".join(pieces) == first.text
        article = store.get_article(ids["otters"])
        from app.ai.assistant import article_plain_text

        expected = summary_messages(article.title, article_plain_text(article))
        sent = srv.requests[-1]["body"]["messages"]
        assert sent == [{"role": m.role, "content": m.text} for m in expected]
        count = len(srv.requests)
        again = Assistant(settings, paths, store).summarize(ids["otters"])
        assert again.cached and again.text == first.text and len(srv.requests) == count
    model_id = f"openai:default@{srv.base}"
    assert first.model_id == model_id
    assert store.get_summary(ids["otters"], model_id, PROMPT_VERSION) is not None


def test_cancelled_summary_is_not_cached(env) -> None:
    paths, settings, store, ids = env
    cancel = threading.Event()
    with FakeModelServer(pieces=["a", "b", "c"], hang_after=1) as srv:
        settings.set("ai.endpoint", srv.base)
        assistant = Assistant(settings, paths, store)
        result = assistant.summarize(ids["rain"], on_text=lambda _: cancel.set(), cancel=cancel)
        assert srv.disconnected.wait(10)
    assert result.finish_reason == "cancelled"
    assert assistant.cached_summary(ids["rain"]) is None


def test_digest_through_the_server_links_back(env) -> None:
    paths, settings, store, ids = env
    with FakeModelServer(pieces=["- Sea otters: tools.", "\nOverall: animals."]) as srv:
        settings.set("ai.endpoint", srv.base)
        assistant = Assistant(settings, paths, store)
        result = assistant.digest(assistant.digest_ids(f"folder:{ids['folder']}"))
    assert result.text.startswith("- Sea otters") and {i.article_id for i in result.items} == {
        ids["otters"],
        ids["long"],
    }
    assert "Sea otters" in srv.requests[-1]["body"]["messages"][0]["content"]


def test_server_backend_needs_an_address_and_never_imports_torch(env) -> None:
    paths, settings, store, ids = env
    with pytest.raises(ConfigError, match="no model server address"):
        Assistant(settings, paths, store).summarize(ids["rain"])
    with FakeModelServer() as srv:
        settings.set("ai.endpoint", srv.base)
        settings.save()
        code = (
            "import json, sys\nfrom pathlib import Path\nfrom app.config import Paths, Settings\n"
            "from app.storage import open_store\nfrom app.ai.assistant import Assistant\n"
            "paths = Paths(Path(sys.argv[1]))\nstore = open_store(paths.db_path)\n"
            "a = Assistant(Settings.load(paths.settings_path), paths, store)\n"
            "r = a.summarize(int(sys.argv[2]))\n"
            "print(json.dumps([r.text, 'torch' in sys.modules]))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, str(paths.data_dir), str(ids["rain"])],
            capture_output=True, text=True, check=True, cwd=ROOT, timeout=120,
        )  # fmt: skip
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["Hello from the server.", False]
