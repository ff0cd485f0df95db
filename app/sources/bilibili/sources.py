"""Bilibili (哔哩哔哩) as feeds: a user's videos and dynamics, the signed-in user's follow feed, a favourites folder.

Endpoints, parameters and field mappings follow RSSHub's bilibili routes and bilibili-API-collect
(see the research notes). A feed that already has its title skips the name request.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.models import ParsedFeed, ParsedItem
from app.sources.base import Param, RouteSource, SourceContext
from app.sources.bilibili.client import SITE, SPACE, BilibiliClient, dm_params
from app.sources.bilibili.render import T, dynamic_item, https, ts, video_item

UID = Param("uid", "the user's id: space.bilibili.com/<uid>")
DYNAMIC_FEATURES = "itemOpusStyle,listOnlyfans,opusBigCover,onlyfansVote"
SPACE_LOCATION = "1550101"


def space_url(path_regex: str) -> str:
    return r"^https?://space\.bilibili\.com" + path_regex + r"/?(?:\?.*)?$"


def _known_title(ctx: SourceContext) -> str | None:
    title = ctx.extra.get("known_title")
    return str(title) if title else None


@dataclass(frozen=True)
class BilibiliSource(RouteSource):
    site: str | None = SITE

    async def fetch(self, params: Mapping[str, str], ctx: SourceContext) -> ParsedFeed:
        return await self.fetch_with(BilibiliClient(ctx), self.check_params(params), ctx)

    async def fetch_with(
        self, client: BilibiliClient, params: dict[str, str], ctx: SourceContext
    ) -> ParsedFeed:
        raise NotImplementedError


async def user_name(client: BilibiliClient, uid: str) -> tuple[str, str | None]:
    info = await client.get_data(
        "/x/space/wbi/acc/info",
        {"mid": uid, "token": "", "platform": "web", "web_location": SPACE_LOCATION},
        referer=f"{SPACE}/{uid}",
        origin=SPACE,
        signed=True,
        what=f"user {uid}",
    )
    return str(info.get("name") or uid), (https(info["face"]) if info.get("face") else None)


@dataclass(frozen=True)
class UserVideoSource(BilibiliSource):
    id: str = "bilibili.user.video"
    name: str = "Bilibili user videos"
    params: tuple[Param, ...] = (UID,)
    url_patterns: tuple[str, ...] = (space_url(r"/(?P<uid>\d+)(?:/video|/upload/video)?"),)
    routes: tuple[str, ...] = ("/bilibili/user/video/:uid",)

    def feed_url(self, params: Mapping[str, str]) -> str:
        return f"{SPACE}/{params['uid']}/video"

    def title(self, params: Mapping[str, str]) -> str:
        return f"{params['uid']} 的 bilibili 空间"

    async def fetch_with(
        self, client: BilibiliClient, params: dict[str, str], ctx: SourceContext
    ) -> ParsedFeed:
        uid = params["uid"]
        query: dict[str, object] = {
            "mid": uid, "ps": 30, "tid": 0, "pn": 1, "keyword": "", "order": "pubdate",
            "platform": "web", "web_location": SPACE_LOCATION, "order_avoided": "true", **dm_params(),
        }  # fmt: skip
        data = await client.get_data(
            "/x/space/wbi/arc/search", query, referer=f"{SPACE}/{uid}", origin=SPACE, signed=True,
            what=f"user {uid}'s videos",
        )  # fmt: skip
        videos = [v for v in ((data.get("list") or {}).get("vlist") or []) if isinstance(v, dict)]
        title, face = _known_title(ctx), None
        if title is None:
            name, face = await user_name(client, uid)
            title = f"{name} 的 bilibili 空间"
        return ParsedFeed(
            title=title,
            site_url=f"{SPACE}/{uid}",
            icon_url=face,
            items=tuple(video_item(v) for v in videos),
            format="bilibili",
        )


def _dynamic_feed(data: dict[str, Any], title: str, site_url: str, icon: str | None = None) -> ParsedFeed:
    items = [i for i in data.get("items") or [] if isinstance(i, dict) and i.get("id_str")]
    return ParsedFeed(
        title=title,
        site_url=site_url,
        icon_url=icon,
        items=tuple(dynamic_item(i) for i in items),
        format="bilibili",
    )


@dataclass(frozen=True)
class UserDynamicSource(BilibiliSource):
    id: str = "bilibili.user.dynamic"
    name: str = "Bilibili user dynamics"
    params: tuple[Param, ...] = (UID,)
    url_patterns: tuple[str, ...] = (space_url(r"/(?P<uid>\d+)/dynamic"),)
    routes: tuple[str, ...] = ("/bilibili/user/dynamic/:uid",)

    def feed_url(self, params: Mapping[str, str]) -> str:
        return f"{SPACE}/{params['uid']}/dynamic"

    def title(self, params: Mapping[str, str]) -> str:
        return f"{params['uid']} 的 bilibili 动态"

    async def fetch_with(
        self, client: BilibiliClient, params: dict[str, str], ctx: SourceContext
    ) -> ParsedFeed:
        uid = params["uid"]
        query: dict[str, object] = {
            "host_mid": uid, "platform": "web", "features": DYNAMIC_FEATURES, "timezone_offset": -480,
            "web_location": "333.1387", **dm_params(),
        }  # fmt: skip
        data = await client.get_data(
            "/x/polymer/web-dynamic/v1/feed/space", query, referer=f"{SPACE}/{uid}/dynamic", origin=SPACE,
            signed=True, what=f"user {uid}'s dynamics",
        )  # fmt: skip
        title = _known_title(ctx)
        if title is None:
            author = next(
                (
                    ((i.get("modules") or {}).get("module_author") or {}).get("name")
                    for i in data.get("items") or []
                    if isinstance(i, dict)
                ),
                None,
            )
            title = f"{author or uid} 的 bilibili 动态"
        return _dynamic_feed(data, title, f"{SPACE}/{uid}/dynamic")


@dataclass(frozen=True)
class FollowingsDynamicSource(BilibiliSource):
    id: str = "bilibili.followings.dynamic"
    name: str = "Bilibili follow feed (signed-in user)"
    params: tuple[Param, ...] = (
        Param("uid", "your own user id (optional: the feed is always the signed-in account's)", ""),
    )
    url_patterns: tuple[str, ...] = (r"^https?://t\.bilibili\.com/?(?:\?.*)?$",)
    routes: tuple[str, ...] = ("/bilibili/followings/dynamic/:uid?",)

    def feed_url(self, params: Mapping[str, str]) -> str:
        return f"{T}/"

    def title(self, params: Mapping[str, str]) -> str:
        return "bilibili 关注动态"

    async def fetch_with(
        self, client: BilibiliClient, params: dict[str, str], ctx: SourceContext
    ) -> ParsedFeed:
        client.need_login("the follow feed")
        query: dict[str, object] = {
            "timezone_offset": -480, "type": "all", "platform": "web", "page": 1,
            "features": DYNAMIC_FEATURES + ",decorationCard,onlyfansAssetsV2,ugcDelete",
            "web_location": "333.1365",
        }  # fmt: skip
        data = await client.get_data(
            "/x/polymer/web-dynamic/v1/feed/all", query, referer=f"{T}/", origin=T, signed=True,
            what="the follow feed",
        )  # fmt: skip
        return _dynamic_feed(data, _known_title(ctx) or "bilibili 关注动态", f"{T}/")


@dataclass(frozen=True)
class FavSource(BilibiliSource):
    id: str = "bilibili.fav"
    name: str = "Bilibili favourites folder"
    params: tuple[Param, ...] = (
        UID,
        Param("fid", "the folder id: space.bilibili.com/<uid>/favlist?fid=<fid>"),
    )
    url_patterns: tuple[str, ...] = (
        r"^https?://space\.bilibili\.com/(?P<uid>\d+)/favlist\?(?:[^#]*&)?fid=(?P<fid>\d+)(?:&[^#]*)?$",
    )
    routes: tuple[str, ...] = ("/bilibili/fav/:uid/:fid",)

    def feed_url(self, params: Mapping[str, str]) -> str:
        return f"{SPACE}/{params['uid']}/favlist?fid={params['fid']}"

    def title(self, params: Mapping[str, str]) -> str:
        return f"bilibili 收藏夹 {params['fid']}"

    async def fetch_with(
        self, client: BilibiliClient, params: dict[str, str], ctx: SourceContext
    ) -> ParsedFeed:
        uid, fid = params["uid"], params["fid"]
        data = await client.get_data(
            "/x/v3/fav/resource/list",
            {"media_id": fid, "ps": 20, "pn": 1, "platform": "web"},
            referer=f"{SPACE}/{uid}/",
            what=f"favourites folder {fid}",
        )
        info = data.get("info") or {}
        medias = [m for m in data.get("medias") or [] if isinstance(m, dict) and m.get("attr", 0) == 0]
        items = []
        for media in medias:
            item = video_item(media)
            when = media.get("fav_time")
            items.append(item if not when else _with_published(item, when))
        owner = (info.get("upper") or {}).get("name") or uid
        return ParsedFeed(
            title=_known_title(ctx) or f"{owner} 的 bilibili 收藏夹 {info.get('title') or fid}",
            site_url=self.feed_url(params),
            description=str(info.get("intro") or ""),
            items=tuple(items),
            format="bilibili",
        )


def _with_published(item: ParsedItem, when: Any) -> ParsedItem:
    """A favourite is dated when it was added to the folder (RSSHub does the same)."""
    return dataclasses.replace(item, published=ts(when) or item.published)
