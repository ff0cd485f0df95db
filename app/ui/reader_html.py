"""The article page the web reader shows: sanitised content rewritten so that it fits and stays local.

Every image, poster and media source becomes a `hearth://res/...` address (answered by Hearth's own
fetcher, see reader_scheme), embeds (iframe/object/embed, and videos) become a clickable card that
opens in the browser, enclosures become figures or an audio player, and the text gets `dir="auto"` and
a language hint so right-to-left and CJK text lay out properly. Plain Python (lxml), no Qt.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from string import Template
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from app.config import resources_dir
from app.dates import format_long_date
from app.i18n import SOURCE_LANGUAGE, _, current_language
from app.models import Article, Enclosure
from app.ui.reader_url import RESOURCE_HOST, SCHEME, original_url, resource_url

__all__ = ["RESOURCE_HOST", "SCHEME", "PageOptions", "original_url", "render_article", "resource_url"]

EMBED_TAGS = ("iframe", "object", "embed")
EMBED_LINK_TITLE = "Embedded media"  # what app.feeds.sanitize.embeds_as_links leaves of an <iframe>
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_RTL = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


@dataclass(frozen=True, slots=True)
class PageOptions:
    css: str  # the theme's reader stylesheet, already filled in
    remote_images: bool = True


def text_language(text: str) -> str | None:
    """The language code ("ja", "ko" or "zh") when the text is mostly CJK (for fonts and line breaking), else None."""
    sample = text[:4000]
    cjk = len(_CJK.findall(sample))
    if cjk < max(8, len(sample) // 10):
        return None
    if len(_KANA.findall(sample)) > cjk // 10:
        return "ja"
    if len(_HANGUL.findall(sample)) > cjk // 3:
        return "ko"
    return "zh"


def is_rtl(text: str) -> bool:
    letters = [ch for ch in text[:2000] if ch.isalpha()]
    return bool(letters) and len(_RTL.findall("".join(letters))) > len(letters) // 2


def render_article(article: Article, feed_title: str, options: PageOptions) -> str:
    """The whole HTML page for `article`."""
    base = article.url or ""
    empty = "<p><i>" + html.escape(_("This article has no text.")) + "</i></p>"
    content = article.content_html or article.summary_html or empty
    body, text = rewrite_content(content, base, remote_images=options.remote_images)
    meta = [html.escape(feed_title)] if feed_title else []
    if article.author:
        meta.append(html.escape(article.author))
    when = article.published or article.updated or article.first_seen
    if when:
        meta.append(f"<time>{html.escape(format_long_date(when))}</time>")
    title = article.title or _("(untitled)")
    lang = text_language(title + " " + text)
    return _template().safe_substitute(
        css=options.css,
        lang=f' lang="{lang}"' if lang else "",
        dir="rtl" if is_rtl(title + " " + text) else "auto",
        url=html.escape(_absolute(article.url or "", ""), quote=True),
        title=html.escape(title),
        meta=" · ".join(meta),
        content=body,
        enclosures=render_enclosures(article.enclosures, body, remote_images=options.remote_images),
    )


def render_message(css: str, heading: str, paragraphs: list[str]) -> str:
    """A page of Hearth's own (placeholder, welcome): `paragraphs` are trusted HTML."""
    css_class = "" if heading else " class='center'"  # a bare line (the placeholder) sits mid-pane
    parts = "".join(f"<p{css_class}>{p}</p>" for p in paragraphs)
    head = f"<h1 class='title'>{html.escape(heading)}</h1>" if heading else ""
    return (
        f"<!DOCTYPE html><html{_ui_lang()}><head><meta charset='utf-8'><style>{css}</style></head>"
        f"<body class='message'><main>{head}{parts}</main></body></html>"
    )


def _ui_lang() -> str:
    """Hearth's own pages are in the interface language: a lang attribute picks its fonts (web.css)."""
    language = current_language()
    return f" lang='{language.replace('_', '-')}'" if language != SOURCE_LANGUAGE else ""


def rewrite_content(content: str, base: str, *, remote_images: bool = True) -> tuple[str, str]:
    """(the rewritten HTML fragment, its plain text). `base` resolves relative addresses."""
    try:
        root = lxml.html.fragment_fromstring(content, create_parent="div")
    except (etree.ParserError, ValueError):
        return f"<p>{html.escape(content)}</p>", content
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.lower()
        if tag == "img":
            _rewrite_image(element, base, remote_images)
        elif tag == "a" and element.get("title") == EMBED_LINK_TITLE and element.get("href"):
            _replace_with_card(element, base, remote_images, src=element.get("href"))  # see embeds_as_links
        elif tag == "a":
            _rewrite_link(element, base)
        elif tag in EMBED_TAGS or tag == "video":
            _replace_with_card(element, base, remote_images)
        elif tag == "audio":
            _rewrite_audio(element, base)
        elif tag == "source" and element.getparent() is not None:
            element.drop_tag()  # the <img> of a picture is enough (libxml2 may nest it inside <source>)
        elif tag in ("p", "li", "blockquote", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption"):
            element.set("dir", "auto")
        elif tag == "table":
            _wrap(element, "table-scroll")
    text = root.text_content()
    inner = (root.text and html.escape(root.text)) or ""
    inner += "".join(etree.tostring(child, encoding="unicode", method="html") for child in root)
    return inner, text


def render_enclosures(enclosures: tuple[Enclosure, ...], body: str, *, remote_images: bool = True) -> str:
    """Images as figures (unless the article already shows them), audio as a player, the rest as links."""
    parts: list[str] = []
    for enc in enclosures:
        if not enc.url.startswith(("http://", "https://")):
            continue
        name = html.escape(enc.url.rsplit("/", 1)[-1].split("?", 1)[0] or enc.url)
        href = html.escape(enc.url, quote=True)
        kind = (enc.type or "").split("/", 1)[0].lower()
        if kind == "image" or (
            not enc.type and _looks_like(enc.url, (".jpg", ".jpeg", ".png", ".webp", ".gif"))
        ):
            if resource_url(enc.url) in body or html.escape(enc.url, quote=True) in body:
                continue
            if remote_images:
                parts.append(
                    f"<figure class='enclosure'><img src='{resource_url(enc.url)}' alt='{name}'></figure>"
                )
            else:
                parts.append(
                    "<p class='enclosure'>"
                    + _("<a href='{href}'>Image: {name}</a> (remote images are off)").format(
                        href=href, name=name
                    )
                    + "</p>"
                )
        elif kind == "audio" or (not enc.type and _looks_like(enc.url, (".mp3", ".ogg", ".opus", ".m4a"))):
            size = f" · {enc.length / 1_000_000:.0f} MB" if enc.length and enc.length > 1_000_000 else ""
            parts.append(
                f"<figure class='enclosure podcast'><audio controls preload='none' src='{resource_url(enc.url, media=True)}'>"
                "</audio><figcaption>"
                + _("Audio: <a href='{href}'>{name}</a>").format(href=href, name=name)
                + f"{size}</figcaption></figure>"
            )
        elif kind == "video":
            parts.append(_card_html(enc.url, _("Video"), None))
        else:
            kind_text = html.escape(enc.type) if enc.type else html.escape(_("file"))
            attachment = _("Attachment: <a href='{href}'>{name}</a> {kind}").format(
                href=href, name=name, kind=kind_text
            )
            parts.append(f"<p class='enclosure'>{attachment}</p>")
    return "".join(parts)


# --- element rewriting -----------------------------------------------------------------------------------
def _rewrite_image(img: etree._Element, base: str, remote_images: bool) -> None:
    src = _absolute(img.get("src") or "", base)
    for attr in ("srcset", "sizes", "loading", "style"):
        img.attrib.pop(attr, None)
    if src.startswith("data:"):
        return
    if not src.startswith(("http://", "https://")):
        _drop(img)
        return
    if not remote_images:
        link = etree.Element("a", href=src)
        link.set("class", "image-off")
        link.text = _("Image: {alt}").format(alt=img.get("alt") or _("not loaded"))
        _replace(img, link)
        return
    img.set("src", resource_url(src))
    # keep width/height: they reserve the space, and the stylesheet scales the image to the column
    for attr in ("width", "height"):
        value = img.get(attr, "")
        if value and not value.isdigit():
            img.attrib.pop(attr)


def _rewrite_link(link: etree._Element, base: str) -> None:
    href = link.get("href")
    if href is None:
        return
    link.attrib.pop("target", None)
    if href.startswith("#"):
        return
    link.set("href", _absolute(href, base))


def _rewrite_audio(audio: etree._Element, base: str) -> None:
    src = audio.get("src") or next((s.get("src") for s in audio.iter("source") if s.get("src")), "")
    src = _absolute(src or "", base)
    for child in list(audio):
        audio.remove(child)
    if not src.startswith(("http://", "https://")):
        _drop(audio)
        return
    audio.set("src", resource_url(src, media=True))
    audio.set("controls", "controls")
    audio.set("preload", "none")


def _replace_with_card(element: etree._Element, base: str, remote_images: bool, *, src: str = "") -> None:
    src = src or element.get("src") or element.get("data") or ""
    if not src:
        src = next((s.get("src") for s in element.iter("source") if s.get("src")), "") or ""
    src = _absolute(src, base)
    poster = element.get("poster") if element.tag == "video" else None
    poster = _absolute(poster, base) if poster and remote_images else None
    if not src.startswith(("http://", "https://")):
        _drop(element)
        return
    label = _("Video") if element.tag == "video" or _is_video_host(src) else _("Embedded content")
    card = lxml.html.fragment_fromstring(_card_html(src, label, poster))
    _replace(element, card)


def _card_html(src: str, label: str, poster: str | None) -> str:
    host = urlsplit(src).hostname or src
    picture = f"<img src='{resource_url(poster)}' alt=''>" if poster else "<span class='play'>▶</span>"
    return (
        f"<a class='embed' href='{html.escape(src, quote=True)}'>{picture}"
        f"<span class='embed-text'><b>{html.escape(label)}</b> · {html.escape(host)}<br>"
        f"<small>{html.escape(_('Opens in your browser'))}</small></span></a>"
    )


def _is_video_host(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(
        host == h or host.endswith("." + h)
        for h in (
            "youtube.com",
            "youtube-nocookie.com",
            "youtu.be",
            "vimeo.com",
            "bilibili.com",
            "dailymotion.com",
        )
    )


def _looks_like(url: str, suffixes: tuple[str, ...]) -> bool:
    return urlsplit(url).path.lower().endswith(suffixes)


def _absolute(url: str, base: str) -> str:
    url = url.strip()
    if not url or url.startswith(("data:", "mailto:", "#")):
        return url
    if url.startswith("//"):
        return "https:" + url
    try:
        return urljoin(base, url) if base else url
    except ValueError:
        return url


def _wrap(element: etree._Element, css_class: str) -> None:
    parent = element.getparent()
    if parent is None or (parent.tag == "div" and parent.get("class") == css_class):
        return
    wrapper = etree.Element("div")
    wrapper.set("class", css_class)
    parent.replace(element, wrapper)
    wrapper.tail, element.tail = element.tail, None
    wrapper.append(element)


def _replace(old: etree._Element, new: etree._Element) -> None:
    parent = old.getparent()
    if parent is None:
        return
    new.tail = old.tail
    parent.replace(old, new)


def _drop(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is not None:
        element.drop_tree()


_TEMPLATE: Template | None = None


def _template() -> Template:
    global _TEMPLATE
    if _TEMPLATE is None:
        _TEMPLATE = Template((resources_dir() / "article" / "page.html").read_text(encoding="utf-8"))
    return _TEMPLATE
