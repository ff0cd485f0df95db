"""Weibo (微博) as feeds: a user's posts and the signed-in user's home timeline, from m.weibo.cn.

Steps and fields follow RSSHub's weibo routes (see the research notes). Each request waits at least
weibo.min_spacing_seconds, so a long post's full text costs one more spaced request: a refresh
fetches at most LONG_TEXT_PER_FETCH of them and leaves the rest with Weibo's excerpt and link.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.errors import BlockedError, CookieExpiredError, CookieMissingError, HearthError
from app.models import ParsedFeed, ParsedItem
from app.sources.base import Param, RouteSource, SourceContext
from app.sources.weibo.client import MOBILE, SITE, WeiboClient
from app.sources.weibo.render import parse_time, post_item, scheme_bid

log = logging.getLogger(__name__)

LONG_TEXT_PER_FETCH = 3


def _known_title(ctx: SourceContext) -> str | None:
    title = ctx.extra.get("known_title")
    return str(title) if title else None


@dataclass(frozen=True)
class WeiboSource(RouteSource):
    site: str | None = SITE

    async def fetch(self, params: Mapping[str, str], ctx: SourceContext) -> ParsedFeed:
        return await self.fetch_with(WeiboClient(ctx), self.check_params(params), ctx)

    async def fetch_with(self, client: WeiboClient, params: dict[str, str], ctx: SourceContext) -> ParsedFeed:
        raise NotImplementedError


async def posts_to_items(client: WeiboClient, mblogs: list[dict[str, Any]], referer: str) -> list[ParsedItem]:
    """Items for posts, the first few long ones with their full text."""
    items = []
    budget = LONG_TEXT_PER_FETCH
    for mblog in mblogs:
        full = None
        bid = mblog.get("bid")
        if mblog.get("isLongText") and bid and budget > 0:
            budget -= 1
            try:
                shown = await client.get_data("/statuses/show", {"id": str(bid)}, referer=referer)
                full = str((shown or {}).get("text") or "") or None
            except (BlockedError, CookieExpiredError, CookieMissingError):
                raise  # the whole fetch stops: the site cools down or wants a sign-in
            except HearthError as exc:  # one deleted or hidden post keeps its excerpt
                log.info("weibo: no full text for %s (%s)", bid, exc.user_message())
        items.append(post_item(mblog, full_text=full))
    return items


def keep_recent_pinned(pinned: list[dict[str, Any]], ordinary: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pinned posts newer than the oldest ordinary one (an old pinned post is not news; RSSHub does the same)."""
    dates = [d for d in (parse_time(m.get("created_at")) for m in ordinary) if d is not None]
    if not dates:
        return pinned
    oldest = min(dates)
    return [m for m in pinned if (when := parse_time(m.get("created_at"))) is not None and when >= oldest]


@dataclass(frozen=True)
class UserPostsSource(WeiboSource):
    id: str = "weibo.user"
    name: str = "Weibo user posts"
    params: tuple[Param, ...] = (
        Param("uid", "the user's numeric id: weibo.com/u/<uid> or m.weibo.cn/u/<uid>"),
    )
    url_patterns: tuple[str, ...] = (
        r"^https?://(?:www\.)?weibo\.com/(?:u/)?(?P<uid>\d+)/?(?:\?.*)?$",
        r"^https?://m\.weibo\.cn/(?:u|profile)/(?P<uid>\d+)/?(?:\?.*)?$",
    )
    routes: tuple[str, ...] = ("/weibo/user/:uid",)

    def feed_url(self, params: Mapping[str, str]) -> str:
        return f"https://weibo.com/u/{params['uid']}"

    def title(self, params: Mapping[str, str]) -> str:
        return f"{params['uid']}的微博"

    async def fetch_with(self, client: WeiboClient, params: dict[str, str], ctx: SourceContext) -> ParsedFeed:
        client.need_login("a user's posts")
        uid = params["uid"]
        referer = f"{MOBILE}/u/{uid}"
        title, icon, description = _known_title(ctx), None, ""
        container = f"107603{uid}"
        if title is None:
            info = await client.get_data(
                "/api/container/getIndex", {"type": "uid", "value": uid}, referer=referer, what=f"user {uid}"
            )
            user = (info or {}).get("userInfo") or {}
            title = f"{user.get('screen_name') or uid}的微博"
            icon = user.get("avatar_hd") or user.get("profile_image_url")
            description = str(user.get("description") or "")
            tabs = ((info or {}).get("tabsInfo") or {}).get("tabs") or []
            container = next(
                (str(t["containerid"]) for t in tabs if isinstance(t, dict) and t.get("tab_type") == "weibo"),
                container,
            )
        data = await client.get_data(
            "/api/container/getIndex",
            {"type": "uid", "value": uid, "containerid": container},
            referer=referer,
            what=f"user {uid}",
        )
        mblogs, pinned = [], []
        for card in (data or {}).get("cards") or []:
            if isinstance(card, dict) and isinstance(card.get("mblog"), dict):
                mblog = card["mblog"]
                if not mblog.get("bid"):
                    mblog = {**mblog, "bid": scheme_bid(card)}
                if str(card.get("profile_type_id") or "").startswith("proweibotop"):
                    pinned.append(mblog)
                else:
                    mblogs.append(mblog)
        mblogs = keep_recent_pinned(pinned, mblogs) + mblogs
        items = await posts_to_items(client, mblogs, referer)
        return ParsedFeed(
            title=title,
            site_url=f"https://weibo.com/u/{uid}",
            icon_url=icon,
            description=description,
            items=tuple(items),
            format="weibo",
        )


@dataclass(frozen=True)
class TimelineSource(WeiboSource):
    id: str = "weibo.timeline"
    name: str = "Weibo home timeline (signed-in user)"
    params: tuple[Param, ...] = (
        Param("uid", "your own user id (optional: the timeline is always the signed-in account's)", ""),
    )
    url_patterns: tuple[str, ...] = (r"^https?://(?:m\.weibo\.cn|(?:www\.)?weibo\.com)/?(?:\?.*)?$",)
    routes: tuple[str, ...] = ("/weibo/timeline/:uid?",)

    def feed_url(self, params: Mapping[str, str]) -> str:
        return f"{MOBILE}/"

    def title(self, params: Mapping[str, str]) -> str:
        return "微博 最新关注时间线"

    async def fetch_with(self, client: WeiboClient, params: dict[str, str], ctx: SourceContext) -> ParsedFeed:
        client.need_login("the home timeline")
        title = _known_title(ctx)
        if title is None:
            config = await client.get_data("/api/config", {}, referer=f"{MOBILE}/", what="who is signed in")
            if not (config or {}).get("login"):
                client.login_needed()
            title = f"{(config or {}).get('uid') or '我'} 的 最新关注时间线"
        data = await client.get_data("/feed/friends", {}, referer=f"{MOBILE}/", what="the home timeline")
        statuses = [s for s in (data or {}).get("statuses") or [] if isinstance(s, dict)]
        items = await posts_to_items(client, statuses, f"{MOBILE}/")
        return ParsedFeed(title=title, site_url=f"{MOBILE}/", items=tuple(items), format="weibo")
