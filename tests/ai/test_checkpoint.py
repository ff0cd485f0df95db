"""Checkpoint inspection: generations and shapes from keys, bad files refused with ModelFormatError."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from app.ai.checkpoint import inspect_checkpoint, load_time_state, load_weights
from app.ai.make_random import make_random_checkpoint, random_state_dict
from app.errors import ModelFormatError, ModelLoadError


def _small(version: str, **kw) -> dict[str, torch.Tensor]:
    return random_state_dict(version=version, n_layer=2, n_embd=128, vocab_size=300, **kw)


@pytest.mark.parametrize(
    ("version", "n_head", "ffn", "lora"),
    [
        ("4", 0, 512, {}),
        ("5.2", 2, 448, {}),
        ("6", 2, 448, {"maa": 32, "decay": 64}),
        ("7", 2, 512, {"w": 32, "a": 32, "v": 32, "g": 32}),
    ],
)
def test_inspect_reads_generation_and_shapes(tmp_path, version, n_head, ffn, lora):
    path = make_random_checkpoint(tmp_path / "m", version=version, n_layer=2, n_embd=128, vocab_size=300)
    info = inspect_checkpoint(path)
    assert (info.version, info.n_layer, info.n_embd, info.vocab_size) == (version, 2, 128, 300)
    assert (info.n_head, info.head_size) == ((n_head, 64) if n_head else (0, 0))
    assert info.ffn_dim == ffn and info.lora == lora
    assert info.file_dtype == "fp32" and info.tokenizer == "world" and not info.has_time_state
    assert info.params == sum(t.numel() for t in torch.load(path, weights_only=True).values())
    assert info.memory_needed("fp32") == 4 * info.params == 2 * info.memory_needed("bf16")
    assert info.memory_needed("int8") < info.memory_needed("bf16")


def test_inspect_safetensors_reads_only_the_header(tmp_path):
    path = make_random_checkpoint(
        tmp_path / "m", version="7", n_layer=2, n_embd=128, vocab_size=300, fmt="safetensors"
    )
    info = inspect_checkpoint(path)
    assert (info.version, info.n_layer, info.n_head) == ("7", 2, 2)
    assert load_weights(path)["emb.weight"].shape == (300, 128)


def test_bf16_file_and_neox_vocab(tmp_path):
    d = {
        k: v.to(torch.bfloat16)
        for k, v in random_state_dict(version="4", n_layer=1, n_embd=64, vocab_size=50277).items()
    }
    torch.save(d, tmp_path / "raven.pth")
    info = inspect_checkpoint(tmp_path / "raven.pth")
    assert info.file_dtype == "bf16" and info.tokenizer == "neox"


def _expect_format_error(path: Path, match: str) -> None:
    with pytest.raises(ModelFormatError, match=match) as err:
        inspect_checkpoint(path)
    assert err.value.hint


class _Evil:
    """Unpickling this runs `touch <marker>`: what a hostile model file would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("fmt", ["zip", "legacy"])
def test_a_pickle_with_code_is_refused_plainly_without_running_it(tmp_path, fmt):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pth"
    payload = {"emb.weight": torch.zeros(2, 2), "head.weight": _Evil(marker)}
    if fmt == "zip":
        torch.save(payload, path)  # torch's own zip format, the code inside its data.pkl
    else:
        path.write_bytes(pickle.dumps(payload, protocol=2))
    with pytest.raises(ModelFormatError) as err:
        inspect_checkpoint(path)
    message = str(err.value)
    assert message == "evil.pth holds program code as well as weights. Hearth will not run it."
    assert "truncated" not in message + err.value.hint and "\n" not in message and "\x1b" not in message
    assert "weights only" in err.value.hint
    assert not marker.exists()


def test_text_file_truncated_file_and_empty_file(tmp_path):
    (tmp_path / "notes.pth").write_text("hello, this is not a model\n" * 10)
    _expect_format_error(tmp_path / "notes.pth", "not a readable")
    good = make_random_checkpoint(tmp_path / "m", version="7", n_layer=2, n_embd=128, vocab_size=300)
    data = good.read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[: len(data) // 2])
    _expect_format_error(tmp_path / "cut.pth", "not a readable")
    with pytest.raises(ModelFormatError) as err:
        inspect_checkpoint(tmp_path / "cut.pth")
    assert "truncated: download it again" in err.value.hint and "program code" not in str(err.value)
    (tmp_path / "empty.pth").write_bytes(b"")
    _expect_format_error(tmp_path / "empty.pth", "empty or truncated")
    with pytest.raises(ModelLoadError, match="not found"):
        inspect_checkpoint(tmp_path / "missing.pth")


def test_truncated_safetensors(tmp_path):
    good = make_random_checkpoint(
        tmp_path / "m", version="7", n_layer=2, n_embd=128, vocab_size=300, fmt="safetensors"
    )
    data = good.read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[: len(data) - 1000])
    _expect_format_error(tmp_path / "cut.safetensors", "truncated")


def test_other_models_and_non_dicts_are_refused(tmp_path):
    save_file(
        {"model.embed_tokens.weight": torch.zeros(10, 4), "lm_head.weight": torch.zeros(10, 4)},
        str(tmp_path / "llama.safetensors"),
    )
    _expect_format_error(tmp_path / "llama.safetensors", "not an RWKV checkpoint")
    torch.save([torch.zeros(3)], tmp_path / "list.pth")
    _expect_format_error(tmp_path / "list.pth", "not a state dict")


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ({"blocks.0.ffn.s_emb.weight": torch.zeros(300, 32)}, "DeepEmbed"),
        ({"blocks.1.ffn.s1": torch.zeros(128, 32)}, "DeepEmbed"),
        ({"blocks.0.qkv.weight": torch.zeros(384, 128)}, "DEA"),
    ],
)
def test_unsupported_rwkv7_variants(tmp_path, extra, match):
    d = _small("7") | extra
    torch.save(d, tmp_path / "variant.pth")
    _expect_format_error(tmp_path / "variant.pth", match)


def test_rwkv5_0_and_incomplete_files(tmp_path):
    d = _small("5.2")
    for i in range(2):
        d[f"blocks.{i}.att.time_decay"] = torch.zeros(2)  # v5.0 stores [H]
    torch.save(d, tmp_path / "v50.pth")
    _expect_format_error(tmp_path / "v50.pth", "5.0/5.1")
    d = _small("6")
    del d["blocks.1.att.gate.weight"]
    torch.save(d, tmp_path / "partial.pth")
    _expect_format_error(tmp_path / "partial.pth", "missing")
    d = _small("7")
    del d["blocks.1.ln1.weight"], d["blocks.1.att.x_r"]
    d["blocks.3.ln1.weight"] = torch.ones(128)
    torch.save(d, tmp_path / "gap.pth")
    _expect_format_error(tmp_path / "gap.pth", "layers are missing")


def test_time_state_file_is_checked(tmp_path):
    path = make_random_checkpoint(tmp_path / "m", version="7", n_layer=2, n_embd=128, vocab_size=300)
    info = inspect_checkpoint(path)
    states = {f"blocks.{i}.att.time_state": torch.randn(2, 64, 64) for i in range(2)}
    torch.save(states, tmp_path / "tuned.pth")
    loaded = load_time_state(tmp_path / "tuned.pth", info)
    assert torch.equal(loaded[1], states["blocks.1.att.time_state"])
    torch.save({"blocks.0.att.time_state": torch.randn(2, 64, 64)}, tmp_path / "short.pth")
    with pytest.raises(ModelFormatError, match="missing"):
        load_time_state(tmp_path / "short.pth", info)
    torch.save(
        {f"blocks.{i}.att.time_state": torch.randn(4, 32, 32) for i in range(2)}, tmp_path / "other.pth"
    )
    with pytest.raises(ModelFormatError, match="shape"):
        load_time_state(tmp_path / "other.pth", info)


def test_safetensors_are_read_tensor_by_tensor_without_mapping_the_file(tmp_path):
    """Every tensor equals the file's, and the file is never mapped into this process (a mapping keeps the
    pages read resident: the 1.5B load peaked at file + model)."""
    from app.ai.checkpoint import open_weights

    tensors = {k: v.to(torch.bfloat16) if v.is_floating_point() else v for k, v in _small("7").items()}
    path = tmp_path / "m.safetensors"
    save_file(tensors, str(path))
    weights, info = open_weights(path)
    assert info.version == "7" and sorted(weights) == sorted(tensors)
    maps = Path("/proc/self/maps")
    for key in sorted(tensors):
        t = weights.pop(key)
        assert t.dtype == tensors[key].dtype and torch.equal(t, tensors[key]), key
        if maps.exists():
            assert str(path.resolve()) not in maps.read_text()
    assert len(weights) == 0
    weights.close()
