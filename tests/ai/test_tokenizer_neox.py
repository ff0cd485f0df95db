"""The NeoX (20B) tokenizer path, exercised with a small real ByteLevel BPE trained here by `tokenizers`
(the real 20B_tokenizer.json cannot be downloaded in CI), plus the search next to the checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from app.ai.tokenizer import StreamDecoder, tokenizer_for
from app.ai.tokenizer_neox import NEOX_TOKENIZER_NAME, NeoXTokenizer
from app.errors import ModelError

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "User: hello there\n\nAssistant: Hi! How can I help you today?",
    "RWKV is an RNN with transformer-level performance. 中文也可以。 Emoji 🎉 too.",
] * 20


def build_bpe(path: Path) -> Path:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|endoftext|>", "<|padding|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(CORPUS, trainer=trainer)
    tok.save(str(path))
    return path


@pytest.fixture(scope="module")
def neox_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bpe(tmp_path_factory.mktemp("neox") / NEOX_TOKENIZER_NAME)


@pytest.mark.parametrize(
    "text", ["hello there", "User: hi\n\nAssistant:", "中文 🎉 naïve café", "", "  spaces\tand\ttabs\n\n\n"]
)
def test_round_trip_and_token_bytes(neox_json: Path, text: str) -> None:
    tok = NeoXTokenizer(neox_json)
    reference = Tokenizer.from_file(str(neox_json))
    ids = tok.encode(text)
    assert ids == reference.encode(text).ids
    assert tok.decode(ids) == text
    assert b"".join(tok.token_bytes(i) for i in ids) == text.encode("utf-8")


def test_special_tokens_and_unknown_ids_carry_no_text(neox_json: Path) -> None:
    tok = NeoXTokenizer(neox_json)
    assert tok.token_bytes(0) == b""  # <|endoftext|>
    assert tok.decode([0, 10**6, -3]) == ""


def test_stream_decoder_with_byte_level_pieces(neox_json: Path) -> None:
    tok = NeoXTokenizer(neox_json)
    text = "🎉 中文 ok"
    ids = tok.encode(text)
    decoder = StreamDecoder(tok)
    pieces = [decoder.feed(i) for i in ids]
    assert "".join(pieces) + decoder.flush() == text
    assert all("\ufffd" not in p for p in pieces)


def test_found_next_to_the_checkpoint(neox_json: Path, tmp_path: Path) -> None:
    from app.ai.make_random import make_random_checkpoint

    models_dir = tmp_path / "models"
    models_dir.mkdir()
    ckpt = make_random_checkpoint(
        models_dir / "raven.pth", version="4", n_layer=1, n_embd=32, vocab_size=50277
    )
    from app.ai.checkpoint import inspect_checkpoint

    info = inspect_checkpoint(ckpt)
    assert info.tokenizer == "neox"
    with pytest.raises(ModelError) as err:
        tokenizer_for(info)
    assert NEOX_TOKENIZER_NAME in err.value.user_message()
    assert str(models_dir) in err.value.hint  # tells the user exactly where to put it
    (models_dir / NEOX_TOKENIZER_NAME).write_bytes(neox_json.read_bytes())
    tok = tokenizer_for(info)
    assert isinstance(tok, NeoXTokenizer)
    assert tok.decode(tok.encode("hello there")) == "hello there"


def test_malformed_json_is_a_model_error(tmp_path: Path) -> None:
    bad = tmp_path / NEOX_TOKENIZER_NAME
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="not a usable tokenizer"):
        NeoXTokenizer(bad)
