"""The GPT-NeoX "20B" BPE tokenizer used by RWKV-4 Pile and Raven models, through the `tokenizers` wheel.

The json is not shipped (it is not in the rwkv wheel either): Hearth looks for it next to the checkpoint and
in resources/, and says where to put it when it is missing.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from app.errors import ConfigError, ModelError

log = logging.getLogger(__name__)

NEOX_TOKENIZER_NAME = "20B_tokenizer.json"


@lru_cache(maxsize=1)
def _byte_decoder() -> dict[str, int]:
    """GPT-2's printable stand-ins for bytes (ByteLevel), reversed: char -> byte."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    chars = list(printable)
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars, strict=True)}


class NeoXTokenizer:
    """A `tokenizers` BPE (20B_tokenizer.json); token bytes come from its ByteLevel alphabet."""

    name = "neox"

    def __init__(self, path: Path) -> None:
        from tokenizers import Tokenizer as HFTokenizer

        self.path = Path(path)
        try:
            self._tok = HFTokenizer.from_file(str(self.path))
        except Exception as exc:  # the Rust side raises plain Exception for any malformed file
            raise ModelError(
                f"{self.path.name} is not a usable tokenizer.json: {exc}",
                hint=f"replace it with the original {NEOX_TOKENIZER_NAME} from BlinkDL/ChatRWKV",
            ) from None
        config = json.loads(self._tok.to_str())
        decoder = config.get("decoder") or {}
        self._byte_level = decoder.get("type") == "ByteLevel"
        self._special = {t["id"] for t in config.get("added_tokens", []) if t.get("special")}
        self.vocab_size = self._tok.get_vocab_size(with_added_tokens=True)
        self._cache: dict[int, bytes] = {}

    @classmethod
    def find(cls, checkpoint: Path) -> NeoXTokenizer:
        """The 20B tokenizer next to `checkpoint`, else in resources/; ModelError saying where to put it."""
        from app.config import resources_dir

        candidates = [Path(checkpoint).parent / NEOX_TOKENIZER_NAME]
        with contextlib.suppress(ConfigError):  # no resources/ folder: only look next to the model
            candidates.append(resources_dir() / NEOX_TOKENIZER_NAME)
        for candidate in candidates:
            if candidate.is_file():
                return _load_cached(str(candidate.resolve()))
        raise ModelError(
            f"{Path(checkpoint).name} is an RWKV-4 Pile/Raven model and needs {NEOX_TOKENIZER_NAME}",
            hint=f"download it from github.com/BlinkDL/ChatRWKV and put it next to the model, as {candidates[0]}",
        )

    def encode(self, text: str) -> list[int]:
        return self._tok.encode(text, add_special_tokens=False).ids

    def token_bytes(self, token_id: int) -> bytes:
        cached = self._cache.get(token_id)
        if cached is not None:
            return cached
        piece = self._tok.id_to_token(token_id) if 0 <= token_id < self.vocab_size else None
        if piece is None or token_id in self._special:
            data = b""  # end-of-text and other control tokens carry no text
        elif self._byte_level:
            table = _byte_decoder()
            data = bytes(table[c] for c in piece) if all(c in table for c in piece) else piece.encode("utf-8")
        else:
            data = self._tok.decode([token_id], skip_special_tokens=True).encode("utf-8")
        self._cache[token_id] = data
        return data

    def decode_bytes(self, ids: Sequence[int]) -> bytes:
        return b"".join(self.token_bytes(i) for i in ids)

    def decode(self, ids: Sequence[int]) -> str:
        return self.decode_bytes(ids).decode("utf-8", errors="replace")


@lru_cache(maxsize=4)
def _load_cached(path: str) -> NeoXTokenizer:
    return NeoXTokenizer(Path(path))
