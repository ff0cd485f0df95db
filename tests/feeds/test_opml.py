"""OPML parse/write: nesting, duplicates, hostile and malformed files, and a round-trip property."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import OPMLError
from app.feeds.opml import parse_opml, parse_opml_counted, write_opml
from app.models import Outline

FIXTURE = Path(__file__).parent.parent / "fixtures" / "feeds" / "subscriptions.opml"


def test_parse_nested_folders_and_merge_duplicates() -> None:
    outlines, duplicates = parse_opml_counted(FIXTURE.read_bytes())
    assert duplicates == 1
    assert outlines == [
        Outline(
            "Tech",
            children=(
                Outline(
                    "Hacker News",
                    url="https://news.ycombinator.com/rss",
                    site_url="https://news.ycombinator.com/",
                ),
                Outline("LWN.net", url="https://lwn.net/headlines/rss"),
                Outline(
                    "Rust",
                    children=(Outline("This Week in Rust", url="https://this-week-in-rust.org/rss.xml"),),
                ),
            ),
        ),
        Outline("少数派", url="https://sspai.com/feed"),
        Outline("Empty folder"),
    ]


def test_hearth_kinds_survive_a_round_trip() -> None:
    tree = [
        Outline(
            "Zhihu",
            children=(
                Outline("Someone", url="https://www.zhihu.com/people/x", kind="zhihu.people.activities"),
            ),
        )
    ]
    data = write_opml(tree, title="Mine")
    assert b'hearth:kind="zhihu.people.activities"' in data and b'type="rss"' not in data.split(b"<body>")[0]
    assert parse_opml(data) == tree


@pytest.mark.parametrize(
    ("data", "line", "text"),
    [
        (
            b'<?xml version="1.0"?>\n<opml version="2.0">\n<head/>\n<body>\n<outline text="a">\n</body>\n</opml>\n',
            6,
            "mismatched tag",
        ),
        (b"<opml><body><outline text='a' text='b'/></body></opml>", 1, "line 1:"),
        (b"", 1, "empty"),
        (b"<html><body/></html>", 1, "not <opml>"),
        (b"<opml version='2.0'><head/></opml>", 1, "no <body>"),
    ],
)
def test_malformed_opml_is_rejected_with_a_line(data: bytes, line: int, text: str) -> None:
    with pytest.raises(OPMLError) as info:
        parse_opml(data)
    assert info.value.line == line
    assert str(info.value).startswith(f"line {line}:") and text in str(info.value)


def test_entities_are_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?>\n<!DOCTYPE opml [\n<!ENTITY a "aaaaaaaaaa">\n<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">\n]>\n'
        b'<opml version="2.0"><body><outline text="&b;" xmlUrl="https://x/"/></body></opml>'
    )
    with pytest.raises(OPMLError, match="line 3: entity declarations"):
        parse_opml(laughs)
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]><opml><body/></opml>'
    )
    with pytest.raises(OPMLError):
        parse_opml(xxe)


def test_control_characters_do_not_break_export() -> None:
    data = write_opml([Outline("bad\x01title", url="https://x.example/feed")])
    assert parse_opml(data) == [Outline("badtitle", url="https://x.example/feed")]


TITLES = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12).map(str.strip).filter(bool) | st.sampled_from(
    ["A & B", "<tag>", '"quoted"', "it's", "中文 标题", "emoji 🔥", "&amp;"]
)  # fmt: skip
URLS = st.integers(0, 30).map(lambda n: f"https://feeds{n}.example.org/feed?a=1&b={n}")


def feeds() -> st.SearchStrategy[Outline]:
    return st.builds(
        Outline,
        title=TITLES,
        url=URLS,
        site_url=st.none() | st.just("https://site.example.org/"),
        kind=st.sampled_from(["feed", "zhihu.people.activities"]),
    )


trees = st.recursive(
    feeds(),
    lambda kids: st.builds(Outline, title=TITLES, children=st.lists(kids, max_size=4).map(tuple)),
    max_leaves=12,
)


def _dedupe(outlines: list[Outline], seen: set[tuple[str, str]]) -> list[Outline]:
    out = []
    for o in outlines:
        if o.url is not None:
            if (o.kind, o.url) in seen:
                continue
            seen.add((o.kind, o.url))
            out.append(o)
        else:
            out.append(Outline(o.title, children=tuple(_dedupe(list(o.children), seen))))
    return out


@settings(max_examples=40, deadline=None)
@given(st.lists(trees, max_size=5))
def test_round_trip_property(tree: list[Outline]) -> None:
    once = parse_opml(write_opml(tree))
    assert once == _dedupe(tree, set())  # the same tree, first of each duplicate URL kept
    assert parse_opml(write_opml(once)) == once
