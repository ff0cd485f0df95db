"""Bilibili API objects (uploaded videos, dynamics, favourites) as ParsedItems: cover, duration, text, pictures."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from app.feeds.sanitize import sanitize_html
from app.models import Enclosure, ParsedItem

WWW = "https://www.bilibili.com"
T = "https://t.bilibili.com"
BV_SINCE = 1589990400  # videos created before this have av links (RSSHub's bvidTime)


def ts(value: Any) -> datetime | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None


def https(url: Any) -> str:
    """Covers come as http:// or protocol-relative; the https one is the same picture."""
    text = str(url or "")
    if text.startswith("//"):
        return "https:" + text
    return "https://" + text[7:] if text.startswith("http://") else text


def esc(value: Any) -> str:
    return escape(str(value), quote=True)


def text_html(text: Any) -> str:
    return "".join(f"<p>{esc(line)}</p>" for line in str(text or "").splitlines() if line.strip())


def duration_text(value: Any) -> str:
    """'MM:SS' strings pass through; seconds become M:SS or H:MM:SS."""
    if isinstance(value, str) and ":" in value:
        return value
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def video_link(bvid: Any, aid: Any = None, created: Any = None) -> str:
    try:
        old = aid and created is not None and float(created) <= BV_SINCE
    except (TypeError, ValueError):
        old = False
    return f"{WWW}/video/av{aid}" if old or not bvid else f"{WWW}/video/{bvid}"


def _cover(url: str) -> str:
    return f'<p><img src="{esc(url)}" alt=""></p>' if url else ""


def video_item(video: dict[str, Any], *, author: str | None = None) -> ParsedItem:
    """One `arc/search` vlist entry (or a favourites media): cover, duration and link."""
    bvid = video.get("bvid")
    link = video_link(bvid, video.get("aid") or video.get("id"), video.get("created") or video.get("pubtime"))
    cover = https(video.get("pic") or video.get("cover"))
    length = duration_text(video.get("length") or video.get("duration"))
    intro = video.get("description") or video.get("intro") or ""
    html = (
        _cover(cover)
        + (f"<p>时长 {esc(length)}</p>" if length else "")
        + text_html(intro)
        + f'<p><a href="{esc(link)}">{esc(link)}</a></p>'
    )
    return ParsedItem(
        guid=str(bvid or link),
        url=link,
        title=str(video.get("title") or bvid or ""),
        author=author or video.get("author") or (video.get("upper") or {}).get("name"),
        published=ts(video.get("created") or video.get("pubtime")),
        content_html=sanitize_html(html),
        enclosures=(Enclosure(cover, "image/jpeg"),) if cover else (),
    )


def _pictures(urls: list[str]) -> str:
    return "".join(f'<p><img src="{esc(https(u))}" alt=""></p>' for u in urls if u)


def _major(major: dict[str, Any]) -> tuple[str, str, str, list[str]]:
    """(title, text, link, pictures) of a dynamic's `major` by its type."""
    kind = str(major.get("type") or "").removeprefix("MAJOR_TYPE_").lower()
    part = major.get(kind) if isinstance(major.get(kind), dict) else {}
    if kind == "archive":
        link = video_link(part.get("bvid"), part.get("aid"))
        return part.get("title") or "", part.get("desc") or "", link, [part.get("cover") or ""]
    if kind == "opus":
        pics = [p.get("url") or "" for p in part.get("pics") or [] if isinstance(p, dict)]
        summary = (part.get("summary") or {}).get("text") or ""
        return part.get("title") or "", summary, https(part.get("jump_url")), pics
    if kind == "draw":
        pics = [p.get("src") or "" for p in part.get("items") or [] if isinstance(p, dict)]
        return "", "", "", pics
    if kind == "article":
        link = f"{WWW}/read/cv{part.get('id')}" if part.get("id") else ""
        return part.get("title") or "", part.get("desc") or "", link, list(part.get("covers") or [])
    if kind == "none":
        return "", (part.get("tips") or "该动态已被删除"), "", []
    return (
        part.get("title") or "",
        part.get("desc") or "",
        https(part.get("jump_url")),
        [part.get("cover") or ""],
    )


def dynamic_parts(item: dict[str, Any]) -> tuple[str, str, str, str | None, datetime | None]:
    """(title, html, link, author, published) of one dynamic, its repost's original included."""
    modules = item.get("modules") or {}
    author = modules.get("module_author") or {}
    dynamic = modules.get("module_dynamic") or {}
    desc = str((dynamic.get("desc") or {}).get("text") or "")
    major = dynamic.get("major") if isinstance(dynamic.get("major"), dict) else {}
    title, text, link, pics = _major(major) if major else ("", "", "", [])
    html = (
        text_html(desc) + (f"<p><b>{esc(title)}</b></p>" if title else "") + text_html(text) + _pictures(pics)
    )
    if link:
        html += f'<p><a href="{esc(link)}">{esc(link)}</a></p>'
    orig = item.get("orig")
    if isinstance(orig, dict) and orig.get("modules"):
        o_title, o_html, _, o_author, _ = dynamic_parts(orig)
        who = f"@{esc(o_author)}: " if o_author else ""
        html += f'<blockquote><p>转发 {who}<a href="{T}/{esc(orig.get("id_str"))}">原动态</a></p>{o_html}</blockquote>'
        title = title or f"转发：{o_title}"
    first_line = next((line for line in desc.splitlines() if line.strip()), "")
    return (
        title or first_line[:80] or text[:80] or "动态",
        html,
        link,
        author.get("name"),
        ts(author.get("pub_ts")),
    )


def dynamic_item(item: dict[str, Any]) -> ParsedItem:
    id_str = str(item.get("id_str") or "")
    title, html, _, author, published = dynamic_parts(item)
    return ParsedItem(
        guid=id_str,
        url=f"{T}/{id_str}",
        title=title,
        author=author,
        published=published,
        content_html=sanitize_html(html),
    )
