"""The sampler: greedy paths, top-k / top-p filters, temperature, penalties with decay, seeds, distributions."""

from __future__ import annotations

import math
from collections import Counter

import pytest
import torch

from app.ai.sampler import GREEDY, Sampler, SamplingParams, penalty_exempt_ids
from app.ai.tokenizer import WorldTokenizer

V = 1000


def random_logits(seed: int = 0, vocab: int = V, scale: float = 3.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(vocab, generator=g) * scale


def no_penalty(**kw: object) -> SamplingParams:
    return SamplingParams(presence_penalty=0.0, frequency_penalty=0.0, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "params",
    [
        GREEDY,
        no_penalty(temperature=1.0, top_k=1),
        no_penalty(temperature=1.0, top_p=1e-6),
        no_penalty(top_p=0.0),
    ],
)
def test_greedy_paths_pick_the_argmax(params: SamplingParams) -> None:
    for seed in range(20):
        logits = random_logits(seed)
        assert Sampler(params, V).sample(logits) == int(torch.argmax(logits))


def test_logits_passed_in_are_not_modified() -> None:
    logits = random_logits()
    before = logits.clone()
    sampler = Sampler(SamplingParams(ban_eos=True, seed=1), V)
    sampler.observe(int(torch.argmax(logits)))
    sampler.sample(logits)
    assert torch.equal(logits, before)


def test_ban_eos() -> None:
    logits = torch.zeros(V)
    logits[0] = 50.0
    assert Sampler(GREEDY, V).sample(logits) == 0
    assert Sampler(GREEDY.with_(ban_eos=True), V).sample(logits) != 0


def test_penalties_change_the_choice_deterministically() -> None:
    logits = torch.zeros(V)
    logits[5], logits[6] = 2.0, 1.6  # 5 wins unless penalised
    params = GREEDY.with_(presence_penalty=0.3, frequency_penalty=0.3, penalty_decay=0.5)
    sampler = Sampler(params, V)
    assert sampler.sample(logits) == 5
    sampler.observe(5)  # 5 now costs 0.3 + 0.3 * 1 = 0.6 -> 1.4 < 1.6
    assert sampler.sample(logits) == 6
    adjusted = sampler.adjust(logits)
    assert adjusted[5].item() == pytest.approx(2.0 - 0.6)
    for _ in range(6):  # counts decay: 0.5 ** 6 leaves 5 with 0.3 + 0.3/64 -> 1.695 > 1.6
        sampler.observe(7)
    assert sampler.adjust(logits)[5].item() == pytest.approx(2.0 - 0.3 - 0.3 * 0.5**6)
    assert sampler.sample(logits) == 5


def test_frequency_penalty_grows_with_repeats() -> None:
    params = GREEDY.with_(presence_penalty=0.0, frequency_penalty=1.0, penalty_decay=1.0)
    sampler = Sampler(params, V)
    for _ in range(3):
        sampler.observe(9)
    assert sampler.adjust(torch.zeros(V))[9].item() == pytest.approx(-3.0)


def test_penalty_decay_over_many_steps_stays_exact() -> None:
    params = GREEDY.with_(presence_penalty=0.0, frequency_penalty=1.0, penalty_decay=0.99)
    sampler = Sampler(params, V)
    expected = 0.0
    for step in range(2000):  # the running scale is folded back in several times on the way
        token = 9 if step % 3 == 0 else 10
        expected *= 0.99
        expected += 1.0 if token == 9 else 0.0
        sampler.observe(token)
    assert sampler.adjust(torch.zeros(V))[9].item() == pytest.approx(-expected, rel=1e-4)


def test_exempt_tokens_get_no_penalty() -> None:
    params = GREEDY.with_(presence_penalty=1.0, frequency_penalty=1.0)
    sampler = Sampler(params, V, exempt=[3])
    sampler.observe(3)
    sampler.observe(4)
    adjusted = sampler.adjust(torch.zeros(V))
    assert adjusted[3].item() == 0.0
    assert adjusted[4].item() == pytest.approx(-(1.0 + 1.0))


def test_world_exempt_ids_are_whitespace_and_digits(world: WorldTokenizer) -> None:
    exempt = set(penalty_exempt_ids(world))
    for text in (" ", "\n", "\n\n", "\t", "2026", "   ", "0"):
        assert all(token in exempt for token in world.encode(text)), text
    for text in ("a", " the", ",", "User"):
        assert world.encode(text)[0] not in exempt


def test_seed_reproduces_and_seeds_differ() -> None:
    logits = random_logits(3, scale=0.5)  # flat enough that draws vary
    params = no_penalty(temperature=1.0, top_p=1.0, seed=1234)
    run = lambda p: [Sampler(p, V).sample(logits) for _ in range(1)] + _draws(p, logits, 50)  # noqa: E731
    assert run(params) == run(params)
    assert run(params) != run(params.with_(seed=4321))


def _draws(params: SamplingParams, logits: torch.Tensor, n: int) -> list[int]:
    sampler = Sampler(params, logits.shape[0])
    return [sampler.sample(logits) for _ in range(n)]


def test_distribution_matches_softmax_with_temperature() -> None:
    logits = torch.tensor([2.0, 1.0, 0.0, -1.0] + [-30.0] * 6)
    for temperature in (1.0, 0.5, 2.0):
        params = no_penalty(temperature=temperature, top_p=1.0, seed=7)
        counts = Counter(_draws(params, logits, 20000))
        expected = torch.softmax(logits / temperature, dim=-1)
        for token in range(4):
            p = expected[token].item()
            tolerance = 4 * math.sqrt(p * (1 - p) / 20000) + 1e-3
            assert abs(counts[token] / 20000 - p) < tolerance, (temperature, token)


def test_top_p_keeps_the_smallest_head_reaching_p() -> None:
    probs = torch.tensor([0.5, 0.3, 0.15, 0.05])
    logits = probs.log()
    seen = set(_draws(no_penalty(top_p=0.7, seed=3), logits, 3000))
    assert seen == {0, 1}  # 0.5 < 0.7 <= 0.8
    seen = set(_draws(no_penalty(top_p=0.85, seed=3), logits, 3000))
    assert seen == {0, 1, 2}


def test_top_p_ties_at_the_cutoff_are_kept() -> None:
    logits = torch.tensor([1.0, 1.0, 1.0, -5.0])
    seen = set(_draws(no_penalty(top_p=0.2, seed=5), logits, 2000))
    assert seen == {0, 1, 2}


def test_top_p_needing_more_than_the_probe_sorts_everything() -> None:
    vocab = 2000
    logits = torch.zeros(vocab)  # uniform: top-p 0.5 keeps 1000 tokens, far past the 256 probe
    draws = _draws(no_penalty(top_p=0.5, seed=11), logits, 600)
    assert len(set(draws)) > 300


@pytest.mark.parametrize("scale", [2.5, 1.3, 0.05])  # the 256 probe suffices, the 4096 one does, neither
def test_top_p_candidates_equal_a_full_sort(scale: float) -> None:
    logits = random_logits(21, vocab=65536, scale=scale)
    probs = torch.softmax(logits, -1)
    ordered, ids = torch.sort(probs, descending=True)
    reached = int(torch.searchsorted(torch.cumsum(ordered, -1), torch.tensor([0.3])))
    want = set(ids[ordered >= ordered[reached]].tolist())
    got, got_ids = Sampler(no_penalty(top_p=0.3), 65536)._candidates(logits)
    assert got_ids is not None and set(got_ids.tolist()) == want
    assert torch.equal(got, logits[got_ids])


def test_top_k_limits_the_candidates() -> None:
    logits = random_logits(8, vocab=V, scale=0.1)
    allowed = set(torch.topk(logits, 5).indices.tolist())
    draws = _draws(no_penalty(top_k=5, top_p=1.0, seed=2), logits, 2000)
    assert set(draws) == allowed


def test_top_k_and_top_p_together() -> None:
    probs = torch.tensor([0.4, 0.3, 0.2, 0.1])
    draws = set(_draws(no_penalty(top_k=3, top_p=0.95, seed=1), probs.log(), 3000))
    assert draws == {0, 1, 2}


@pytest.mark.parametrize(
    "bad",
    [{"temperature": -1.0}, {"top_p": 1.5}, {"top_k": -1}, {"penalty_decay": 0.0}, {"stop": ("",)}],
)
def test_invalid_params(bad: dict) -> None:
    with pytest.raises(ValueError):
        SamplingParams(**bad)


# Sampling speed over the full vocabulary: tests/bench/bench_sampler.py.
