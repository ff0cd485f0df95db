"""Zhihu's HTML clean-up (RSSHub's `processImage`) followed by Hearth's sanitiser, and small HTML builders.

Real image sources come from `data-actualsrc`/`data-original` with the query dropped and the
`_b`/`_r`/`_720w` size suffixes stripped; `link.zhihu.com/?target=` redirects are unwrapped;
`<noscript>` and MCN (shopping) link cards are removed.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import lxml.html
from lxml import etree

from app.feeds.sanitize import sanitize_html

_SIZE_SUFFIX = re.compile(r"_(?:b|r|720w)(?=\.[A-Za-z0-9]+$)")


def real_image_url(url: str) -> str:
    """`https://pic1.zhimg.com/v2-abc_720w.jpg?source=1940ef5c` -> `https://pic1.zhimg.com/v2-abc.jpg`."""
    url = url.split("?", 1)[0]
    if url.startswith("//"):
        url = "https:" + url
    return _SIZE_SUFFIX.sub("", url)


def unwrap_link(href: str) -> str:
    """`https://link.zhihu.com/?target=https%3A//example.com/a` -> `https://example.com/a`."""
    parts = urlsplit(href)
    if parts.hostname == "link.zhihu.com":
        target = parse_qs(parts.query).get("target")
        if target and target[0]:
            return target[0]
    return href


def _is_mcn_card(el: etree._Element) -> bool:
    if el.get("data-draft-type") == "mcn-link-card":
        return True
    return "MCNLinkCard" in (el.get("class") or "")


def clean_zhihu_html(fragment: str, *, base_url: str | None = None) -> str:
    """Zhihu's own clean-up, then `sanitize_html` (the same sanitiser every feed goes through)."""
    if not fragment or not fragment.strip():
        return ""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    for el in list(root.iter("noscript")):
        el.drop_tree()
    for el in [e for e in root.iter() if isinstance(e.tag, str) and _is_mcn_card(e)]:
        el.drop_tree()
    for a in root.iter("a"):
        href = a.get("href")
        if href:
            a.set("href", unwrap_link(href))
    for img in root.iter("img"):
        src = img.get("data-actualsrc") or img.get("data-original") or img.get("src")
        for attr in ("data-actualsrc", "data-original", "data-rawwidth", "data-rawheight", "data-size"):
            img.attrib.pop(attr, None)
        if src and not src.startswith("data:"):
            img.set("src", real_image_url(src))
    inner = ((root.text and html.escape(root.text, quote=False)) or "") + "".join(
        lxml.html.tostring(child, encoding="unicode") for child in root
    )
    return sanitize_html(inner, base_url=base_url)


def text_paragraphs(text: str) -> str:
    """Plain text (newlines kept) as escaped HTML paragraphs."""
    paras = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paras)


def esc(text: object) -> str:
    return html.escape(str(text if text is not None else ""))
