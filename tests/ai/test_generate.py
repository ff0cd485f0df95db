"""The generation loop on real tiny random RWKV models: greedy ids equal the rwkv pip package's greedy loop,
stop strings, token budget, end-of-text, cancel, streaming of complete UTF-8 text, returned state."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from app.ai.generate import Generation, _find_stop, _held_back, generate, measure_speed, prefill
from app.ai.make_random import make_random_checkpoint
from app.ai.model import load_model
from app.ai.sampler import GREEDY, SamplingParams
from app.ai.tokenizer import WorldTokenizer

ORACLE = Path(__file__).with_name("oracle_rwkv.py")
PROMPT = [5, 17, 200, 3, 42, 7, 100, 250, 8, 1]
FREE = SamplingParams(
    temperature=1.0, top_p=1.0, presence_penalty=0.0, frequency_penalty=0.0, stop=(), seed=3
)


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gen-models")


@pytest.fixture(scope="module")
def byte_model(models_dir: Path):
    """A v7 model with a 257-token vocabulary: with the World tokenizer, ids 1..256 are the raw bytes, so a random
    model emits split and invalid UTF-8 all the time."""
    path = make_random_checkpoint(
        models_dir / "bytes.pth", version="7", n_layer=1, n_embd=64, vocab_size=257, seed=5
    )
    return load_model(path, device="cpu", dtype="fp32")


@pytest.fixture(scope="module")
def world_model(models_dir: Path):
    path = make_random_checkpoint(
        models_dir / "world.pth", version="7", n_layer=2, n_embd=128, vocab_size=65536
    )
    return load_model(path, device="cpu", dtype="fp32")


def run_oracle(checkpoint: Path, version: str, prompt: list[int], n: int, out: Path) -> list[int]:
    jobs = [
        {
            "checkpoint": str(checkpoint),
            "version": version,
            "cases": {"g": {"greedy": prompt, "n": n}},
            "out": str(out),
        }
    ]
    jobs_file = out.with_suffix(".json")
    jobs_file.write_text(json.dumps(jobs))
    subprocess.run(
        [sys.executable, str(ORACLE), str(jobs_file)], check=True, timeout=300, capture_output=True
    )
    return np.load(out)["g"].tolist()


@pytest.mark.parametrize("version", ["7"])  # the engines of every generation are checked in test_reference.py
def test_greedy_ids_equal_the_rwkv_package(models_dir: Path, world: WorldTokenizer, version: str) -> None:
    path = make_random_checkpoint(
        models_dir / f"oracle-v{version}.pth",
        version=version,
        n_layer=2,
        n_embd=128,
        vocab_size=1000,
        seed=21,
    )
    expected = run_oracle(path, version, PROMPT, 12, models_dir / f"oracle-v{version}.npz")
    model = load_model(path, device="cpu", dtype="fp32")
    gen = generate(model, world, PROMPT, GREEDY.with_(max_tokens=12, stop=()))
    assert gen.finish_reason == "length"
    assert gen.token_ids == expected
    assert gen.prompt_tokens == len(PROMPT)


def test_returned_state_has_seen_prompt_and_output(byte_model, world: WorldTokenizer) -> None:
    gen = generate(byte_model, world, PROMPT, FREE.with_(max_tokens=6))
    assert gen.state is not None and gen.logits is not None
    fresh_logits, _ = byte_model.forward(PROMPT + gen.token_ids)
    torch.testing.assert_close(gen.logits, fresh_logits, rtol=1e-4, atol=1e-4)
    after, _ = byte_model.forward([9], gen.state)
    fresh, _ = byte_model.forward([*PROMPT, *gen.token_ids, 9])
    torch.testing.assert_close(after, fresh, rtol=1e-4, atol=1e-4)


def test_continuing_from_state_and_logits_equals_one_long_run(byte_model, world: WorldTokenizer) -> None:
    params = GREEDY.with_(stop=())
    whole = generate(byte_model, world, PROMPT, params.with_(max_tokens=10))
    first = generate(byte_model, world, PROMPT, params.with_(max_tokens=4))
    second = generate(
        byte_model, world, [], params.with_(max_tokens=6), state=first.state, logits=first.logits
    )
    assert first.token_ids + second.token_ids == whole.token_ids
    assert second.prompt_tokens == 0


def test_the_callers_state_is_not_modified(byte_model, world: WorldTokenizer) -> None:
    _, state = byte_model.forward(PROMPT)
    before = state.copy()
    generate(byte_model, world, [7, 8], FREE.with_(max_tokens=3), state=state)
    assert all(torch.equal(before.tensors[k], state.tensors[k]) for k in state.tensors)


def test_max_tokens(byte_model, world: WorldTokenizer) -> None:
    gen = generate(byte_model, world, PROMPT, FREE.with_(max_tokens=7, ban_eos=True))
    assert (gen.finish_reason, len(gen.token_ids)) == ("length", 7)
    assert generate(byte_model, world, PROMPT, FREE.with_(max_tokens=0)).token_ids == []


def test_end_of_text_finishes_and_can_be_banned(byte_model, world: WorldTokenizer) -> None:
    hot = FREE.with_(temperature=20.0, max_tokens=3000)  # ~uniform over 257 ids: token 0 comes soon
    gen = generate(byte_model, world, PROMPT, hot)
    assert gen.finish_reason == "eos"
    assert 0 not in gen.token_ids
    banned = generate(byte_model, world, PROMPT, hot.with_(ban_eos=True, max_tokens=len(gen.token_ids) + 50))
    assert banned.finish_reason == "length" and 0 not in banned.token_ids


def test_streaming_emits_only_complete_utf8(byte_model, world: WorldTokenizer) -> None:
    pieces: list[str] = []
    gen = generate(byte_model, world, PROMPT, FREE.with_(max_tokens=300, ban_eos=True), on_text=pieces.append)
    assert "".join(pieces) == gen.text == world.decode(gen.token_ids)
    assert all(pieces)
    # the stream really did contain multi-byte sequences split across tokens
    assert any(b >= 0xC2 for t in gen.token_ids for b in world.token_bytes(t))


def test_streaming_world_vocabulary(world_model, world: WorldTokenizer) -> None:
    pieces: list[str] = []
    gen = generate(
        world_model, world, "User: 你好\n\nAssistant:", FREE.with_(max_tokens=12), on_text=pieces.append
    )
    assert "".join(pieces) == gen.text == world.decode(gen.token_ids)
    assert gen.prompt_tokens == len(world.encode("User: 你好\n\nAssistant:"))


def test_seed_reproduces(byte_model, world: WorldTokenizer) -> None:
    a = generate(byte_model, world, PROMPT, FREE.with_(max_tokens=20, seed=99))
    b = generate(byte_model, world, PROMPT, FREE.with_(max_tokens=20, seed=99))
    c = generate(byte_model, world, PROMPT, FREE.with_(max_tokens=20, seed=100))
    assert a.token_ids == b.token_ids != c.token_ids


def _reference_text(byte_model, world: WorldTokenizer, n: int = 80) -> Generation:
    return generate(byte_model, world, PROMPT, GREEDY.with_(max_tokens=n, stop=(), ban_eos=True))


@pytest.mark.parametrize("where", [0.3, 0.6])
def test_stop_string_ends_the_run_and_is_not_emitted(byte_model, world: WorldTokenizer, where: float) -> None:
    ref = _reference_text(byte_model, world)
    start = int(len(ref.text) * where)
    stop = ref.text[start : start + 3]
    cut = ref.text.find(stop)
    pieces: list[str] = []
    gen = generate(
        byte_model,
        world,
        PROMPT,
        GREEDY.with_(max_tokens=80, stop=(stop,), ban_eos=True),
        on_text=pieces.append,
    )
    assert gen.finish_reason == "stop" and gen.stop == stop
    assert gen.text == ref.text[:cut] == "".join(pieces)
    assert gen.token_ids == ref.token_ids[: len(gen.token_ids)]
    assert stop not in "".join(pieces)
    # the state includes the token that completed the stop string
    fresh, _ = byte_model.forward(PROMPT + gen.token_ids)
    torch.testing.assert_close(gen.logits, fresh, rtol=1e-4, atol=1e-4)


def test_stop_prefix_is_held_back_then_released(byte_model, world: WorldTokenizer) -> None:
    ref = _reference_text(byte_model, world, 40)
    never = ref.text[10:12] + "\x00never"  # starts matching, never completes
    pieces: list[str] = []
    gen = generate(
        byte_model,
        world,
        PROMPT,
        GREEDY.with_(max_tokens=40, stop=(never,), ban_eos=True),
        on_text=pieces.append,
    )
    assert gen.finish_reason == "length"
    assert "".join(pieces) == gen.text == ref.text


def test_earliest_of_several_stops_wins(byte_model, world: WorldTokenizer) -> None:
    ref = _reference_text(byte_model, world)
    late, early = ref.text[50:53], ref.text[20:22]
    gen = generate(byte_model, world, PROMPT, GREEDY.with_(max_tokens=80, stop=(late, early), ban_eos=True))
    assert gen.stop == early and gen.text == ref.text[: ref.text.find(early)]


class CountingModel:
    """The real model, counting forward calls (to see exactly how many tokens follow a cancel)."""

    def __init__(self, model) -> None:
        self.model = model
        self.info, self.device, self.dtype, self.vocab_size = (
            model.info,
            model.device,
            model.dtype,
            model.vocab_size,
        )
        self.calls = 0

    def new_state(self):
        return self.model.new_state()

    def forward(self, tokens, state=None, *, inplace=False):
        self.calls += 1
        return self.model.forward(tokens, state, inplace=inplace)


def test_cancel_from_the_callback_stops_within_one_token(byte_model, world: WorldTokenizer) -> None:
    model = CountingModel(byte_model)
    cancel = threading.Event()
    pieces: list[str] = []
    calls_at_cancel: list[int] = []

    def on_text(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) == 5:
            cancel.set()
            calls_at_cancel.append(model.calls)

    gen = generate(
        model, world, PROMPT, FREE.with_(max_tokens=200, ban_eos=True), on_text=on_text, cancel=cancel
    )
    assert gen.finish_reason == "cancelled"
    # on_text runs before its token is fed; that token is fed, then the flag is seen: nothing more
    assert model.calls == calls_at_cancel[0] + 1
    assert len(gen.token_ids) == model.calls - 1  # one prefill call, one call per token
    assert "".join(pieces) == gen.text


def test_cancel_from_another_thread(world_model, world: WorldTokenizer) -> None:
    cancel = threading.Event()
    seen = threading.Event()
    result: list[Generation] = []
    n_at_set: list[int] = []
    token_count = [0]

    def on_text(_: str) -> None:
        token_count[0] += 1
        seen.set()

    worker = threading.Thread(
        target=lambda: result.append(
            generate(world_model, world, "hi", FREE.with_(max_tokens=10_000), on_text=on_text, cancel=cancel)
        )
    )
    worker.start()
    assert seen.wait(60)
    cancel.set()
    n_at_set.append(token_count[0])
    worker.join(60)
    assert not worker.is_alive()
    (gen,) = result
    assert gen.finish_reason == "cancelled"
    assert (
        len(gen.token_ids) <= n_at_set[0] + 2
    )  # the token in flight when the flag was set, at most one more


def test_cancel_before_start(byte_model, world: WorldTokenizer) -> None:
    cancel = threading.Event()
    cancel.set()
    gen = generate(byte_model, world, PROMPT, FREE, cancel=cancel)
    assert (gen.finish_reason, gen.token_ids, gen.state) == ("cancelled", [], None)
    assert prefill(byte_model, PROMPT, cancel=cancel) is None


def test_empty_prompt_starts_a_document(byte_model, world: WorldTokenizer) -> None:
    gen = generate(byte_model, world, "", GREEDY.with_(max_tokens=3, stop=()))
    expected = generate(byte_model, world, [0], GREEDY.with_(max_tokens=3, stop=()))
    assert gen.token_ids == expected.token_ids and gen.prompt_tokens == 0


def test_long_prompt_is_fed_in_slices(byte_model, world: WorldTokenizer) -> None:
    long_prompt = [(i * 7) % 256 + 1 for i in range(1200)]  # three prefill slices
    logits, _ = prefill(byte_model, long_prompt)
    whole, _ = byte_model.forward(long_prompt)
    torch.testing.assert_close(logits, whole, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    ("text", "stops", "held"),
    [
        ("abc", ("\n\n",), 0),
        ("abc\n", ("\n\n",), 1),
        ("ab\nUs", ("\nUser:",), 3),
        ("x", (), 0),
        ("a\n\n", ("\n\n",), 2),
    ],
)
def test_held_back(text: str, stops: tuple[str, ...], held: int) -> None:
    assert _held_back(text, stops) == min(held, max((len(s) - 1 for s in stops), default=0))


def test_find_stop() -> None:
    assert _find_stop("hello\n\nUser:", ("User:", "\n\n"), 0) == (5, "\n\n")
    assert _find_stop("hello", ("\n\n",), 0) is None


def test_measure_speed(byte_model) -> None:
    speed = measure_speed(byte_model, prefill_tokens=32, decode_tokens=4)
    assert speed["prefill_tokens"] == 32 and speed["decode_tokens"] == 4
    assert speed["prefill_tokens_per_s"] > 0 and speed["decode_tokens_per_s"] > 0


def test_prompt_ids_outside_the_vocabulary_are_a_model_error(byte_model, world: WorldTokenizer) -> None:
    from app.errors import ModelError

    with pytest.raises(ModelError, match="vocabulary"):
        generate(byte_model, world, "User: hi", FREE)  # World ids >> 257
