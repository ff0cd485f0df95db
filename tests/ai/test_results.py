"""The typed requests and results are Qt-free values, and the outcome enums are the strings they replaced: printed,
compared, JSON-encoded and stored in SQLite exactly as before."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import subprocess
import sys

import pytest

from app.ai import requests as ai_requests
from app.ai.backends import BACKENDS, BackendName
from app.ai.requests import AiRequest, ChatAskRequest, ChatRequest, SummarizeRequest, request_kinds
from app.ai.results import FinishReason, ReplyKind, StateSource, SummaryResult
from app.ai.rules import RuleAction

OLD_STRINGS = {
    FinishReason: {"stop", "length", "eos", "cancelled", "cached", "empty", "nothing-found", "skipped"},
    ReplyKind: {"chat", "free", "instruct"},
    BackendName: {"rwkv", "openai"},
    RuleAction: {"summary", "translation"},
    StateSource: {"", "memory", "disk"},
}


@pytest.mark.parametrize("enum", list(OLD_STRINGS), ids=lambda e: e.__name__)
def test_outcome_enums_are_the_old_strings(enum) -> None:
    assert {member.value for member in enum} == OLD_STRINGS[enum]
    for member in enum:
        assert member == member.value and f"{member}" == str(member) == member.value
        assert json.dumps({"reason": member}) == json.dumps({"reason": member.value})
        assert enum(member.value) is member


def test_an_enum_stored_in_sqlite_reads_back_as_its_plain_string() -> None:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (reason TEXT)")
    db.execute("INSERT INTO t VALUES (?)", (FinishReason.NOTHING_FOUND,))
    (value,) = db.execute("SELECT reason FROM t").fetchone()
    assert type(value) is str and value == "nothing-found"
    assert BACKENDS == ("rwkv", "openai")


def test_request_kinds_are_every_concrete_request_of_the_module() -> None:
    defined = {
        obj
        for obj in vars(ai_requests).values()
        if isinstance(obj, type) and issubclass(obj, AiRequest) and obj not in (AiRequest, ChatRequest)
    }
    assert set(request_kinds()) == defined
    assert len(request_kinds()) == len(defined)  # no duplicates


def test_requests_and_results_are_frozen_values() -> None:
    ask = ChatAskRequest(7, "why?", temperature=0.5)
    assert ask == ChatAskRequest(7, "why?", 0.5) and hash(ask) == hash(ChatAskRequest(7, "why?", 0.5))
    assert ask.kind == "ChatAskRequest" and ask.top_p is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        ask.text = "how?"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        SummaryResult(1, "x", False, FinishReason.STOP, "m").text = "y"  # type: ignore[misc]
    assert SummarizeRequest(3) != SummarizeRequest(3, refresh=True)


def test_requests_and_results_import_neither_qt_nor_torch() -> None:
    code = (
        "import sys, app.ai.requests, app.ai.results; "
        "print(any(m.split('.')[0] in ('PySide6', 'torch') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
