"""OPML outlines that would run a command: recognised under every spelling, kept apart from the feeds."""

from __future__ import annotations

import pytest

from app.feeds.opml import is_command, read_opml, split_commands, write_opml
from app.models import FeedKind, Outline

NS = 'xmlns:hearth="https://hearth.invalid/ns/opml/1.0"'


def _file(outline: str, *, ns: str = NS) -> bytes:
    return f'<?xml version="1.0"?><opml version="2.0" {ns}><body><outline text="News" xmlUrl="https://n.example/rss"/>{outline}</body></opml>'.encode()


@pytest.mark.parametrize(
    "outline",
    [
        '<outline text="x" hearth:kind="script" xmlUrl="exec:/usr/bin/touch /tmp/x"/>',
        '<outline text="x" xmlUrl="exec:/usr/bin/touch /tmp/x"/>',  # no kind: the URL decides
        '<outline text="x" type="rss" xmlUrl="   exec:/usr/bin/touch /tmp/x"/>',
        '<outline text="x" xmlUrl="&#9;&#10;EXEC:/usr/bin/touch /tmp/x"/>',
        '<outline text="x" xmlUrl="\u200b\u00a0Exec:/usr/bin/touch /tmp/x"/>',
        '<outline text="x" xmlUrl="exec&#58;/usr/bin/touch /tmp/x"/>',
        '<outline text="x" xmlUrl="script:/usr/bin/touch /tmp/x"/>',
        '<outline text="x" hearth:kind="feed" xmlUrl="exec:/usr/bin/touch /tmp/x"/>',
        '<outline text="x" hearth:kind="zhihu.people.activities" xmlUrl=" exec:/usr/bin/touch /tmp/x"/>',
    ],
)
def test_every_spelling_of_an_exec_url_is_a_command(outline: str) -> None:
    report = read_opml(_file(outline))
    assert report.commands == [Outline("x", url="exec:/usr/bin/touch /tmp/x", kind=FeedKind.SCRIPT)]
    kept, commands = split_commands(report.outlines)
    assert kept == [Outline("News", url="https://n.example/rss")] and commands == report.commands


def test_a_kind_in_an_undeclared_namespace_still_counts() -> None:
    report = read_opml(_file('<outline text="x" hearth:kind="script" xmlUrl="exec:id"/>', ns=""))
    assert report.repaired is not None  # an undeclared prefix is not well-formed XML
    assert report.commands == [Outline("x", url="exec:id", kind=FeedKind.SCRIPT)]


@pytest.mark.parametrize(
    ("outline", "reason"),
    [
        ('<outline text="x" hearth:kind="script" xmlUrl="https://x.example/"/>', "without an exec: command"),
        (
            '<outline text="x" hearth:kind=" Script " xmlUrl="https://x.example/"/>',
            "without an exec: command",
        ),
        ('<outline text="x" xmlUrl="exec:   "/>', "has an empty command"),
        (
            '<outline text="x" xmlUrl=" FILTER:/bin/sh -c id:https://x.example/"/>',
            "pipes a feed through a command",
        ),
    ],
)
def test_script_outlines_that_cannot_be_imported_are_skipped(outline: str, reason: str) -> None:
    report = read_opml(_file(outline))
    assert report.commands == []
    assert [o.url for o in report.outlines] == ["https://n.example/rss"]
    assert len(report.skipped) == 1 and reason in report.skipped[0].reason


def test_commands_in_folders_leave_the_folders_in_place() -> None:
    tree = [
        Outline(
            "Tools",
            children=(
                Outline("t", url="exec:make-feed", kind=FeedKind.SCRIPT),
                Outline("a", url="https://a.example/"),
            ),
        ),
        Outline("b", url="https://b.example/"),
    ]
    assert read_opml(write_opml(tree)).outlines == tree  # Hearth's own export round-trips its scripts
    kept, commands = split_commands(tree)
    assert kept == [
        Outline("Tools", children=(Outline("a", url="https://a.example/"),)),
        Outline("b", url="https://b.example/"),
    ]
    assert commands == [Outline("t", url="exec:make-feed", kind=FeedKind.SCRIPT)]


@pytest.mark.parametrize(
    ("outline", "command"),
    [
        (Outline("a", url="https://a.example/"), False),
        (Outline("a", url="https://a.example/", kind="zhihu.people.activities"), False),
        (Outline("a", url="https://a.example/", kind="script"), True),
        (Outline("a", url=" \texec:x"), True),
        (Outline("a", url="Filter:x:https://a.example/"), True),
        (Outline("folder"), False),
    ],
)
def test_is_command(outline: Outline, command: bool) -> None:
    assert is_command(outline) is command
