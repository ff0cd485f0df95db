"""Read-ahead on a tiny random RWKV-7: the planner (newest unread first, what is read already, the disk budget),
the states on disk (compact), a summary and the first chat question then feeding only their own tail (tokens
counted through the model's forward), the budget evicting the oldest states, cancel, and the battery probe on a
sysfs-like folder."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.ai.assistant import Assistant
from app.ai.read_ahead import ReadAhead, on_battery, plan_read_ahead
from app.ai.results import FinishReason, StateSource
from app.ai.state_cache import StateCache
from app.config import Paths, Settings
from tests.support.ai_fixtures import ForwardCounter, otters_env, tiny_checkpoint


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def env(tmp_path: Path, tiny: Path):
    paths, settings, store, newest_first = otters_env(tmp_path, tiny, articles=5, language="en")
    # "en", the articles' own language: read-ahead translates no titles here
    yield paths, settings, store, newest_first
    store.close()


def _assistant(paths: Paths, settings: Settings, store, **cache) -> Assistant:
    return Assistant(settings, paths, store, state_cache=StateCache(paths.states_dir, **cache))


def test_the_plan_is_newest_first_skips_what_is_read_and_fits_the_budget() -> None:
    ids = [50, 40, 30, 20, 10]  # newest first
    assert plan_read_ahead(ids, lambda i: False, limit=10, state_bytes=100, budget_bytes=10_000) == ids
    assert plan_read_ahead(ids, lambda i: i == 40, limit=3, state_bytes=100, budget_bytes=10_000) == [50, 30]
    # two states per article: 700 bytes hold three articles
    assert plan_read_ahead(ids, lambda i: False, limit=10, state_bytes=100, budget_bytes=700) == [50, 40, 30]
    assert plan_read_ahead(ids, lambda i: False, limit=10, state_bytes=100, budget_bytes=100) == []


def test_read_ahead_does_nothing_before_a_model_is_loaded(env) -> None:
    paths, settings, store, _ids = env
    assistant = _assistant(paths, settings, store)
    assert assistant.read_ahead().run() is None and not assistant.loaded
    assert assistant.states.disk_usage() == 0


def test_states_are_on_disk_and_a_summary_then_feeds_only_the_tail(env) -> None:
    paths, settings, store, ids = env
    reader = _assistant(paths, settings, store)
    reader.load()
    progress = []
    result = reader.read_ahead(limit=2).run(on_progress=progress.append)
    assert result is not None and result.read == tuple(ids[:2]) and result.finish_reason == FinishReason.STOP
    assert [(p.done, p.total) for p in progress] == [(0, 2), (1, 2), (2, 2)]
    files = list(paths.states_dir.glob("*.state"))
    assert len(files) == 4  # the chat opening and the summary head of each
    state_bytes = reader.model.new_state().nbytes()
    assert all(f.stat().st_size < state_bytes * 0.6 for f in files)  # float16 on disk, about half
    assert reader.read_ahead(limit=2).run() is None  # all read: nothing to do

    # a new window (empty memory): the states come from disk
    assistant = _assistant(paths, settings, store)
    counter = ForwardCounter(assistant.load())
    try:
        summary = assistant.summarize(ids[0])
        assert summary.text and not summary.cached
        assert counter.sizes[0] <= 4  # "\n\nAssistant:" only, never the article
        counter.reset()
        cold = assistant.summarize(ids[2])  # not read ahead: the whole prompt is read
        assert cold.text and counter.sizes[0] > 100
        assert len(list(paths.states_dir.glob("*.state"))) == 4  # a cold summary keeps no head state
        counter.reset()
        chat = assistant.article_chat(ids[1])
        assert chat is not None and chat.from_cache == StateSource.DISK and counter.tokens == 0
        reply = chat.ask("What do otters eat?")
        assert counter.sizes[0] == reply.prompt_tokens < 24  # the question, not the article
    finally:
        counter.restore()


def test_the_budget_evicts_the_oldest_states(env) -> None:
    paths, settings, store, ids = env
    reader = _assistant(paths, settings, store, disk_items=4)  # room for two articles
    reader.load()
    result = reader.read_ahead(limit=3).run()
    assert result is not None and result.read == tuple(ids[:3])
    assert len(list(paths.states_dir.glob("*.state"))) == 4
    fresh = _assistant(paths, settings, store)
    fresh.load()
    cached = {i: fresh.article_state_cached(store.get_article(i)) for i in ids[:3]}
    assert cached == {ids[0]: False, ids[1]: True, ids[2]: True}  # the first read is the oldest, gone


def test_cancel_stops_between_articles(env) -> None:
    paths, settings, store, ids = env
    reader = _assistant(paths, settings, store)
    reader.load()
    cancel = threading.Event()

    def progress(p) -> None:
        if p.done == 1:
            cancel.set()

    result = reader.read_ahead(limit=3).run(cancel=cancel, on_progress=progress)
    assert result is not None and result.finish_reason == FinishReason.CANCELLED and result.read == (ids[0],)
    again = reader.read_ahead(limit=3).run()  # runs on from where it stopped
    assert again is not None and again.read == tuple(ids[1:3])


def _supply(root: Path, name: str, **files: str) -> None:
    (root / name).mkdir(parents=True)
    for key, value in files.items():
        (root / name / key).write_text(value + "\n")


def test_on_battery_reads_the_power_supply_folder(tmp_path: Path) -> None:
    assert on_battery(tmp_path / "missing") is False
    laptop = tmp_path / "laptop"
    _supply(laptop, "BAT0", type="Battery", status="Discharging")
    _supply(laptop, "AC", type="Mains", online="0")
    assert on_battery(laptop) is True
    (laptop / "AC" / "online").write_text("1\n")
    assert on_battery(laptop) is False
    charging = tmp_path / "charging"
    _supply(charging, "BAT1", type="Battery", status="Charging")
    assert on_battery(charging) is False
    desktop = tmp_path / "desktop"
    _supply(desktop, "AC0", type="Mains", online="1")
    assert on_battery(desktop) is False


def test_read_ahead_object_plans_from_the_library(env) -> None:
    paths, settings, store, ids = env
    reader = _assistant(paths, settings, store)
    reader.load()
    assert ReadAhead(reader, limit=3).plan() == ids[:3]
    assert ReadAhead(reader, limit=3, budget_mb=0).plan() == []
