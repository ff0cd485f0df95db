"""Hearth's parser against feedparser 6.0.14's own suites (wellformed/, illformed/, sanitize/): every
`Expect:` line that asks only about fields Hearth keeps (feed title and link; entry title, link, id,
description/summary/content, dates, enclosures) is evaluated against Hearth's ParsedFeed, shown in
feedparser's shape. Cases where Hearth differs on purpose are listed in DELIBERATE with the reason.

Needs ../shared/corpus/feedparser (a fresh clone has no ../shared: the test then skips)."""

from __future__ import annotations

import html as htmllib
import io
import re
import time
from collections import Counter
from pathlib import Path

import feedparser
import lxml.html
import pytest
from lxml import etree

from app.errors import FeedParseError
from app.feeds.normalize import RawText, plain_title, text_to_html
from app.feeds.parse import parse_feed
from app.models import ParsedFeed

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "feedparser" / "tests"
SERVER = "http://127.0.0.1:8097/"  # where feedparser's own test server serves these files

_EXPECT = re.compile(r"^\s*Expect:\s*(.+?)\s*$", re.M)
_HEADER = re.compile(r"^\s*Header:\s*([^:]+):\s*(.+?)\s*$", re.M)
_Q = r"""\[['"]{}['"]\]|\.{}\b"""
_KEPT_PATHS = re.compile(
    r"feed(?:" + _Q.format("(?:title|link)", "(?:title|link)") + r")"
    r"|entries\[\d+\](?:"
    + _Q.format("content", "content")
    + r")\[0\](?:"
    + _Q.format("value", "value")
    + r")"
    r"|entries\[\d+\](?:"
    + _Q.format("enclosures", "enclosures")
    + r")\[\d+\](?:"
    + _Q.format("(?:href|type|length)", "(?:href|type|length)")
    + r")"
    r"|entries\[\d+\](?:"
    + _Q.format(
        "(?:title|link|id|description|summary|published_parsed|updated_parsed)",
        "(?:title|link|id|description|summary|published_parsed|updated_parsed)",
    )
    + r")(?!\s*\[)"
)
_OTHER_NAMES = re.compile(
    r"\b(?:feed|entries|version|encoding|headers|namespaces|href|status|bozo_exception)\b"
)

# Where Hearth's answer differs from feedparser's on purpose: (glob of case paths, reason).
DELIBERATE: list[tuple[str, str]] = [
    ("wellformed/sanitize/acceptable_attribute_*", "Hearth's allow-list keeps far fewer attributes: no presentational "
     "(bgcolor, face, size, border), form or layout ones; the article view styles text itself, and every attribute "
     "kept is attack surface"),
    ("wellformed/sanitize/blogger_dollar_sign_in_attribute.xml", "border is a presentational attribute (above)"),
    ("wellformed/sanitize/style_*", "Hearth drops inline style altogether: CSS can load URLs (tracking), overlay the "
     "reader's UI or hide text, and feedparser's regex CSS whitelist is a weaker guarantee than none"),
    ("wellformed/sanitize/acceptable_element_*", "Hearth keeps no form controls, canvas, dialog/menu, obsolete elements "
     "(font, dir, spacer, multicol, nextid, sound ...) or table parts outside a table (HTML5 parsing drops them); "
     "links get rel=noopener noreferrer; </br> is a second <br> as in browsers"),
    ("wellformed/sanitize/*_crazy.xml", "malformed comments are read by HTML5 rules (as a browser reads them), not "
     "SGML's; either way no script survives"),
    ("wellformed/sanitize/xml_malicious_comment.xml", "HTML5 ends a comment only at -->, so the text after the "
     "SGML-style '--' stays inside it, as in a browser"),
    ("wellformed/sanitize/item_content_encoded_script_nested_cdata.xml", "HTML5 has no CDATA in HTML content; "
     "the leftover ]]> is text, as a browser shows it"),
    ("wellformed/sanitize/entry_content_iframe.xml", "HTML5 reads an <iframe>'s content as text; Hearth drops the "
     "frame and keeps that text escaped instead of turning it into markup"),
    ("wellformed/sanitize/*_iframe.xml", "an <iframe> (a video embed) is kept as a link, never as a frame, so the "
     "reader can show a card that opens it in the browser instead of dropping the video silently"),
    ("wellformed/atom10/entry_*_base64*.xml", "application/octet-stream content is a binary blob of unknown type: "
     "Hearth shows no content rather than decoded bytes"),
    ("wellformed/base/http_*_content_location.xml", "RFC 7231 dropped Content-Location as the base URI of a "
     "response; Hearth resolves against the address it fetched"),
    ("wellformed/base/http_entry_id_base_docuri.xml", "an entry id is an identifier, not a link: resolving it "
     "would change every guid when a feed moves"),
    ("wellformed/rss/item_description_not_a_doctype2.xml", "a <!DOCTYPE inside HTML content is a bogus doctype to "
     "an HTML5 parser and is dropped, as a browser does"),
    ("wellformed/cdf/channel_href_map_link.xml", "a CDF channel with no title and no items is not a feed to Hearth"),
    ("illformed/always_strip_doctype.xml", "a document declaring an HTML DOCTYPE is treated as a web page (feed "
     "discovery then reads its feed links)"),
]  # fmt: skip


def canonical_html(html: str) -> str:
    """HTML as a parser reads it: `<img src="a" />` and `<img src="a">` are the same markup, and
    attribute order does not matter."""
    if "<" not in html and "&" not in html:
        return html
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return html
    out: list[str] = [htmllib.escape(root.text or "", quote=False)]
    for child in root:
        _write(child, out)
    return "".join(out)


def _write(el: etree._Element, out: list[str]) -> None:
    if isinstance(el.tag, str):
        attrs = "".join(f' {k}="{htmllib.escape(v)}"' for k, v in sorted(el.attrib.items()))
        out.append(f"<{el.tag}{attrs}>" + htmllib.escape(el.text or "", quote=False))
        for child in el:
            _write(child, out)
        out.append(f"</{el.tag}>")
    out.append(htmllib.escape(el.tail or "", quote=False))


class _Html(str):
    """An HTML field: compared with feedparser's expected string as markup, not as characters.
    `plain`: feedparser itself says the construct is text/plain, which Hearth stores escaped in <p>s."""

    __hash__ = str.__hash__
    plain = False

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, str):
            return False
        if self.plain and str(self) == text_to_html(other):
            return True
        return canonical_html(str(self)) == canonical_html(other)

    def __ne__(self, other: object) -> bool:
        return not self == other


class _Title(str):
    """Hearth's titles are plain text: one matches feedparser's title, or the text of it where
    feedparser says the title is HTML."""

    __hash__ = str.__hash__
    plain = True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, str):
            return False
        return str(self) == other or (
            not self.plain and str(self) == plain_title(RawText(other, "text/html"))
        )

    def __ne__(self, other: object) -> bool:
        return not self == other


class _View(dict):
    """feedparser's FeedParserDict, enough of it: keys and attributes."""

    def __getattr__(self, name: str) -> object:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _typed(cls: type[str], value: str, detail: object) -> str:
    """`value` as `cls`, marked plain when feedparser's *_detail says text/plain."""
    out = cls(value)
    out.plain = (getattr(detail, "get", lambda k, d=None: d)("type") or "text/plain") == "text/plain"  # type: ignore[attr-defined]
    return out


def _shape(feed: ParsedFeed, reference: object) -> tuple[_View, list[_View]]:
    ref_entries = reference.get("entries", [])  # type: ignore[attr-defined]
    entries = []
    for n, item in enumerate(feed.items):
        ref = ref_entries[n] if n < len(ref_entries) else {}
        summary_detail = ref.get("summary_detail") or {}
        content_detail = (ref.get("content") or [{}])[0]
        entry = _View(title=_typed(_Title, item.title, ref.get("title_detail")), id=item.guid)
        if item.url is not None:
            entry["link"] = item.url
        description = _typed(_Html, item.summary_html or item.content_html, summary_detail or content_detail)
        entry["description"] = entry["summary"] = description
        entry["content"] = [_View(value=_typed(_Html, item.content_html, content_detail or summary_detail))]
        for key, when in (("published_parsed", item.published), ("updated_parsed", item.updated)):
            if when is not None:
                entry[key] = when.utctimetuple()
        entry["enclosures"] = [
            _View(href=e.url, type=e.type, length=str(e.length) if e.length is not None else "")
            for e in item.enclosures
        ]
        entries.append(entry)
    head = _View(title=_typed(_Title, feed.title, reference.get("feed", {}).get("title_detail")))  # type: ignore[attr-defined]
    if feed.site_url:
        head["link"] = feed.site_url
    return head, entries


def corpus_cases() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*.xml") if p.is_file())


def in_scope(expect: str) -> bool:
    """True when the expression asks only about fields Hearth keeps."""
    return not _OTHER_NAMES.search(_KEPT_PATHS.sub("X", expect)) and bool(_KEPT_PATHS.search(expect))


def check_case(path: Path) -> tuple[str, str] | None:
    """None when out of scope, else (verdict, detail): verdict "agree" or "differ"."""
    text = path.read_bytes()
    head = text[:4096].decode("utf-8", "replace")
    match = _EXPECT.search(head)
    if match is None or not in_scope(match.group(1)):
        return None
    expect = match.group(1)
    headers = {k.strip().lower(): v for k, v in _HEADER.findall(head)}
    url = SERVER + path.relative_to(CORPUS.parent).as_posix()
    try:
        feed = parse_feed(text, url=url, content_type=headers.get("content-type"))
    except FeedParseError as exc:
        return "differ", f"FeedParseError: {exc.message}"
    # feedparser's own reading, only to know which constructs it calls text/plain
    reference = feedparser.parse(io.BytesIO(text), sanitize_html=False, resolve_relative_uris=False)
    head_view, entries = _shape(feed, reference)
    env = {"feed": head_view, "entries": entries, "bozo": "illformed" in path.parts, "time": time}
    try:
        ok = bool(eval(expect, {"__builtins__": {"len": len}}, env))  # the corpus's own expressions
    except (KeyError, IndexError, AttributeError, TypeError) as exc:
        return "differ", f"{type(exc).__name__}: {exc}"
    if ok:
        return "agree", ""
    return "differ", repr({"feed": dict(head_view), "entries": [dict(e) for e in entries[:1]]})[:300]


def _deliberate(rel: str) -> str | None:
    for pattern, reason in DELIBERATE:
        if Path(rel).match(pattern):
            return reason
    return None


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"feedparser's test corpus is not at {CORPUS} (no ../shared)")
def test_hearth_agrees_with_feedparsers_expect_lines_on_the_fields_it_keeps():
    agree = differ_ok = 0
    unexplained: list[str] = []
    by_dir: Counter[str] = Counter()
    for path in corpus_cases():
        result = check_case(path)
        if result is None:
            continue
        rel = path.relative_to(CORPUS).as_posix()
        verdict, detail = result
        if verdict == "agree":
            agree += 1
        elif _deliberate(rel):
            differ_ok += 1
            by_dir[rel.split("/")[1] if "/" in rel else rel] += 1
        else:
            unexplained.append(f"{rel}: {detail}")
    total = agree + differ_ok + len(unexplained)
    print(
        f"\nfeedparser corpus: Hearth agrees on {agree} of {total} cases; {differ_ok} differ on purpose {dict(by_dir)}"
    )
    assert total > 500
    assert not unexplained, "\n".join(unexplained[:40]) + f"\n... {len(unexplained)} unexplained"
