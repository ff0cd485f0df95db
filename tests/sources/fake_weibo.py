"""A fake m.weibo.cn on 127.0.0.1: the mobile API, refusing requests without the login cookie like the real one.

Without the right `SUB` cookie every API answer is `{"ok":-100, "url": <passport>}`; `expired`
does the same with the cookie. `ban_next` answers the next N requests with `ban_status` (432 risk
control, 418 too fast). Long posts are cut in the list and whole from /statuses/show.

    with FakeWeibo() as weibo:
        settings = weibo.settings()      # weibo.m_base points here, spacing 0
        cookies = weibo.cookies()        # SUB, SUBP, XSRF-TOKEN
"""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from app.config import Settings
from tests.support.http import LocalServer, Reply, Request

UID = "1195230310"
SUB = "_2A25LfakeSUBcookie-for-tests"
NOT_LOGGED_IN = {
    "ok": -100,
    "url": "https://passport.weibo.cn/signin/welcome?entry=mweibo&r=https%3A%2F%2Fm.weibo.cn%2F",
}
USER = {
    "id": int(UID),
    "screen_name": "何同学",
    "avatar_hd": "https://wx1.sinaimg.cn/orj480/avatar.jpg",
    "description": "做视频的",
}
LONG_FULL = "这是一条很长的微博的全文，" * 20 + "结尾"


def mblog(bid: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "49" + bid.encode().hex()[:14],
        "bid": bid,
        "created_at": "Sat Nov 22 20:15:03 +0800 2025",
        "text": text,
        "user": USER,
        **extra,
    }


POSTS = [
    mblog(
        "PqLong1",
        '这是一条很长的微博的全文，这是一条…<a href="/status/PqLong1">全文</a>',
        isLongText=True,
    ),
    mblog(
        "PqPics2",
        '看图 <a href="https://weibo.cn/sinaurl?u=https%3A%2F%2Fexample.com%2Fa">网页链接</a>',
        pics={
            "1": {"pid": "b", "url": "https://wx2.sinaimg.cn/orj360/b.jpg", "large": {"url": "https://wx2.sinaimg.cn/large/b.jpg"}},
            "0": {"pid": "a", "url": "https://wx1.sinaimg.cn/orj360/a.jpg", "large": {"url": "https://wx1.sinaimg.cn/large/a.jpg"}},
        },
    ),
    mblog(
        "PqVid3",
        "新视频",
        page_info={"type": "video", "page_pic": {"url": "https://wx3.sinaimg.cn/large/cover.jpg"},
                   "page_url": "https://video.weibo.com/show?fid=1034:1", "title": "我的新视频"},
    ),
    mblog("PqRt4", "转发微博", retweeted_status=mblog("PqOrig", "原微博的内容", user={"id": 2, "screen_name": "别人"})),
]  # fmt: skip


def _json(body: dict[str, Any], status: int = 200) -> Reply:
    return Reply(
        status,
        body=json.dumps(body, ensure_ascii=False),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )


class FakeWeibo:
    def __init__(self) -> None:
        self.server = LocalServer()
        self.lock = threading.Lock()
        self.ban_next = 0
        self.ban_status = 432
        self.expired = False
        routes = {
            "/api/config": self._config,
            "/api/container/getIndex": self._get_index,
            "/statuses/show": self._show,
            "/feed/friends": self._friends,
        }
        for path, handler in routes.items():
            self.server.route(path, self._checked(handler))

    def __enter__(self) -> FakeWeibo:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    @property
    def base(self) -> str:
        return self.server.url("").rstrip("/")

    def settings(self, **overrides: Any) -> Settings:
        values = {
            "weibo.m_base": self.base,
            "weibo.min_spacing_seconds": 0.0,
            "sites.min_spacing_seconds": 0.0,
            "sites.max_per_hour": 1000,
            "fetch.timeout": 10.0,
            **overrides,
        }
        return Settings(None, values)

    @staticmethod
    def cookies(**extra: str) -> dict[str, str]:
        return {"SUB": SUB, "SUBP": "0033WrSXqPxfM72-Ws9jqgMF55529P9D9W", "XSRF-TOKEN": "a1b2c3", **extra}

    def requests_to(self, path: str) -> list[Request]:
        return self.server.requests_to(path)

    # plumbing -----------------------------------------------------------------------------
    def _checked(self, handler: Any) -> Any:
        def route(req: Request) -> Reply:
            with self.lock:
                if self.ban_next > 0:
                    self.ban_next -= 1
                    return Reply(self.ban_status, body=b"", headers={"Content-Type": "text/html"})
            cookies = dict(
                part.strip().partition("=")[::2]
                for part in req.headers.get("cookie", "").split(";")
                if "=" in part
            )
            if cookies.get("SUB") != SUB or self.expired:
                return _json(NOT_LOGGED_IN)
            return handler(req, dict(parse_qsl(urlsplit(req.path).query, keep_blank_values=True)))

        return route

    # routes -------------------------------------------------------------------------------
    def _config(self, req: Request, query: dict[str, str]) -> Reply:
        return _json({"ok": 1, "data": {"login": True, "uid": UID, "st": "a1b2c3"}})

    def _get_index(self, req: Request, query: dict[str, str]) -> Reply:
        if query.get("value") != UID:
            return _json({"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}})
        if "containerid" not in query:
            tabs = [
                {"tab_type": "profile", "containerid": f"230283{UID}"},
                {"tab_type": "weibo", "containerid": f"107603{UID}"},
            ]
            return _json({"ok": 1, "data": {"userInfo": USER, "tabsInfo": {"tabs": tabs}}})
        if query["containerid"] != f"107603{UID}":
            return _json({"ok": 0, "msg": "这里还没有内容"})
        cards = [
            {
                "card_type": 9,
                "mblog": post,
                "scheme": f"https://m.weibo.cn/status/{post['bid']}?mblogid={post['bid']}",
            }
            for post in POSTS
        ]
        cards.insert(0, {"card_type": 11, "card_group": []})  # not a post
        old_pin = mblog("PqPinOld", "置顶：欢迎", created_at="Mon Jan 01 08:00:00 +0800 2024")
        cards.insert(0, {"card_type": 9, "mblog": old_pin, "profile_type_id": "proweibotop_"})
        return _json({"ok": 1, "data": {"cardlistInfo": {"since_id": 1}, "cards": cards}})

    def _show(self, req: Request, query: dict[str, str]) -> Reply:
        if query.get("id") == "PqLong1":
            return _json({"ok": 1, "data": {**POSTS[0], "text": LONG_FULL, "isLongText": False}})
        return _json({"ok": 0, "msg": "该微博不存在"})

    def _friends(self, req: Request, query: dict[str, str]) -> Reply:
        return _json({"ok": 1, "data": {"statuses": POSTS[1:3], "max_id": 0}})
