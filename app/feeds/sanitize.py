"""Make feed HTML safe to show (nh3 allow-list, relative URLs resolved) and turn HTML into plain text."""

from __future__ import annotations

import html as htmllib
import re
from functools import lru_cache

import lxml.html
import nh3
from lxml import etree

TAGS = frozenset(
    {
        "a", "abbr", "acronym", "address", "article", "aside", "audio", "b", "bdi", "bdo", "big",
        "blockquote", "br", "caption", "center", "cite", "code", "col", "colgroup", "dd", "del",
        "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "footer", "h1", "h2", "h3",
        "h4", "h5", "h6", "header", "hgroup", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p",
        "picture", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section", "small", "source", "span",
        "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
        "time", "tr", "tt", "u", "ul", "var", "video", "wbr",
    }
)  # fmt: skip
_CELL = {"colspan", "rowspan", "align", "scope", "headers"}
ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "audio": {"src", "controls", "loop", "preload"},
    "video": {"src", "controls", "loop", "preload", "poster", "width", "height"},
    "source": {"src", "type", "media"},
    "abbr": {"title"},
    "acronym": {"title"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "time": {"datetime"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "td": _CELL,
    "th": _CELL,
    "col": {"span"},
    "colgroup": {"span"},
    "table": {"summary"},
    "bdo": {"dir"},
    "details": {"open"},
}
# Removed together with their content; every other unknown tag is dropped but its text kept.
CLEAN_CONTENT_TAGS = frozenset({"script", "style", "template", "title", "textarea", "select", "button"})
URL_SCHEMES = frozenset({"http", "https", "mailto", "ftp", "magnet", "tel", "xmpp", "irc", "ircs", "news"})
_DATA_IMAGE = re.compile(r"\s*data:image/(png|gif|jpe?g|webp|avif|bmp|svg\+xml)[;,]", re.I)


@lru_cache(maxsize=512)
def _cleaner(base_url: str | None, allow_data: bool) -> nh3.Cleaner:
    schemes = set(URL_SCHEMES) | ({"data"} if allow_data else set())
    return nh3.Cleaner(
        tags=set(TAGS),
        clean_content_tags=set(CLEAN_CONTENT_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ATTRIBUTES.items()},
        attribute_filter=_keep_data_images_only if allow_data else None,
        url_schemes=schemes,
        link_rel="noopener noreferrer",
        strip_comments=True,
        url_relative=("rewrite_with_base", base_url) if base_url else None,
    )


def _keep_data_images_only(tag: str, attr: str, value: str) -> str | None:
    if value.lstrip()[:5].lower() != "data:":
        return value
    if tag == "img" and attr == "src" and _DATA_IMAGE.match(value):
        return value
    return None


def sanitize_html(html: str, *, base_url: str | None = None) -> str:
    """Keep text, images, links, tables, code and media; drop scripts, styles, handlers, forms and frames.

    Relative href/src are resolved against `base_url` (an absolute http(s) URL); `data:` URLs survive
    only as an image's src. Links get rel="noopener noreferrer".
    """
    if not html:
        return ""
    if base_url is not None and not base_url.lower().startswith(("http://", "https://")):
        base_url = None
    allow_data = "data:" in html.lower()
    try:
        return _cleaner(base_url, allow_data).clean(html).strip()
    except ValueError:  # an unparsable base URL: keep relative URLs rather than fail the article
        return _cleaner(None, allow_data).clean(html).strip()


_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "details", "div", "dl", "dt", "figcaption",
        "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre",
        "section", "summary", "table", "tr", "ul",
    }
)  # fmt: skip
_SKIP_TAGS = frozenset({"script", "style", "template", "head", "title", "noscript"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_MARKUP_HINT = re.compile(r"<[a-zA-Z!/]|&#?\w+;")


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: blocks become lines, whitespace collapses, scripts and styles vanish."""
    if not html or not html.strip():
        return ""
    if not _MARKUP_HINT.search(html):
        return _tidy(html)
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return _tidy(htmllib.unescape(re.sub(r"<[^>]*>", " ", html)))
    pieces: list[str] = [root.text or ""]
    _collect_text(root, pieces)
    return _tidy("".join(pieces))


def _collect_text(element: etree._Element, pieces: list[str]) -> None:
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in _SKIP_TAGS:
            pass
        elif tag:
            block = tag in _BLOCK_TAGS
            if block:
                pieces.append("\n")
            if tag == "img" and child.get("alt"):
                pieces.append(child.get("alt", ""))
            if child.text:
                pieces.append(child.text)
            _collect_text(child, pieces)
            if block:
                pieces.append("\n")
            elif tag in ("td", "th"):
                pieces.append(" ")
        if child.tail:
            pieces.append(child.tail)


def _tidy(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
