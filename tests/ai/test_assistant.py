"""The Assistant facade on a tiny random RWKV-7 and a real SQLite library: summaries stream and are cached
per article + model + prompt version, chats read an article once (memory and disk state cache), long
articles are cut, digests link back, and bad configurations fail with clear messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.ai.assistant import Assistant, model_id_for, parse_scope
from app.ai.prompts import PROMPT_VERSION
from app.config import Paths, Settings
from app.errors import HearthError, ModelFormatError, ModelLoadError
from app.storage import open_store
from tests.support.ai_fixtures import ForwardCounter, build_library, tiny_checkpoint

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def env(tmp_path: Path, tiny: Path):
    paths = Paths(tmp_path / "data").ensure()
    ids = build_library(paths.db_path, long_words=400)
    settings = Settings(paths.settings_path)
    settings.set("ai.model_path", str(tiny))
    settings.set("ai.device", "cpu")
    settings.set("ai.max_tokens", 6)
    store = open_store(paths.db_path)
    yield paths, settings, store, ids
    store.close()


def test_summary_streams_then_comes_from_the_database(env) -> None:
    paths, settings, store, ids = env
    assistant = Assistant(settings, paths, store)
    pieces: list[str] = []
    first = assistant.summarize(ids["otters"], on_text=pieces.append)
    assert not first.cached and first.finish_reason in ("length", "stop", "eos")
    assert pieces and first.text == "".join(pieces).strip()
    saved = store.get_summary(
        ids["otters"], model_id_for(Path(settings.get("ai.model_path"))), PROMPT_VERSION
    )
    assert saved is not None and saved.text == first.text
    counter = ForwardCounter(assistant.model)
    again = Assistant(settings, paths, store).summarize(ids["otters"])
    assert again.cached and again.text == first.text and counter.calls == 0
    fresh = assistant.summarize(ids["otters"], refresh=True)
    assert not fresh.cached and counter.calls > 0


def test_cached_summary_never_imports_torch(env) -> None:
    paths, settings, store, ids = env
    assistant = Assistant(settings, paths, store)
    assistant.summarize(ids["rain"])
    settings.save()
    code = (
        "import json, sys\nfrom pathlib import Path\nfrom app.config import Paths, Settings\n"
        "from app.storage import open_store\nfrom app.ai.assistant import Assistant\n"
        "paths = Paths(Path(sys.argv[1]))\nstore = open_store(paths.db_path)\n"
        "a = Assistant(Settings.load(paths.settings_path), paths, store)\n"
        "r = a.summarize(int(sys.argv[2]))\n"
        "print(json.dumps([r.cached, 'torch' in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(paths.data_dir), str(ids["rain"])],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [True, False]


def test_article_is_read_once_then_from_memory_then_from_disk(env) -> None:
    paths, settings, store, ids = env
    assistant = Assistant(settings, paths, store)
    chat = assistant.article_chat(ids["otters"])
    assert chat is not None and chat.from_cache == "" and chat.context_tokens > 50
    counter = ForwardCounter(assistant.model)
    again = assistant.article_chat(ids["otters"])
    assert again is not None and again.from_cache == "memory" and counter.calls == 0
    reply = again.ask("What do otters eat?")
    assert counter.sizes[0] == reply.prompt_tokens < chat.context_tokens
    other = Assistant(settings, paths, store)  # a restart: the state comes back from the disk
    third = other.article_chat(ids["otters"])
    assert third is not None and third.from_cache == "disk"
    assert list(paths.states_dir.glob("*.state"))


def test_long_article_is_cut_to_the_context_budget(env) -> None:
    paths, settings, store, ids = env
    settings.set("ai.context_tokens", 120)
    assistant = Assistant(settings, paths, store)
    chat = assistant.article_chat(ids["long"])
    assert chat is not None and chat.cut_to is not None and chat.cut_to <= 120
    summary = assistant.summarize(ids["long"])
    assert summary.cut_to is not None and summary.cut_to <= 120
    whole = assistant.article_chat(ids["otters"])
    assert whole is not None and whole.cut_to is None


def test_digest_covers_unread_articles_with_links(env) -> None:
    paths, settings, store, ids = env
    assistant = Assistant(settings, paths, store)
    folder_ids = assistant.digest_ids(f"folder:{ids['folder']}")
    assert sorted(folder_ids) == sorted([ids["otters"], ids["long"]])
    assert assistant.digest_ids(str(ids["news_feed"])) == [ids["rain"]]
    result = assistant.digest(folder_ids, on_text=lambda _t: None)
    assert [i.article_id for i in result.items] == folder_ids
    assert result.items[0].link == f"hearth://article/{folder_ids[0]}"
    store.mark_read([ids["rain"]])
    assert assistant.digest([]).items == []
    assert assistant.digest_ids(str(ids["news_feed"])) == []
    with pytest.raises(HearthError, match="scope"):
        parse_scope("nonsense")


def test_configuration_errors_are_clear(env, tmp_path: Path) -> None:
    paths, settings, store, ids = env
    settings.set("ai.model_path", "")
    with pytest.raises(ModelLoadError, match="no AI model"):
        Assistant(settings, paths, store).summarize(ids["otters"])
    bad = tmp_path / "broken.pth"
    bad.write_bytes(b"this is not a checkpoint" * 100)
    settings.set("ai.model_path", str(bad))
    with pytest.raises((ModelFormatError, ModelLoadError)):
        Assistant(settings, paths, store).summarize(ids["otters"])
    settings.set("ai.model_path", str(tmp_path / "missing.pth"))
    with pytest.raises(ModelLoadError, match="not found"):
        Assistant(settings, paths, store).summarize(ids["otters"])
    settings.set("ai.enabled", False)
    with pytest.raises(ModelLoadError, match="switched off"):
        Assistant(settings, paths, store).load()


def test_the_kernels_setting_reaches_the_loaded_plan(env) -> None:
    paths, settings, store, _ids = env
    settings.set("ai.kernels", "torch")
    assistant = Assistant(settings, paths, store)
    assert assistant.load().plan.engine == "torch"
    settings.set("ai.kernels", "portable")
    model = assistant.load()  # a changed setting loads again
    assert model.plan.engine == "torch" or model.plan.variant == "portable"
