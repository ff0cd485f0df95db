"""OPML parse/write: nesting, duplicates, hostile and malformed files, and a round-trip property."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import OPMLError
from app.feeds.opml import parse_opml, parse_opml_counted, read_opml, write_opml
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
        (b"", 1, "empty"),
        (b"  \n ", 1, "empty"),
        (b"<html><body/></html>", 1, "not <opml>"),
        (b"<opml version='2.0'><head/></opml>", 1, "no <body>"),
        (b"\x00\xff<<<", 1, "cannot be read leniently"),
        (b"just some text", 1, "cannot be read leniently"),
    ],
)
def test_files_that_are_not_opml_are_refused_with_a_line(data: bytes, line: int, text: str) -> None:
    with pytest.raises(OPMLError) as info:
        parse_opml(data)
    assert info.value.line == line
    assert str(info.value).startswith(f"line {line}:") and text in str(info.value)
    assert "nothing was imported" in info.value.hint


@pytest.mark.parametrize(
    ("data", "complaint", "expected"),
    [
        (
            b'<?xml version="1.0"?>\n<opml version="2.0">\n<head/>\n<body>\n<outline text="a">\n</body>\n</opml>\n',
            "line 6: mismatched tag",
            [Outline("a")],
        ),
        (
            b"<opml><body><outline text='a' text='b' xmlUrl='https://a.example/'/></body></opml>",
            "line 1:",
            [Outline("a", url="https://a.example/")],
        ),
        (
            b'<opml><body><outline text="A & B" xmlUrl="https://x.example/?a=1&b=2&amp;c=3"/></body></opml>',
            "line 1: a raw '&'",
            [Outline("A & B", url="https://x.example/?a=1&b=2&c=3")],
        ),
        (
            b'<opml><body><outline text="Jen "From Head" to toe" description="a <p>b</p>" xmlUrl="https://j.example/"/></body></opml>',
            "line 1: a quote inside an attribute value",
            [Outline('Jen "From Head" to toe', url="https://j.example/")],
        ),
        (
            b'<opml><body><outline text="x" description="<p>hi</p>" xmlUrl="https://x.example/"/></body></opml>',
            "line 1: a '<' inside an attribute value",
            [Outline("x", url="https://x.example/")],
        ),
        (
            b'<?xml version="1.0" encoding="windows-1252"?><opml><body>'
            b'<outline text="caf\xe9 &nbsp;&copy" xmlUrl=https://c.example/feed /></body></opml>',
            "line 1:",
            [Outline("caf\xe9 \xa0&copy", url="https://c.example/feed")],
        ),
    ],
)
def test_malformed_files_are_read_leniently_and_say_so(data: bytes, complaint: str, expected: list) -> None:
    report = read_opml(data)
    assert report.outlines == expected
    assert report.repaired is not None and report.repaired.startswith(complaint)


def test_well_formed_files_are_read_strictly() -> None:
    assert read_opml(FIXTURE.read_bytes()).repaired is None


def test_skipped_outlines_are_reported_with_their_reason_and_line() -> None:
    data = b"""<opml version="2.0"><body>
<outline text="No URL" type="rss" htmlUrl="https://n.example/"/>
<outline text="Mail" xmlUrl="mailto:me@example.org"/>
<outline text="Relative" xmlUrl="/feed.xml"/>
<outline text="Filtered" xmlUrl="filter:~/bin/strip:https://f.example/rss"/>
<outline text="Old style" xmlUrl="feed://o.example/rss"/>
<outline text="Kept" xmlUrl="https://k.example/rss"/>
</body></opml>"""
    report = read_opml(data)
    assert report.outlines == [
        Outline("Old style", url="http://o.example/rss"),
        Outline("Kept", url="https://k.example/rss"),
    ]
    assert [str(s) for s in report.skipped] == [
        "line 2: outline 'No URL' has no xmlUrl",
        "line 3: outline 'Mail' has xmlUrl 'mailto:me@example.org', not a web address",
        "line 4: outline 'Relative' has xmlUrl '/feed.xml', not a web address",
        "line 5: outline 'Filtered' pipes a feed through a command, which Hearth does not do: "
        "filter:~/bin/strip:https://f.example/rss",
    ]
    assert report.feeds_read == 2


def test_folders_nested_too_deep_are_skipped_not_recursed() -> None:
    depth = 80
    data = (
        b"<opml><body>"
        + b'<outline text="f">' * depth
        + b'<outline text="leaf" xmlUrl="https://l.example/"/>'
    )
    data += b"</outline>" * depth + b"</body></opml>"
    report = read_opml(data)
    assert report.feeds_read == 0
    assert [s.reason for s in report.skipped] == ["folder 'f' is nested over 64 deep"]


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


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
def test_entities_are_refused_in_wide_encodings_too(encoding: str) -> None:
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<opml><body><outline text="&b;" xmlUrl="https://x/"/></body></opml>'
    )
    with pytest.raises(OPMLError, match="line 2: entity declarations are not allowed"):
        parse_opml(text.encode(encoding))
    plain = text.replace(text[text.index("<!DOCTYPE") : text.index("<opml>")], "").replace("&b;", "é")
    assert parse_opml(plain.encode(encoding)) == [Outline("é", url="https://x/")]


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


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(st.lists(trees, max_size=5))
def test_round_trip_property(tree: list[Outline]) -> None:
    once = parse_opml(write_opml(tree))
    assert once == _dedupe(tree, set())  # the same tree, first of each duplicate URL kept
    assert parse_opml(write_opml(once)) == once
