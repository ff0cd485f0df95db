"""`hearth model use`, `hearth summarize` (second run from the cache), `hearth digest` and `hearth chat`
driven through stdin, on a tiny random RWKV-7 and a real profile."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from app.cli import run
from app.config import Settings
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


def hearth(capsys, *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_model_use_validates_and_sets_the_active_model(capsys, data_dir, profile, tiny, tmp_path) -> None:
    code, out, _err = hearth(capsys, "model", "use", str(tiny))
    assert code == 0 and "RWKV-7" in out
    assert Settings.load(data_dir / "settings.json").get("ai.model_path") == str(tiny.resolve())
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a model")
    code, _out, err = hearth(capsys, "model", "use", str(junk))
    assert code == 1 and err.startswith("hearth: ") and "Traceback" not in err
    assert Settings.load(data_dir / "settings.json").get("ai.model_path") == str(tiny.resolve())


def test_summarize_twice_second_from_cache(capsys, data_dir, profile, tiny) -> None:
    hearth(capsys, "model", "use", str(tiny))
    code, first, err = hearth(capsys, "summarize", str(profile["otters"]))
    assert code == 0 and first.startswith("# Sea otters") and "from cache" not in err
    code, second, err = hearth(capsys, "summarize", str(profile["otters"]))
    assert code == 0 and "from cache" in err and second.split() == first.split()  # same text, no model run
    code, _third, err = hearth(capsys, "summarize", str(profile["otters"]), "--refresh")
    assert code == 0 and "from cache" not in err
    code, _out, err = hearth(capsys, "summarize", "999")
    assert code == 1 and "999" in err


def test_digest_lists_article_links(capsys, data_dir, profile, tiny) -> None:
    hearth(capsys, "model", "use", str(tiny))
    code, out, _err = hearth(capsys, "digest", f"folder:{profile['folder']}")
    assert code == 0
    assert f"<hearth://article/{profile['otters']}>" in out and f"<hearth://article/{profile['long']}>" in out
    code, out, _err = hearth(capsys, "digest", "unread")
    assert code == 0 and f"hearth://article/{profile['rain']}" in out


def test_chat_console_through_stdin(capsys, monkeypatch, data_dir, profile, tiny) -> None:
    hearth(capsys, "model", "use", str(tiny))
    lines = ["What do otters eat?", "/temp 0.5", "/topp 0.9", "/regen", "/continue", "/free Once upon",
             "/instruct Say hi", "/temp x", "/bogus", "/reset", "/regen", "/quit", "never asked"]  # fmt: skip
    script = "\n".join(lines) + "\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(script))
    code, out, _err = hearth(capsys, "chat", str(profile["otters"]))
    assert code == 0
    assert "Article read:" in out
    assert out.count("Assistant:") == 5  # ask, regen, continue, free, instruct
    assert "(temperature 0.5)" in out and "(top-p 0.9)" in out
    assert "! /temp needs a number" in out and "! unknown command /bogus" in out
    assert "(chat reset" in out and "! there is nothing to regenerate" in out
    monkeypatch.setattr("sys.stdin", io.StringIO("/quit\n"))
    code, out, _err = hearth(capsys, "chat", str(profile["otters"]))
    assert code == 0 and "state from the disk cache" in out  # a new process would not re-read the article
