"""Zhihu API objects (answers, articles, pins, questions, columns, topics ...) as ParsedItem fields.

Links always point at the public site (www.zhihu.com / zhuanlan.zhihu.com), never at the
configured API base, so stored articles stay meaningful whatever base a test or mirror uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.feeds.sanitize import sanitize_html
from app.models import Enclosure, ParsedItem
from app.sources.zhihu.html import clean_zhihu_html, esc, real_image_url, text_paragraphs

WWW = "https://www.zhihu.com"
ZHUANLAN = "https://zhuanlan.zhihu.com"
_PIN_IMAGE_SIZE = re.compile(r"_[^/_.]+(?=\.(?:jpg|jpeg|png|gif|webp)$)", re.I)


def ts(value: Any) -> datetime | None:
    """Zhihu's unix seconds (int, float or digit string; milliseconds tolerated) as aware UTC."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if seconds > 1e11:  # milliseconds
        seconds /= 1000.0
    if seconds <= 0:
        return None
    return datetime.fromtimestamp(seconds, UTC)


def name_of(person: Any) -> str | None:
    return person.get("name") or None if isinstance(person, dict) else None


@dataclass(frozen=True, slots=True)
class Rendered:
    """What one Zhihu object contributes to an item: a title, a link, HTML, an author, dates."""

    title: str
    url: str
    html: str
    author: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    enclosures: tuple[Enclosure, ...] = ()


def answer_url(answer: dict[str, Any]) -> str:
    qid = (answer.get("question") or {}).get("id")
    return f"{WWW}/question/{qid}/answer/{answer.get('id')}" if qid else f"{WWW}/answer/{answer.get('id')}"


def article_url(article: dict[str, Any]) -> str:
    return f"{ZHUANLAN}/p/{article.get('id')}"


def pin_image_url(url: str) -> str:
    """Pin images come as `v2-x_xl.jpg` / `v2-x_r.jpg`; the bare name is the full-size picture."""
    return _PIN_IMAGE_SIZE.sub("", real_image_url(url))


def _pin_video(part: dict[str, Any]) -> str:
    playlist = part.get("playlist")
    video: dict[str, Any] | None = None
    if isinstance(playlist, dict):
        video = (
            playlist.get("hd")
            or playlist.get("sd")
            or playlist.get("ld")
            or next(iter(playlist.values()), None)
        )
    elif isinstance(playlist, list) and playlist:
        video = next((v for v in playlist if v.get("quality") == "hd"), None) or playlist[-1]
    if not isinstance(video, dict):
        return ""
    src = video.get("play_url") or video.get("url") or ""
    thumb = (part.get("cover_info") or {}).get("thumbnail") or part.get("thumbnail") or ""
    poster = f' poster="{esc(thumb.split("?", 1)[0])}"' if thumb else ""
    size = "".join(f' {k}="{esc(video[k])}"' for k in ("width", "height") if video.get(k))
    return f'<video controls preload="metadata"{size}{poster} src="{esc(src)}"></video>' if src else ""


def pin_content_html(pin: dict[str, Any]) -> str:
    """A pin's `content[]` (text, image, link, link_card, video) as HTML, with a repost's original after it."""
    parts: list[str] = []
    for part in pin.get("content") or []:
        kind = part.get("type")
        if kind == "text":
            if part.get("content"):
                parts.append(f"<div>{clean_zhihu_html(str(part['content']))}</div>")
            elif part.get("own_text"):
                parts.append(text_paragraphs(str(part["own_text"])))
        elif kind == "image" and part.get("url"):
            url = part.get("original_url") or part["url"]
            parts.append(f'<p><img src="{esc(pin_image_url(url))}" alt=""></p>')
        elif kind in ("link", "link_card") and part.get("url"):
            image = f'<br><img src="{esc(part["image_url"])}" alt="">' if part.get("image_url") else ""
            title = part.get("title") or part["url"]
            parts.append(f'<div><a href="{esc(part["url"])}">{esc(title)}</a>{image}</div>')
        elif kind == "video":
            parts.append(_pin_video(part))
        elif kind:
            parts.append(f"<p>[{esc(kind)}]</p>")
    origin = pin.get("origin_pin")
    if isinstance(origin, dict) and origin.get("id"):
        who = name_of(origin.get("author")) or ""
        parts.append(
            f'<blockquote><p><a href="{WWW}/pin/{esc(origin["id"])}">转发原文</a> {esc(who)}：</p>'
            f"{pin_content_html(origin)}</blockquote>"
        )
    return "".join(p for p in parts if p)


def render_target(target: dict[str, Any]) -> Rendered:
    """Any object an activity, a collection or a column can point at."""
    kind = target.get("type")
    author = name_of(target.get("author"))
    tid = target.get("id")
    if kind == "answer":
        question = target.get("question") or {}
        return Rendered(
            question.get("title") or target.get("excerpt", "")[:60],
            answer_url(target),
            clean_zhihu_html(target.get("content") or target.get("excerpt") or ""),
            author,
            ts(target.get("created_time")),
            ts(target.get("updated_time")),
        )
    if kind == "article":
        return Rendered(
            target.get("title") or "",
            article_url(target),
            clean_zhihu_html(target.get("content") or target.get("excerpt") or ""),
            author,
            ts(target.get("created")),
            ts(target.get("updated")),
        )
    if kind == "pin":
        return Rendered(
            target.get("excerpt_title") or "",
            f"{WWW}/pin/{tid}",
            pin_content_html(target),
            author,
            ts(target.get("created")),
            ts(target.get("updated")),
        )
    if kind == "question":
        return Rendered(
            target.get("title") or "",
            f"{WWW}/question/{tid}",
            clean_zhihu_html(target.get("detail") or target.get("excerpt") or ""),
            author,
            ts(target.get("created")),
            ts(target.get("updated_time")),
        )
    if kind == "zvideo":
        link = f"{WWW}/zvideo/{tid}"
        intro = text_paragraphs(target["description"]) if target.get("description") else ""
        video = target.get("video") or {}
        thumb = video.get("thumbnail") or target.get("image_url")
        cover = f'<p><img src="{esc(thumb)}" alt=""></p>' if thumb else ""
        return Rendered(
            target.get("title") or "",
            link,
            f'{cover}{intro}<p><a href="{link}">视频内容请跳转至原页面观看</a></p>',
            author,
            ts(target.get("created_at") or target.get("published_at")),
            ts(target.get("updated_at")),
        )
    if kind == "column":
        image = f'<p><img src="{esc(target["image_url"])}" alt=""></p>' if target.get("image_url") else ""
        return Rendered(
            target.get("title") or "",
            f"{ZHUANLAN}/{tid}",
            f"{text_paragraphs(target.get('intro') or target.get('description') or '')}{image}",
            author,
            ts(target.get("created")),
            ts(target.get("updated")),
        )
    if kind == "topic":
        followers = target.get("followers_count")
        extra = f"<p>话题关注者人数：{esc(followers)}</p>" if followers is not None else ""
        return Rendered(
            target.get("name") or "",
            f"{WWW}/topic/{tid}",
            f"{clean_zhihu_html(target.get('introduction') or target.get('excerpt') or '')}{extra}",
        )
    if kind == "collection":
        creator = name_of(target.get("creator")) or author
        return Rendered(
            target.get("title") or "",
            f"{WWW}/collection/{tid}",
            text_paragraphs(target.get("description") or ""),
            creator,
            ts(target.get("created_time")),
            ts(target.get("updated_time")),
        )
    if kind == "live":
        return Rendered(
            target.get("subject") or target.get("title") or "",
            f"{WWW}/lives/{tid}",
            text_paragraphs(target.get("description") or ""),
            name_of((target.get("speaker") or {}).get("member")) or author,
            ts(target.get("starts_at") or target.get("created_at")),
        )
    if kind == "roundtable":
        return Rendered(
            target.get("name") or "",
            f"{WWW}/roundtable/{tid}",
            clean_zhihu_html(target.get("description") or ""),
        )
    # anything newer: show what we can rather than dropping the activity
    url = target.get("url") or WWW
    if isinstance(url, str) and url.startswith(("https://api.zhihu.com", "http://api.zhihu.com")):
        url = WWW
    return Rendered(
        str(target.get("title") or target.get("name") or kind or "知乎"),
        str(url),
        clean_zhihu_html(str(target.get("content") or target.get("excerpt") or "")),
        author,
        ts(target.get("created") or target.get("created_time")),
    )


def to_item(
    rendered: Rendered, *, title: str | None = None, guid: str | None = None, **overrides: Any
) -> ParsedItem:
    return ParsedItem(
        guid=guid or rendered.url,
        url=rendered.url,
        title=title if title is not None else rendered.title,
        author=overrides.get("author", rendered.author),
        published=overrides.get("published", rendered.published),
        updated=overrides.get("updated", rendered.updated),
        content_html=sanitize_html(rendered.html),  # the HTML built here around already-clean parts
        enclosures=rendered.enclosures,
    )
