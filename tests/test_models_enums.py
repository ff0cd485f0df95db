"""The enums for outcomes and kinds keep the exact strings the bare constants had, so the database,
JSON and CLI output stay byte-identical."""

from __future__ import annotations

import json
from enum import StrEnum

import pytest

from app.models import Feed, FeedKind, FetchOutcome, Outline
from app.storage.full_text import FULL_TEXT_MODES, FullTextMode, FullTextSetting, check_mode


@pytest.mark.parametrize(
    ("member", "old"),
    [
        (FetchOutcome.UPDATED, "updated"),
        (FetchOutcome.NOT_MODIFIED, "not_modified"),
        (FetchOutcome.ERROR, "error"),
        (FeedKind.FEED, "feed"),
        (FeedKind.SCRIPT, "script"),
        (FullTextMode.AUTO, "auto"),
        (FullTextMode.ON, "on"),
        (FullTextMode.OFF, "off"),
    ],
)
def test_each_member_is_the_old_string(member: StrEnum, old: str) -> None:
    assert member == old and str(member) == old and f"{member}" == old
    assert json.dumps({"outcome": member}) == json.dumps({"outcome": old})
    assert type(member)(old) is member  # a string read back from the database or JSON is the member


def test_the_members_are_exactly_the_old_set() -> None:
    assert [m.value for m in FetchOutcome] == ["updated", "not_modified", "error"]
    assert [m.value for m in FeedKind] == ["feed", "script"]
    assert FULL_TEXT_MODES == ("auto", "on", "off")  # the CHECK constraint of migration 6


def test_a_full_text_choice_is_read_and_typed_as_the_enum() -> None:
    assert check_mode(" ON ") is FullTextMode.ON
    assert FullTextSetting(1).mode is FullTextMode.AUTO and not FullTextSetting(1).enabled
    assert FullTextSetting(1, FullTextMode.AUTO, teaser=True).enabled
    assert (
        FullTextSetting(1, FullTextMode.ON).enabled and not FullTextSetting(1, FullTextMode.OFF, True).enabled
    )


def test_a_feed_and_an_outline_default_to_the_feed_kind() -> None:
    assert Feed(id=1, url="https://a.example/feed", title="").kind == "feed" == FeedKind.FEED
    assert Outline(title="t", url="https://a.example/feed").kind is FeedKind.FEED
