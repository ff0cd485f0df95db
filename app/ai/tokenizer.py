"""Tokenizers for RWKV models: the World vocabulary (greedy longest byte match), the 20B NeoX BPE, and a
streaming decoder that only ever hands out complete UTF-8 text.

Pure Python (+ the `tokenizers` wheel for NeoX): nothing here imports torch.
"""

from __future__ import annotations

import codecs
import logging
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from app.errors import ModelError

if TYPE_CHECKING:
    from app.ai.checkpoint import CheckpointInfo

log = logging.getLogger(__name__)

WORLD_VOCAB_NAME = "rwkv_vocab_v20230424.txt"
END_OF_TEXT = 0  # id 0 ends a document in both vocabularies; it has no bytes of its own
_SURROGATES = re.compile("[\ud800-\udfff]")


@runtime_checkable
class Tokenizer(Protocol):
    name: str
    vocab_size: int  # one more than the largest id that has bytes

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: Sequence[int]) -> str: ...

    def decode_bytes(self, ids: Sequence[int]) -> bytes: ...

    def token_bytes(self, token_id: int) -> bytes: ...


def utf8_bytes(text: str) -> bytes:
    """UTF-8 of `text`; lone surrogates (broken JSON/HTML escapes) cannot be encoded and become U+FFFD."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATES.sub("\ufffd", text).encode("utf-8")


class WorldTokenizer:
    """The RWKV World vocabulary: 65,529 byte strings, ids 1..65529, encoded by greedy longest match.

    Id 0 is end-of-text and decodes to nothing; ids past the vocabulary (the model's head has 65,536 rows)
    decode to nothing too. Every single byte is a token (id = byte + 1), so any input encodes.
    Encoding matches `rwkv.rwkv_tokenizer.TRIE_TOKENIZER` exactly. Instead of a trie it keeps, for every
    three-byte prefix, the lengths of the tokens starting with it (longest first) and tries one dict lookup
    per length, then the two-byte and one-byte tokens: about three lookups per token.
    """

    name = "world"

    def __init__(self, tokens: Sequence[bytes]) -> None:
        # tokens[i] is the byte string of id i + 1
        self._id_to_bytes: list[bytes] = [b"", *tokens]
        self.vocab_size = len(self._id_to_bytes)
        self._bytes_to_id: dict[bytes, int] = {}
        self._pairs: dict[bytes, int] = {}  # the two-byte tokens
        lengths: dict[bytes, set[int]] = {}  # first three bytes -> lengths of the longer tokens
        for token_id, token in enumerate(tokens, start=1):
            self._bytes_to_id[token] = token_id
            if len(token) >= 3:
                lengths.setdefault(token[:3], set()).add(len(token))
            elif len(token) == 2:
                self._pairs[token] = token_id
        missing = [b for b in range(256) if bytes((b,)) not in self._bytes_to_id]
        if missing:
            raise ModelError(f"the World vocabulary lacks single-byte tokens (e.g. {missing[0]:#x})")
        self._single: list[int] = [self._bytes_to_id[bytes((b,))] for b in range(256)]
        self._lengths: dict[bytes, tuple[int, ...]] = {
            k: tuple(sorted(v, reverse=True)) for k, v in lengths.items()
        }

    @classmethod
    def from_file(cls, path: Path) -> WorldTokenizer:
        return cls(read_world_vocab(path))

    @classmethod
    def default(cls) -> WorldTokenizer:
        """The vocabulary shipped in resources/, parsed once per process (about 80 ms)."""
        global _DEFAULT_WORLD
        with _DEFAULT_LOCK:
            if _DEFAULT_WORLD is None:
                from app.config import resources_dir

                _DEFAULT_WORLD = cls.from_file(resources_dir() / WORLD_VOCAB_NAME)
            return _DEFAULT_WORLD

    def encode(self, text: str) -> list[int]:
        return self.encode_bytes(utf8_bytes(text))

    def encode_bytes(self, src: bytes) -> list[int]:
        ids: list[int] = []
        append = ids.append
        lookup = self._bytes_to_id.get
        pair = self._pairs.get
        lengths = self._lengths.get
        single = self._single
        n = len(src)
        pos = 0
        while pos < n:
            # Longest first among the tokens of 3+ bytes sharing our first three bytes. Near the end a slice
            # may come out shorter than `length`; if it is a token it is the whole rest, so still the longest.
            for length in lengths(src[pos : pos + 3], ()):
                token_id = lookup(src[pos : pos + length])
                if token_id is not None:
                    append(token_id)
                    pos += length
                    break
            else:
                token_id = pair(src[pos : pos + 2])
                if token_id is not None:
                    append(token_id)
                    pos += 2
                else:
                    append(single[src[pos]])
                    pos += 1
        return ids

    def token_bytes(self, token_id: int) -> bytes:
        if 0 <= token_id < self.vocab_size:
            return self._id_to_bytes[token_id]
        return b""

    def decode_bytes(self, ids: Sequence[int]) -> bytes:
        table = self._id_to_bytes
        size = self.vocab_size
        return b"".join(table[i] if 0 <= i < size else b"" for i in ids)

    def decode(self, ids: Sequence[int]) -> str:
        """Text of `ids`; bytes that are not valid UTF-8 become U+FFFD (the reference returns one U+FFFD)."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")


_DEFAULT_WORLD: WorldTokenizer | None = None
_DEFAULT_LOCK = threading.Lock()


def read_world_vocab(path: Path) -> list[bytes]:
    """Parse `<id> <python str or bytes literal> <byte length>` lines (LF or CRLF) without eval().

    Returns the byte strings in id order (ids must run 1..N). Raises ModelError on a malformed file.
    """
    hint = "reinstall Hearth (its resources/ folder is damaged)"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"cannot read the tokenizer vocabulary {path}: {exc}", hint=hint) from None
    tokens: list[bytes] = []
    append = tokens.append
    parse = _parse_literal
    line = ""
    try:
        for line in text.split("\n"):
            if line.endswith("\r"):  # the copy in the rwkv wheel is CRLF
                line = line[:-1]
            if not line:
                continue
            head, _, rest = line.partition(" ")
            literal, _, length = rest.rpartition(" ")
            token = parse(literal)
            if len(token) != int(length) or int(head) != len(tokens) + 1:
                raise ValueError(line)
            append(token)
    except (ValueError, UnicodeError, IndexError):
        raise ModelError(
            f"{path}: bad vocabulary line after token {len(tokens)}: {line[:60]!r}", hint=hint
        ) from None
    if not tokens:
        raise ModelError(f"{path} holds no tokens", hint=hint)
    return tokens


def _parse_literal(literal: str) -> bytes:
    """The bytes of a Python literal as written by repr(): 'text', "text" or b'bytes'."""
    is_bytes = literal.startswith("b")
    body = literal[1:] if is_bytes else literal
    if len(body) < 2 or body[0] not in "'\"" or body[-1] != body[0]:
        raise ValueError(literal)
    inner = body[1:-1]
    if is_bytes:
        return codecs.escape_decode(inner.encode("ascii"))[0] if "\\" in inner else inner.encode("ascii")
    if "\\" not in inner:
        return inner.encode("utf-8")
    # Escape non-ASCII as \uXXXX first, so unicode_escape (which reads latin-1) sees only ASCII.
    return inner.encode("ascii", "backslashreplace").decode("unicode_escape").encode("utf-8", "surrogatepass")


class StreamDecoder:
    """Turns a stream of token ids into text, never splitting a UTF-8 character.

    `feed(id)` returns the text completed so far (possibly ""); an incomplete trailing sequence is held back
    until a later token completes it. Bytes that can never become valid UTF-8 turn into U+FFFD at once.
    `flush()` ends the stream: a still-incomplete tail becomes U+FFFD.
    """

    def __init__(self, tokenizer: Tokenizer) -> None:
        self._tokenizer = tokenizer
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, token_id: int) -> str:
        return self._decoder.decode(self._tokenizer.token_bytes(token_id))

    def feed_bytes(self, data: bytes) -> str:
        return self._decoder.decode(data)

    def flush(self) -> str:
        return self._decoder.decode(b"", final=True)

    @property
    def pending(self) -> bytes:
        """The bytes held back (the start of a character not yet complete)."""
        return self._decoder.getstate()[0]


def tokenizer_for(info: CheckpointInfo) -> Tokenizer:
    """The tokenizer a checkpoint was trained with: World for v5+ and v4 World, NeoX for v4 Pile/Raven."""
    if info.tokenizer == "neox":
        from app.ai.tokenizer_neox import NeoXTokenizer

        return NeoXTokenizer.find(Path(info.path))
    if info.tokenizer != "world":
        raise ModelError(f"unknown tokenizer {info.tokenizer!r} for {Path(info.path).name}")
    return WorldTokenizer.default()


def __getattr__(name: str) -> object:
    # NeoXTokenizer lives in tokenizer_neox.py (it imports `tokenizers`); re-exported lazily.
    if name == "NeoXTokenizer":
        from app.ai.tokenizer_neox import NeoXTokenizer

        return NeoXTokenizer
    raise AttributeError(name)
