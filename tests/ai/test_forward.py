"""Engine behaviour beyond the numbers: state forks and persistence, input checks, options of load_model."""

from __future__ import annotations

import pytest
import torch

from app.ai.make_random import make_random_checkpoint
from app.ai.model import load_model
from app.ai.state import State
from app.errors import ModelError, ModelLoadError

PROMPT = [3, 1, 4, 1, 5, 9, 2, 6]


@pytest.fixture(scope="module", params=["4", "5.2", "6", "7"])
def model(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"fwd{request.param}")
    path = make_random_checkpoint(
        root / "m", version=request.param, n_layer=2, n_embd=128, vocab_size=200, seed=3
    )
    return load_model(path, device="cpu", dtype="fp32")


def _continue(model, state: State, tokens: list[int]) -> torch.Tensor:
    logits, _ = model.forward(tokens, state)
    return logits


def test_forward_does_not_mutate_the_passed_state_unless_inplace(model):
    _, state = model.forward(PROMPT)
    before = state.copy()
    model.forward([7, 8], state)
    assert all(torch.equal(before.tensors[k], state.tensors[k]) for k in state.tensors)
    _, same = model.forward([7], state, inplace=True)
    assert same is state
    assert not torch.equal(before.att_x, state.att_x)


def test_state_copy_and_bytes_round_trip_continue_identically(model):
    _, state = model.forward(PROMPT)
    fork = state.copy()
    restored = State.from_bytes(state.to_bytes())
    expected = _continue(model, state, [10, 11, 12])
    assert torch.equal(_continue(model, fork, [10, 11, 12]), expected)
    assert torch.equal(_continue(model, restored, [10, 11, 12]), expected)
    assert restored.matches(state) and restored.version == model.info.version


def test_new_state_is_fresh_each_time(model):
    a = model.new_state()
    model.forward(PROMPT, a, inplace=True)
    assert all(torch.count_nonzero(t) == 0 or k == "pp" for k, t in model.new_state().tensors.items())


def test_bad_tokens_are_value_errors(model):
    with pytest.raises(ValueError):
        model.forward([])
    with pytest.raises(ValueError):
        model.forward([model.vocab_size])
    with pytest.raises(ValueError):
        model.forward([-1])


def test_garbage_state_bytes():
    with pytest.raises(ModelError):
        State.from_bytes(b"not a state")


def test_load_options(tmp_path):
    path = make_random_checkpoint(tmp_path / "m", version="7", n_layer=1, n_embd=64, vocab_size=100)
    with pytest.raises(ModelLoadError, match="fp16"):
        load_model(path, device="cpu", dtype="fp16")
    with pytest.raises(ModelLoadError, match="unknown dtype"):
        load_model(path, dtype="fp8")
    if not torch.cuda.is_available():
        with pytest.raises(ModelLoadError, match="CUDA"):
            load_model(path, device="cuda")
    seen: list[float] = []
    threads = torch.get_num_threads()
    try:
        model = load_model(path, dtype="auto", threads=1, progress=seen.append)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)
    assert model.dtype == ("fp16" if torch.cuda.is_available() else "int8")  # auto: see app/ai/plan.py
    assert seen[-1] == 1.0 and seen == sorted(seen)


def test_tuned_state_file_sets_the_initial_state(tmp_path):
    path = make_random_checkpoint(tmp_path / "m", version="7", n_layer=2, n_embd=128, vocab_size=100)
    tuned = {f"blocks.{i}.att.time_state": torch.randn(2, 64, 64) for i in range(2)}
    torch.save(tuned, tmp_path / "state.pth")
    model = load_model(path, device="cpu", dtype="fp32", state_file=tmp_path / "state.pth")
    state = model.new_state()
    assert torch.equal(state.wkv[1], tuned["blocks.1.att.time_state"])  # RWKV-7 keeps the file layout
    plain = load_model(path, device="cpu", dtype="fp32")
    assert not torch.equal(model.forward([1, 2])[0], plain.forward([1, 2])[0])


@pytest.mark.parametrize("version", ["4", "5.2", "6"])
def test_fp16_rescaling_leaves_logits_unchanged(tmp_path, monkeypatch, version):
    """The RWKV-4/5/6 fp16 overflow guard (x/2 every N layers) leaves the logits as they were, up to the
    LayerNorm eps (1e-5 on a smaller x); checked in fp32, with rescaling every 2 of 7 layers (x/8 at the end)."""
    import app.ai.model as model_mod

    path = make_random_checkpoint(tmp_path / "m", version=version, n_layer=7, n_embd=64, vocab_size=100)
    plain = load_model(path, device="cpu", dtype="fp32").forward(PROMPT)[0]
    engine = model_mod._engine_class(version)

    class Rescaled(engine):
        def _rescale_policy(self) -> int:
            return 2

    monkeypatch.setattr(model_mod, "_engine_class", lambda v, plan=None: Rescaled)
    rescaled = load_model(path, device="cpu", dtype="fp32")
    assert rescaled.rescale_every == 2
    logits = rescaled.forward(PROMPT)[0]
    assert torch.allclose(logits, plain, rtol=0, atol=2e-3 * float(plain.abs().max()))


def test_outputs_can_be_edited_in_place_by_callers(model):
    logits, state = model.forward(PROMPT)
    logits[0] -= 1e10  # samplers ban tokens in place
    for t in state.tensors.values():
        t.add_(1.0)
    state.copy_from(model.new_state())


@pytest.mark.parametrize("dtype", ["fp32", "bf16", "int8"])
def test_loaded_model_does_not_keep_the_file_mapped(tmp_path, dtype):
    """Every runtime tensor is a copy, so the checkpoint can be replaced or deleted while the model runs."""
    path = make_random_checkpoint(tmp_path / "m", version="6", n_layer=2, n_embd=128, vocab_size=100)
    model = load_model(path, device="cpu", dtype=dtype)
    before = model.forward(PROMPT)[0]
    path.write_bytes(b"overwritten")
    assert torch.equal(model.forward(PROMPT)[0], before)
