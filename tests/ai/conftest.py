"""Shared fixtures for the text side of app/ai: the World tokenizer and the reference one from the rwkv wheel."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.ai.tokenizer import WorldTokenizer


@pytest.fixture(scope="session")
def world() -> WorldTokenizer:
    return WorldTokenizer.default()


@pytest.fixture(scope="session")
def reference_tokenizer():  # rwkv.rwkv_tokenizer.TRIE_TOKENIZER (about 2 s to build its trie)
    import rwkv
    from rwkv.rwkv_tokenizer import TRIE_TOKENIZER

    return TRIE_TOKENIZER(str(wheel_vocab_path(rwkv)))


def wheel_vocab_path(rwkv_module) -> Path:
    return Path(os.path.dirname(rwkv_module.__file__)) / "rwkv_vocab_v20230424.txt"
