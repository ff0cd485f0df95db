"""The World tokenizer against the reference TRIE_TOKENIZER from the rwkv wheel: fixed ids, a large mixed
text, generated text and bytes; the vocabulary file parser; the streaming decoder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.ai.tokenizer import StreamDecoder, WorldTokenizer, read_world_vocab
from app.config import resources_dir
from app.errors import ModelError

ROOT = Path(__file__).resolve().parents[2]

VERIFIED = {
    "\n": [11],
    "\n\n": [261],
    "\n\n\n": [3328],
    " ": [33],
    "User:": [24281, 59],
    "Assistant:": [5585, 41693, 59],
    "User: hi\n\nAssistant:": [24281, 59, 4571, 261, 5585, 41693, 59],
    "<think": [61, 35762],
}

MIXED = (
    "RWKV 是一种 RNN，但它可以像 Transformer 一样并行训练。我们今天来谈谈它的推理速度。\n\n"
    "日本語のテキストも少し入れておきます。カタカナ、ひらがな、漢字。\r\n"
    "한국어 문장도 있습니다. Русский текст тоже. النص العربي أيضا. Ελληνικά. עברית.\n"
    "Emoji: 🎉🚀👍🏽 👨‍👩‍👧‍👦 🇨🇳🇺🇸 ❤️‍🔥 — “quotes” ‘single’ … ½ ∑ ∞ ≠ ≤\n"
    "\t\tindented\twith tabs\n" + " " * 300 + "trailing\n" + "=" * 97 + "\n\x00\x01\x7f control\n"
    "numbers 3.14159 2026-11-25 0x7fffffff 1e-5 100,000,000\n"
    "URL https://example.com/path?q=a&b=c#frag <a href='x'>link</a> &amp; &#x4e2d;\n"
)


def mixed_text() -> str:
    code = (ROOT / "app" / "cli.py").read_text(encoding="utf-8") + (ROOT / "app" / "config.py").read_text(
        encoding="utf-8"
    )
    return (MIXED * 5) + code + MIXED


@pytest.mark.parametrize(("text", "ids"), VERIFIED.items())
def test_verified_ids(world: WorldTokenizer, text: str, ids: list[int]) -> None:
    assert world.encode(text) == ids
    assert world.decode(ids) == text


def test_large_mixed_text_matches_reference(world: WorldTokenizer, reference_tokenizer) -> None:
    text = mixed_text()
    ids = world.encode(text)
    assert len(ids) > 5000
    assert ids == reference_tokenizer.encode(text)
    assert world.decode(ids) == text


def test_every_vocabulary_token_encodes_to_itself_or_longer_match(
    world: WorldTokenizer, reference_tokenizer
) -> None:
    # each token alone: the greedy result must equal the reference (usually the token itself)
    for token_id in range(1, world.vocab_size, 7):
        data = world.token_bytes(token_id)
        assert world.encode_bytes(data) == reference_tokenizer.encodeBytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_any_text_matches_reference(world: WorldTokenizer, reference_tokenizer, text: str) -> None:
    ids = world.encode(text)
    assert ids == reference_tokenizer.encode(text)
    assert world.decode(ids) == text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=1, max_value=65529), max_size=60))
def test_text_made_of_real_tokens_matches_reference(
    world: WorldTokenizer, reference_tokenizer, ids: list[int]
) -> None:
    # concatenated vocabulary entries are where greedy longest match is easiest to get subtly wrong
    data = world.decode_bytes(ids)
    assert world.encode_bytes(data) == reference_tokenizer.encodeBytes(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200))
def test_arbitrary_bytes_round_trip(world: WorldTokenizer, reference_tokenizer, data: bytes) -> None:
    ids = world.encode_bytes(data)
    assert ids == reference_tokenizer.encodeBytes(data)
    assert world.decode_bytes(ids) == data
    assert world.decode(ids) == data.decode("utf-8", errors="replace")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.characters(), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=())
        ),
        max_size=50,
    ).map("".join)
)
def test_lone_surrogates_become_replacement_chars(
    world: WorldTokenizer, reference_tokenizer, text: str
) -> None:
    # Text that cannot be UTF-8 encoded (lone surrogates) does not raise: each surrogate encodes as U+FFFD.
    cleaned = re.sub("[\ud800-\udfff]", "\ufffd", text)
    assert world.encode(text) == reference_tokenizer.encode(cleaned)


def test_lone_surrogate_example(world: WorldTokenizer) -> None:
    assert world.decode(world.encode("a\ud800b")) == "a\ufffdb"


def test_end_of_text_and_ids_past_the_vocabulary_decode_to_nothing(world: WorldTokenizer) -> None:
    assert world.vocab_size == 65530
    assert world.decode([0, 65530, 65535, -1]) == ""
    assert world.decode([24281, 0, 59]) == "User:"


def test_single_bytes_have_id_byte_plus_one(world: WorldTokenizer) -> None:
    assert all(world.token_bytes(b + 1) == bytes((b,)) for b in range(256))


def test_shipped_vocabulary_equals_the_wheel_copy_with_crlf(world: WorldTokenizer) -> None:
    import rwkv

    from tests.ai.conftest import wheel_vocab_path

    wheel = wheel_vocab_path(rwkv)
    assert b"\r\n" in wheel.read_bytes()[:100]  # the wheel's copy is CRLF; ours is LF
    assert b"\r\n" not in (resources_dir() / "rwkv_vocab_v20230424.txt").read_bytes()[:100]
    tokens = read_world_vocab(wheel)
    assert len(tokens) == 65529
    assert tokens == [world.token_bytes(i) for i in range(1, 65530)]


@pytest.mark.parametrize(
    "content",
    [
        "1 'a' 2\n",  # wrong length
        "2 'a' 1\n",  # ids must start at 1
        "1 a 1\n",  # not a literal
        "",  # empty
        "1 'a' x\n",
    ],
)
def test_malformed_vocabulary_is_a_model_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "vocab.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ModelError):
        read_world_vocab(path)


def test_vocabulary_literals_with_escapes(tmp_path: Path) -> None:
    lines = [r"1 '\x00' 1", r"2 b'\xff' 1", r"3 '\'' 1", '4 "\'\\n" 2', r"5 '中\t' 4", r"6 ' \\ ' 3"]
    path = tmp_path / "vocab.txt"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    assert read_world_vocab(path) == [b"\x00", b"\xff", b"'", b"'\n", "中\t".encode(), b" \\ "]


def test_stream_decoder_holds_back_split_characters(world: WorldTokenizer) -> None:
    emoji = "🎉".encode()  # four bytes, fed as four single-byte tokens (id = byte + 1)
    decoder = StreamDecoder(world)
    assert [decoder.feed(b + 1) for b in emoji] == ["", "", "", "🎉"]
    assert decoder.pending == b""
    pieces = [decoder.feed(b + 1) for b in "中a".encode()]
    assert pieces == ["", "", "中", "a"]


def test_stream_decoder_replaces_invalid_bytes_at_once_and_on_flush(world: WorldTokenizer) -> None:
    decoder = StreamDecoder(world)
    assert decoder.feed(0xFF + 1) == "\ufffd"
    assert decoder.feed(0xE4 + 1) == ""  # the start of a three-byte character
    assert decoder.pending == b"\xe4"
    assert decoder.feed(ord("x") + 1) == "\ufffdx"  # ... which never came
    assert decoder.feed(0xF0 + 1) + decoder.feed(0x9F + 1) == ""
    assert decoder.flush() == "\ufffd"


def test_stream_decoder_on_real_token_stream(world: WorldTokenizer) -> None:
    text = MIXED * 2
    ids = world.encode(text)
    decoder = StreamDecoder(world)
    pieces = [decoder.feed(i) for i in ids]
    assert "".join(pieces) + decoder.flush() == text
    assert all("\ufffd" not in piece for piece in pieces)
    # some token really did end inside a character (otherwise this test proves little)
    assert any(piece == "" for piece in pieces)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=0, max_value=65535), max_size=80))
def test_streamed_pieces_always_join_to_the_decoded_text(world: WorldTokenizer, ids: list[int]) -> None:
    # any id sequence (split characters, invalid bytes, end-of-text, ids past the vocabulary): what
    # the view shows piece by piece is exactly what decoding the whole run gives
    decoder = StreamDecoder(world)
    pieces = [decoder.feed(i) for i in ids]
    assert "".join(pieces) + decoder.flush() == world.decode(ids)
    assert decoder.pending == b""


# Load and encode speed: tests/bench/bench_tokenizer.py prints them beside rwkv's TRIE_TOKENIZER.
