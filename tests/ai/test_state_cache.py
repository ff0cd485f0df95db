"""The article state cache: memory LRU, disk entries that survive a restart, keys that miss on any change."""

from __future__ import annotations

from pathlib import Path

import torch

from app.ai.state import State
from app.ai.state_cache import StateCache, StateKey, content_hash


def make_state(seed: int) -> State:
    g = torch.Generator().manual_seed(seed)
    return State("7", {"att_x": torch.randn(2, 8, generator=g), "wkv": torch.randn(2, 2, 4, 4, generator=g)})


def key(article: int = 1, text: str = "hello", model: str = "m.pth#10") -> StateKey:
    return StateKey(model, "p1-x", article, content_hash(text))


def test_memory_hit_is_a_copy(tmp_path: Path) -> None:
    cache = StateCache(None)
    state = make_state(0)
    cache.put(key(), state, {"tokens": 5})
    got = cache.get(key())
    assert got is not None and got.meta == {"tokens": 5}
    assert torch.equal(got.state.wkv, state.wkv)
    got.state.wkv.add_(1.0)  # advancing the handed-out state leaves the cached one alone
    again = cache.get(key())
    assert again is not None and torch.equal(again.state.wkv, state.wkv)
    assert cache.hits["memory"] == 2


def test_disk_entry_survives_a_new_cache(tmp_path: Path) -> None:
    state = make_state(1)
    StateCache(tmp_path / "states").put(key(), state, {"tokens": 7, "cut_to": None})
    fresh = StateCache(tmp_path / "states")
    got = fresh.get(key())
    assert got is not None and fresh.hits["disk"] == 1
    assert got.meta == {"tokens": 7, "cut_to": None}
    assert all(torch.equal(got.state.tensors[k], state.tensors[k]) for k in state.tensors)


def test_any_key_change_misses(tmp_path: Path) -> None:
    cache = StateCache(tmp_path)
    cache.put(key(), make_state(2))
    assert cache.get(key(text="hello, edited")) is None
    assert cache.get(key(article=2)) is None
    assert cache.get(key(model="other.pth#10")) is None
    assert cache.get(StateKey("m.pth#10", "p2-y", 1, content_hash("hello"))) is None
    assert cache.hits["miss"] == 4


def test_memory_lru_and_disk_bounds(tmp_path: Path) -> None:
    cache = StateCache(tmp_path, memory_items=2, disk_items=3)
    for i in range(5):
        cache.put(key(article=i), make_state(i))
    assert len(cache) == 2
    assert len(list(tmp_path.glob("*.state"))) == 3  # the oldest were pruned from disk
    assert StateCache(tmp_path).get(key(article=4)) is not None


def test_unreadable_file_is_dropped(tmp_path: Path) -> None:
    cache = StateCache(tmp_path)
    cache.put(key(), make_state(3))
    (path,) = tmp_path.glob("*.state")
    path.write_bytes(b"garbage")
    assert StateCache(tmp_path).get(key()) is None
    assert not path.exists()
