"""`hearth translate`, `hearth ask` and `hearth brief` on a real profile: through a loopback OpenAI-compatible
server (deterministic text) and on a tiny random RWKV-7 (streaming, cache)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import run
from app.config import Settings
from tests.ai.openai_server import FakeModelServer
from tests.support.ai_fixtures import build_library, tiny_checkpoint


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def profile(data_dir: Path) -> dict[str, int]:
    ids = build_library(data_dir / "hearth.sqlite3")
    settings = Settings.load(data_dir / "settings.json")
    settings.set("ai.max_tokens", 5)
    settings.set("ai.device", "cpu")
    settings.save()
    return ids


def configure(data_dir: Path, **values: object) -> None:
    settings = Settings.load(data_dir / "settings.json")
    for key, value in values.items():
        settings.set(key.replace("__", "."), value)
    settings.save()


def hearth(capsys, *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _upper(body: dict) -> list[str]:
    text = body["messages"][0]["content"].split("\n", 1)[1]
    return [" " + text.upper()]


def test_translate_through_a_server_then_from_the_cache(capsys, data_dir, profile) -> None:
    with FakeModelServer(reply_for=_upper) as srv:
        configure(data_dir, ai__backend="openai", ai__endpoint=srv.base)
        code, out, err = hearth(capsys, "translate", str(profile["otters"]), "--to", "fr")
        assert code == 0 and out.startswith("# SEA OTTERS\n") and "SEA OTTERS LIVE ALONG THE COASTS" in out
        assert "[fr; 2 of 2 blocks;" in err
        posts = len(srv.requests)
        code, again, err = hearth(capsys, "translate", str(profile["otters"]), "--to", "French")
        assert code == 0 and "from cache" in err and len(srv.requests) == posts
        assert again.split() == out.split()
    code, _out, err = hearth(capsys, "translate", str(profile["otters"]), "--to", "klingon")
    assert code == 1 and "unknown language" in err and "Traceback" not in err


def test_translate_on_the_tiny_model(capsys, data_dir, profile, tiny) -> None:
    configure(data_dir, ai__model_path=str(tiny), ai__context_tokens=64)
    code, out, err = hearth(capsys, "translate", str(profile["rain"]), "--to", "zh")
    assert code == 0 and out.startswith("# ") and "1 of 1 blocks" in err
    code, _out, err = hearth(capsys, "translate", str(profile["rain"]), "--to", "zh")
    assert code == 0 and "from cache" in err


def test_ask_lists_cited_sources_under_the_answer(capsys, data_dir, profile) -> None:
    with FakeModelServer(pieces=[" Otters use stones [1]."]) as srv:
        configure(data_dir, ai__backend="openai", ai__endpoint=srv.base)
        code, out, err = hearth(
            capsys, "ask", "Do sea otters use tools?", "--scope", f"folder:{profile['folder']}"
        )
        assert code == 0 and out.startswith("Otters use stones [1].\n\nSources:\n  [1] ")
        assert f"<hearth://article/{profile['otters']}>" in out and "(not cited)" in out  # [2] was not cited
        assert "2 sources" in err
        code, out, err = hearth(capsys, "ask", "volcanoes on mars", "--scope", "starred")
        assert code == 0 and "found nothing" in out and "Sources" not in out
        code, _out, err = hearth(capsys, "ask", "otters", "--scope", "folder:x")
        assert code == 1 and "unknown scope" in err and "Traceback" not in err


def test_brief_and_ai_rules(capsys, data_dir, profile) -> None:
    with FakeModelServer(pieces=[" Today: otters.\n- [1] tools."]) as srv:
        configure(data_dir, ai__backend="openai", ai__endpoint=srv.base, ai__language="en")
        code, out, err = hearth(capsys, "brief", "--scope", f"folder:{profile['folder']}")
        assert code == 0 and out.startswith("Today: otters.\n- [1] tools.\n\nArticles:\n  [1] ")
        assert f"<hearth://article/{profile['otters']}>" in out and "2 articles" in err
        code, again, err = hearth(capsys, "brief", "--scope", f"folder:{profile['folder']}")
        assert code == 0 and "from cache" in err and again == out
        code, _out, err = hearth(capsys, "brief", "--since", "yesterday")
        assert code == 1 and "not a date" in err
        feed = str(profile["otters_feed"])
        code, out, _err = hearth(
            capsys, "ai-rules", feed, "--summarize", "on", "--translate", "on", "--language", "zh_CN"
        )
        assert code == 0 and out.strip() == f"{feed}\tOtters: summarize, translate into zh"
        code, out, _err = hearth(capsys, "ai-rules")
        assert out.strip() == f"{feed}\tOtters: summarize, translate into zh"
        code, out, _err = hearth(capsys, "ai-rules", feed, "--run", "--cap", "1")
        assert code == 0 and "summarised 1, translated 0, left for later 2" in out
        code, _out, err = hearth(capsys, "ai-rules", "999", "--summarize", "on")
        assert code == 1 and "999" in err and "Traceback" not in err


def test_export_rss_carries_translations(capsys, data_dir, profile, tmp_path) -> None:
    with FakeModelServer(reply_for=_upper) as srv:
        configure(data_dir, ai__backend="openai", ai__endpoint=srv.base)
        assert hearth(capsys, "translate", str(profile["rain"]), "--to", "fr")[0] == 0
    out = tmp_path / "news.xml"
    feed = str(profile["news_feed"])
    assert hearth(capsys, "export-rss", "--feed", feed, "-o", str(out))[0] == 0
    assert "IT RAINED TODAY." not in out.read_text()
    assert hearth(capsys, "export-rss", "--feed", feed, "--with-translations", "-o", str(out))[0] == 0
    text = out.read_text()
    assert "AI translation" in text and "IT RAINED TODAY." in text and "It rained today." in text
