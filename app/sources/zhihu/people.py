"""Zhihu per-person sources: activities (动态), answers (回答), articles (文章) and pins (想法).

Endpoints, query strings and field mappings follow RSSHub's zhihu routes (see the research notes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from app.models import ParsedFeed
from app.sources.base import Param, RouteSource, SourceContext
from app.sources.zhihu.client import SITE, ZhihuClient
from app.sources.zhihu.html import clean_zhihu_html
from app.sources.zhihu.render import (
    WWW,
    Rendered,
    answer_url,
    article_url,
    name_of,
    pin_content_html,
    render_target,
    to_item,
    ts,
)

ID = Param("id", "the user's id from the profile URL: www.zhihu.com/people/<id>")
USERTYPE = Param("usertype", "people (a person) or org (an organisation)", "people", ("people", "org"))
ANSWERS_INCLUDE = "data[*].is_normal,content"
POSTS_INCLUDE = (
    "data[*].comment_count,suggest_edit,is_normal,thumbnail_extra_info,thumbnail,can_comment,comment_permission,"
    "admin_closed_comment,content,voteup_count,created,updated,upvoted_followees,voting,review_info,"
    "reaction_instruction,is_labeled,label_info;data[*].vessay_info;data[*].author.badge[?(type=best_answerer)].topics;"
    "data[*].author.vip_info;"
)
PROFILE_INCLUDE = (
    "allow_message,is_followed,is_following,is_org,is_blocking,employments,answer_count,follower_count,"
    "articles_count,gender,badge[?(type=best_answerer)].topics"
)


def www_url(path_regex: str) -> str:
    """A regex for a www.zhihu.com page URL (http or https, optional www, trailing slash or query)."""
    return r"^https?://(?:www\.)?zhihu\.com" + path_regex + r"/?(?:\?.*)?$"


def q(value: str) -> str:
    return quote(value, safe="")


@dataclass(frozen=True)
class ZhihuSource(RouteSource):
    site: str | None = SITE

    async def fetch(self, params: Mapping[str, str], ctx: SourceContext) -> ParsedFeed:
        params = self.check_params(params)
        return await self.fetch_with(ZhihuClient(ctx), params)

    async def fetch_with(self, client: ZhihuClient, params: dict[str, str]) -> ParsedFeed:
        raise NotImplementedError


@dataclass(frozen=True)
class ActivitiesSource(ZhihuSource):
    id: str = "zhihu.people.activities"
    name: str = "Zhihu user activities"
    params: tuple[Param, ...] = (ID,)
    url_patterns: tuple[str, ...] = (www_url(r"/people/(?P<id>[^/?#]+)(?:/activities)?"),)
    routes: tuple[str, ...] = ("/zhihu/people/activities/:id",)

    def feed_url(self, params: Mapping[str, str]) -> str:
        return f"{WWW}/people/{params['id']}/activities"

    def title(self, params: Mapping[str, str]) -> str:
        return f"{params['id']}的知乎动态"

    async def fetch_with(self, client: ZhihuClient, params: dict[str, str]) -> ParsedFeed:
        uid = params["id"]
        page = self.feed_url(params)
        data = await client.www_json(
            f"/api/v3/moments/{q(uid)}/activities?limit=5&desktop=true&ws_qiangzhisafe=0",
            referer=page,
            what=f"user {uid}",
        )
        activities = [a for a in data.get("data") or [] if isinstance(a, dict)]
        actor = next((a.get("actor") for a in activities if isinstance(a.get("actor"), dict)), None) or {}
        who = actor.get("name") or uid
        items = []
        for activity in activities:
            target = activity.get("target") or {}
            rendered = render_target(target)
            name = name_of(activity.get("actor")) or who
            title = f"{name}{activity.get('action_text') or ''}: {rendered.title}"
            guid = f"zhihu:activity:{activity['id']}" if activity.get("id") else rendered.url
            items.append(
                to_item(
                    rendered,
                    title=title,
                    guid=guid,
                    published=ts(activity.get("created_time")) or rendered.published,
                )
            )
        return ParsedFeed(
            title=f"{who}的知乎动态",
            site_url=page,
            icon_url=actor.get("avatar_url"),
            description=actor.get("headline") or actor.get("description") or "",
            items=tuple(items),
            format="zhihu",
        )


@dataclass(frozen=True)
class AnswersSource(ZhihuSource):
    id: str = "zhihu.people.answers"
    name: str = "Zhihu user answers"
    params: tuple[Param, ...] = (ID,)
    url_patterns: tuple[str, ...] = (www_url(r"/people/(?P<id>[^/?#]+)/answers"),)
    routes: tuple[str, ...] = ("/zhihu/people/answers/:id",)

    def feed_url(self, params: Mapping[str, str]) -> str:
        return f"{WWW}/people/{params['id']}/answers"

    def title(self, params: Mapping[str, str]) -> str:
        return f"{params['id']}的知乎回答"

    async def fetch_with(self, client: ZhihuClient, params: dict[str, str]) -> ParsedFeed:
        uid = params["id"]
        page = self.feed_url(params)
        query = urlencode({"limit": 7, "include": ANSWERS_INCLUDE})
        data = await client.www_json(
            f"/api/v4/members/{q(uid)}/answers?{query}", referer=page, what=f"user {uid}"
        )
        answers = [a for a in data.get("data") or [] if isinstance(a, dict)]
        author = next((name_of(a.get("author")) for a in answers if name_of(a.get("author"))), None) or uid
        items = []
        for answer in answers:
            rendered = Rendered(
                (answer.get("question") or {}).get("title") or "",
                answer_url(answer),
                clean_zhihu_html(answer.get("content") or answer.get("excerpt") or ""),
                name_of(answer.get("author")),
                ts(answer.get("created_time")),
                ts(answer.get("updated_time")),
            )
            items.append(to_item(rendered))
        return ParsedFeed(title=f"{author}的知乎回答", site_url=page, items=tuple(items), format="zhihu")


@dataclass(frozen=True)
class PostsSource(ZhihuSource):
    id: str = "zhihu.posts"
    name: str = "Zhihu user articles"
    params: tuple[Param, ...] = (USERTYPE, ID)
    url_patterns: tuple[str, ...] = (www_url(r"/(?P<usertype>people|org)/(?P<id>[^/?#]+)/posts"),)
    routes: tuple[str, ...] = ("/zhihu/posts/:usertype/:id",)

    def feed_url(self, params: Mapping[str, str]) -> str:
        return f"{WWW}/{params.get('usertype', 'people')}/{params['id']}/posts"

    def title(self, params: Mapping[str, str]) -> str:
        return f"{params['id']} 的知乎文章"

    async def fetch_with(self, client: ZhihuClient, params: dict[str, str]) -> ParsedFeed:
        uid, kind = params["id"], params["usertype"]
        collection = "members" if kind == "people" else "org"
        page = self.feed_url(params)
        profile = await client.www_json(
            f"/api/v4/{collection}/{q(uid)}?{urlencode({'include': PROFILE_INCLUDE})}",
            referer=f"{WWW}/{kind}/{uid}/",
            what=f"user {uid}",
        )
        query = urlencode({"include": POSTS_INCLUDE, "offset": 0, "limit": 20, "sort_by": "created"})
        data = await client.www_json(
            f"/api/v4/{collection}/{q(uid)}/articles?{query}", referer=page, what=f"user {uid}"
        )
        items = []
        for article in data.get("data") or []:
            if not isinstance(article, dict):
                continue
            rendered = Rendered(
                article.get("title") or "",
                article_url(article),
                clean_zhihu_html(article.get("content") or article.get("excerpt") or ""),
                name_of(article.get("author")),
                ts(article.get("created")),
                ts(article.get("updated")),
            )
            items.append(to_item(rendered))
        avatar = profile.get("avatar_url")
        return ParsedFeed(
            title=f"{profile.get('name') or uid} 的知乎文章",
            site_url=page,
            icon_url=avatar.split("?", 1)[0] if isinstance(avatar, str) else None,
            description=profile.get("headline") or "",
            items=tuple(items),
            format="zhihu",
        )


@dataclass(frozen=True)
class PinsSource(ZhihuSource):
    id: str = "zhihu.people.pins"
    name: str = "Zhihu user pins (想法)"
    params: tuple[Param, ...] = (ID,)
    url_patterns: tuple[str, ...] = (www_url(r"/people/(?P<id>[^/?#]+)/pins"),)
    routes: tuple[str, ...] = ("/zhihu/people/pins/:id",)

    def feed_url(self, params: Mapping[str, str]) -> str:
        return f"{WWW}/people/{params['id']}/pins"

    def title(self, params: Mapping[str, str]) -> str:
        return f"{params['id']}的知乎想法"

    async def fetch_with(self, client: ZhihuClient, params: dict[str, str]) -> ParsedFeed:
        uid = params["id"]
        page = self.feed_url(params)
        data = await client.api_json(
            f"/pins/{q(uid)}/moments?limit=10&offset=0", referer=page, need_cookie=False, what=f"user {uid}"
        )
        items = []
        who = uid
        for entry in data.get("data") or []:
            if not isinstance(entry, dict):
                continue
            pin: dict[str, Any] = entry.get("target") if isinstance(entry.get("target"), dict) else entry
            author = name_of(pin.get("author")) or ""
            who = author or who
            rendered = Rendered(
                pin.get("excerpt_title") or "",
                f"{WWW}/pin/{pin.get('id')}",
                pin_content_html(pin),
                author or None,
                ts(pin.get("created")),
                ts(pin.get("updated")),
            )
            items.append(to_item(rendered, title=f"{author}：{rendered.title}" if author else rendered.title))
        return ParsedFeed(title=f"{who}的知乎想法", site_url=page, items=tuple(items), format="zhihu")
