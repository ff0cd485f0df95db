"""Zhihu sources that need the login cookie (or at least d_c0): the follow timeline, a topic, a user's collections.

Endpoints and field mappings follow RSSHub's zhihu/timeline.ts, topic.ts and all-collections.ts
(research notes §1). Where RSSHub fans out in parallel, Hearth asks one page at a time, capped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.errors import CookieMissingError
from app.models import ParsedFeed, ParsedItem
from app.sources.base import Param, SourceContext
from app.sources.zhihu.client import LOGIN_HINT, ZhihuClient
from app.sources.zhihu.html import clean_zhihu_html, esc
from app.sources.zhihu.people import ZhihuSource, q, www_url
from app.sources.zhihu.render import WWW, Rendered, name_of, render_target, to_item, ts

COLLECTIONS_MAX = 10  # a user's collections read per refresh (one page of 20 items each)
COLLECTION_PAGE = 20


def _known_title(ctx: SourceContext) -> str | None:
    title = ctx.extra.get("known_title")
    return str(title) if title else None


def _need_login(client: ZhihuClient, what: str) -> None:
    if not client.cookies.get("z_c0"):
        raise CookieMissingError(f"{what} needs your Zhihu login (the z_c0 cookie)", hint=LOGIN_HINT)


def timeline_entry(entry: dict[str, Any]) -> ParsedItem | None:
    """One `moments` entry: "{actors} {action}: {title}" over the target's content (None for adverts)."""
    if entry.get("type") == "feed_advert":
        return None
    if entry.get("type") == "feed_group":
        members = [e for e in entry.get("list") or [] if isinstance(e, dict)]
        if not members:
            return None
        first = timeline_entry(members[0])
        if first is None:
            return None
        title = str(entry.get("group_text") or first.title).replace("{LIST_COUNT}", str(len(members)))
        return dataclasses.replace(
            first, title=title, published=ts(members[0].get("updated_time")) or first.published
        )
    target = entry.get("target") if isinstance(entry.get("target"), dict) else {}
    rendered = render_target(target)
    actors = ", ".join(
        str(a.get("name")) for a in entry.get("actors") or [] if isinstance(a, dict) and a.get("name")
    )
    action = str(entry.get("action_text_tpl") or "{}").replace("{}", actors)
    subject = target.get("title") or (target.get("question") or {}).get("title") or rendered.title
    guid = f"zhihu:{target.get('type')}:{target.get('id')}" if target.get("id") else rendered.url
    return to_item(
        rendered,
        title=f"{action}: {subject}" if subject else action,
        guid=guid,
        published=ts(entry.get("updated_time")) or rendered.published,
    )


@dataclass(frozen=True)
class TimelineSource(ZhihuSource):
    id: str = "zhihu.timeline"
    name: str = "Zhihu follow timeline (signed-in user)"
    params: tuple[Param, ...] = ()
    url_patterns: tuple[str, ...] = (www_url(r"/follow"),)
    routes: tuple[str, ...] = ("/zhihu/timeline",)

    def feed_url(self, params: Mapping[str, str]) -> str:
        return f"{WWW}/follow"

    def title(self, params: Mapping[str, str]) -> str:
        return "知乎关注动态"

    async def fetch_with(self, client: ZhihuClient, params: dict[str, str]) -> ParsedFeed:
        _need_login(client, "the follow timeline")
        data = await client.www_json(
            "/api/v3/moments?desktop=true&limit=15", referer=f"{WWW}/follow", what="the follow timeline"
        )
        items = [timeline_entry(e) for e in data.get("data") or [] if isinstance(e, dict)]
        return ParsedFeed(
            title="知乎关注动态", site_url=f"{WWW}/follow", items=tuple(i for i in items if i), format="zhihu"
        )


def topic_item(target: dict[str, Any]) -> ParsedItem:
    kind = target.get("type")
    rendered = render_target(target)
    if kind == "answer":
        question = (target.get("question") or {}).get("title") or ""
        author = name_of(target.get("author")) or "匿名用户"
        html = f"<p><strong>{esc(question)}</strong></p><p>{esc(author)}的回答</p>" + clean_zhihu_html(
            target.get("content") or target.get("excerpt") or ""
        )
        excerpt = str(target.get("excerpt") or "")[:60]
        rendered = dataclasses.replace(rendered, html=html, title=f"{question}-{author}的回答：{excerpt}")
        return to_item(
            rendered,
            guid=str(target.get("id")),
            published=ts(target.get("updated_time")) or rendered.published,
        )
    if kind == "zvideo":
        video = target.get("video") or {}
        playlist = video.get("playlist") or {}
        source = next(
            (playlist[k]["url"] for k in ("fhd", "hd", "ld", "sd") if (playlist.get(k) or {}).get("url")), ""
        )
        poster = video.get("thumbnail") or ""
        player = f'<video controls poster="{esc(poster)}" src="{esc(source)}"></video>' if source else ""
        url = target.get("url") or rendered.url
        rendered = dataclasses.replace(rendered, url=str(url), html=rendered.html + player)
    return to_item(rendered, guid=str(target.get("id") or rendered.url))


@dataclass(frozen=True)
class TopicSource(ZhihuSource):
    id: str = "zhihu.topic"
    name: str = "Zhihu topic (话题)"
    params: tuple[Param, ...] = (
        Param("topicId", "the topic id: www.zhihu.com/topic/<id>"),
        Param("isTop", "non-empty for the top answers (精华) instead of the newest", ""),
    )
    url_patterns: tuple[str, ...] = (
        www_url(r"/topic/(?P<topicId>\d+)/(?P<isTop>top-answers)"),
        www_url(r"/topic/(?P<topicId>\d+)(?:/(?:newest|hot|intro))?"),
    )
    routes: tuple[str, ...] = ("/zhihu/topic/:topicId/:isTop?",)

    def feed_url(self, params: Mapping[str, str]) -> str:
        tab = "top-answers" if params.get("isTop") else "newest"
        return f"{WWW}/topic/{params['topicId']}/{tab}"

    def match(self, url: str) -> dict[str, str] | None:
        found = super().match(url)
        if found is not None and found.get("isTop"):
            found["isTop"] = "1"  # any non-empty value, one canonical form
        return found

    def title(self, params: Mapping[str, str]) -> str:
        return f"知乎话题 {params['topicId']}"

    async def fetch(self, params: Mapping[str, str], ctx: SourceContext) -> ParsedFeed:
        params = self.check_params(params)
        client = ZhihuClient(ctx)
        tid = params["topicId"]
        top = bool(params.get("isTop"))
        page = self.feed_url(params)
        feed = "top_activity" if top else "timeline_activity"
        data = await client.www_json(
            f"/api/v5.1/topics/{q(tid)}/feeds/{feed}?limit=10", referer=page, what=f"topic {tid}"
        )
        title, description = _known_title(ctx), ""
        if title is None:
            meta = await client.www_json(f"/api/v4/topics/{q(tid)}", referer=page, what=f"topic {tid}")
            title = f"知乎话题-{meta.get('name') or tid}" + ("-精华" if top else "")
            description = str(meta.get("introduction") or "")
        items = [
            topic_item(e["target"])
            for e in data.get("data") or []
            if isinstance(e, dict) and isinstance(e.get("target"), dict)
        ]
        return ParsedFeed(
            title=title, site_url=page, description=description, items=tuple(items), format="zhihu"
        )


@dataclass(frozen=True)
class AllCollectionsSource(ZhihuSource):
    id: str = "zhihu.people.allCollections"
    name: str = "Zhihu user's collections (all)"
    params: tuple[Param, ...] = (Param("id", "the user's id: www.zhihu.com/people/<id>/collections"),)
    url_patterns: tuple[str, ...] = (www_url(r"/people/(?P<id>[^/?#]+)/collections"),)
    routes: tuple[str, ...] = ("/zhihu/people/allCollections/:id",)

    def feed_url(self, params: Mapping[str, str]) -> str:
        return f"{WWW}/people/{params['id']}/collections"

    def title(self, params: Mapping[str, str]) -> str:
        return f"{params['id']}的知乎收藏"

    async def fetch(self, params: Mapping[str, str], ctx: SourceContext) -> ParsedFeed:
        params = self.check_params(params)
        client = ZhihuClient(ctx)
        uid = params["id"]
        page = self.feed_url(params)
        listing = await client.api_json(
            f"/people/{q(uid)}/collections", referer=page, need_cookie=True, what=f"user {uid}'s collections"
        )
        collections = [c for c in listing.get("data") or [] if isinstance(c, dict) and c.get("id")]
        items: dict[str, ParsedItem] = {}
        for collection in collections[:COLLECTIONS_MAX]:
            cid = str(collection["id"])
            data = await client.www_json(
                f"/api/v4/collections/{q(cid)}/items?offset=0&limit={COLLECTION_PAGE}",
                referer=f"{WWW}/collection/{cid}",
                what=f"collection {cid}",
            )
            for entry in data.get("data") or []:
                content = (entry or {}).get("content") or {}
                if not content:
                    continue
                rendered: Rendered = render_target(content)
                when = ts(
                    content.get("updated")
                    if content.get("type") == "article"
                    else content.get("updated_time")
                )
                label = f"<p>收藏夹：{esc(collection.get('title') or cid)}</p>"
                item = to_item(
                    dataclasses.replace(rendered, html=label + rendered.html),
                    published=when or rendered.published,
                )
                items.setdefault(item.guid, item)
        creator = name_of(collections[0].get("creator")) if collections else None
        return ParsedFeed(
            title=_known_title(ctx) or f"{creator or uid}的知乎收藏",
            site_url=page,
            items=tuple(items.values()),
            format="zhihu",
        )
