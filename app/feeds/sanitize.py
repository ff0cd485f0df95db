"""Make feed HTML safe to show: the nh3 allow-list, relative URLs resolved, frames as links, deep nesting cut."""

from __future__ import annotations

import html as htmllib
import re
from functools import lru_cache

import nh3

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
# The only data: URLs kept, and only as an <img src>: raster images. SVG can carry script and
# external references, so `data:image/svg+xml` is dropped like every other data: URL.
SAFE_DATA_IMAGE = re.compile(r"data:image/(?:png|gif|jpeg|jpg|webp)(?:;[a-z0-9=._+-]*)*,", re.I)
# What a browser ignores in a URL: C0 controls and spaces before it, tabs and newlines anywhere
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_TAB_NEWLINE = re.compile(r"[\t\n\r]+")


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
    # judge what the browser will read: " d\ta\nta:image/svg+xml" is a data: URL to it
    url = _TAB_NEWLINE.sub("", value.lstrip(_C0_AND_SPACE))
    if url[:5].lower() != "data:":
        return value
    if tag == "img" and attr == "src" and SAFE_DATA_IMAGE.match(url):
        return value
    return None


_EMBED = re.compile(r"<iframe\b[^>]*?\bsrc\s*=\s*[\"']?([^\"'\s>]+)[^>]*>(?:.*?</iframe\s*>)?", re.I | re.S)


def embeds_as_links(html: str) -> str:
    """An <iframe> (a video embed) becomes a link titled "Embedded media" the reader shows as a card;
    the frame itself is never kept."""
    if "<iframe" not in html.lower():
        return html
    return _EMBED.sub(
        lambda m: (
            f'<p><a href="{htmllib.escape(htmllib.unescape(m.group(1)), quote=True)}" title="Embedded media">'
            f"Embedded media: {htmllib.escape(htmllib.unescape(m.group(1)))}</a></p>"
        ),
        html,
    )


def sanitize_html(html: str, *, base_url: str | None = None) -> str:
    """Keep text, images, links, tables, code and media; drop scripts, styles, handlers, forms and frames.

    Relative href/src are resolved against `base_url` (an absolute http(s) URL); `data:` URLs survive
    only as an image's src, and only for PNG, GIF, JPEG and WebP (never SVG). Links get
    rel="noopener noreferrer".
    """
    if not html:
        return ""
    if base_url is not None and not base_url.lower().startswith(("http://", "https://")):
        base_url = None
    html = flatten_deep_nesting(html)
    html = embeds_as_links(html)
    allow_data = "data" in html.lower()  # "data:" may be split by tabs or newlines
    try:
        return _cleaner(base_url, allow_data).clean(html).strip()
    except ValueError:  # an unparsable base URL: keep relative URLs rather than fail the article
        return _cleaner(None, allow_data).clean(html).strip()


MAX_DEPTH = 256  # nested elements kept; the HTML parser's cost grows with depth times tags
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(?:[^>]*?(/?))?>")
_NO_DEPTH = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
        "p",
        "li",
        "dt",
        "dd",
        "tr",
        "td",
        "th",
        "option",
        "tbody",
        "thead",
        "tfoot",
        "colgroup",
        "rt",
        "rp",
    }
)  # fmt: skip  void elements, and ones the parser closes by itself: they never nest without limit


def flatten_deep_nesting(html: str) -> str:
    """`html` with the tags nested deeper than MAX_DEPTH removed (their text stays): 100,000 nested
    <div>s would take the sanitiser minutes, and no article needs more than a few dozen levels."""
    if html.count("<") <= MAX_DEPTH:
        return html
    depth = 0
    deepest = 0
    for match in _TAG.finditer(html):
        if match.group(2).lower() in _NO_DEPTH or match.group(3):
            continue
        depth = max(0, depth - 1) if match.group(1) else depth + 1
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            break
    if deepest <= MAX_DEPTH:
        return html
    pieces: list[str] = []
    depth = at = 0
    for match in _TAG.finditer(html):
        if match.group(2).lower() in _NO_DEPTH or match.group(3):
            continue
        closing = bool(match.group(1))
        depth = max(0, depth - 1) if closing else depth + 1
        if (depth if not closing else depth + 1) > MAX_DEPTH:
            pieces.append(html[at : match.start()])
            at = match.end()
    pieces.append(html[at:])
    return "".join(pieces)
