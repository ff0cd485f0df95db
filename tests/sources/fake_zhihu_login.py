"""The fake Zhihu plus the routes that need the login cookie: the follow timeline, topics, a user's collections.

Same server, same signature check (the fake's independent x-zse-96 reference) and bans as FakeZhihu;
these routes answer 401 "请先登录" without `z_c0`, as Zhihu does for a guest.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from tests.sources.fake_zhihu import BLOCKED, NOT_LOGGED_IN, SIGNATURE_ERROR, FakeZhihu, parse_cookies
from tests.support.http import Reply, Request


def _answer(aid: int, question: str, author: str, content: str, when: int) -> dict[str, Any]:
    return {
        "type": "answer",
        "id": aid,
        "question": {"id": 1000 + aid, "title": question},
        "author": {"name": author},
        "content": content,
        "excerpt": content[:20],
        "created_time": when - 100,
        "updated_time": when,
    }


MOMENTS = {
    "paging": {"is_end": False, "next": "https://www.zhihu.com/api/v3/moments?after_id=1"},
    "data": [
        {
            "type": "feed",
            "action_text_tpl": "{}赞同了回答",
            "actors": [{"name": "张三"}, {"name": "李四"}],
            "updated_time": 1764300000,
            "target": _answer(1, "RSS 还有人用吗？", "王五", "<p>当然有。</p>", 1764290000),
        },
        {"type": "feed_advert", "target": {"type": "ad", "id": 9}},
        {
            "type": "feed_group",
            "group_text": "{LIST_COUNT} 个问题有新回答",
            "list": [
                {
                    "type": "feed",
                    "action_text_tpl": "{}关注了问题",
                    "actors": [{"name": "张三"}],
                    "updated_time": 1764200000,
                    "target": {"type": "question", "id": 77, "title": "如何做一个阅读器？"},
                },
                {"type": "feed", "actors": [], "target": {"type": "question", "id": 78, "title": "二"}},
            ],
        },
    ],
}
TOPIC = {"id": "19550517", "name": "互联网", "introduction": "关于互联网的一切"}
TOPIC_FEED = {
    "data": [
        {"type": "topic_feed", "target": _answer(3, "互联网会变好吗？", "赵六", "<p>会的<img src='x.jpg'></p>", 1764000000)},
        {"type": "topic_feed", "target": {"type": "article", "id": 55, "title": "一篇文章", "content": "<p>正文</p>",
                                          "created": 1763000000, "author": {"name": "钱七"}}},
        {"type": "topic_feed", "target": {"type": "zvideo", "id": 66, "title": "一个视频", "description": "介绍",
                                          "url": "https://www.zhihu.com/zvideo/66", "created_at": 1762000000,
                                          "video": {"thumbnail": "https://pic.zhimg.com/t.jpg",
                                                    "playlist": {"hd": {"url": "https://vdn.zhimg.com/hd.mp4"}}}}},
    ]
}  # fmt: skip
PEOPLE_COLLECTIONS = {
    "data": [
        {"id": 111, "title": "好文", "creator": {"name": "收藏家"}},
        {"id": 222, "title": "技术", "creator": {"name": "收藏家"}},
    ]
}
COLLECTION_ITEMS = {
    "111": {
        "paging": {"totals": 1},
        "data": [{"content": _answer(4, "问题甲", "某人", "<p>甲</p>", 1761000000)}],
    },
    "222": {
        "paging": {"totals": 2},
        "data": [
            {
                "content": {
                    "type": "article",
                    "id": 88,
                    "title": "文章乙",
                    "content": "<p>乙</p>",
                    "updated": 1760000000,
                }
            },
            {"content": _answer(4, "问题甲", "某人", "<p>甲</p>", 1761000000)},  # in both: one item
        ],
    },
}


class FakeZhihuLogin(FakeZhihu):
    def __init__(self) -> None:
        super().__init__()
        self._login_routes: dict[str, tuple[bool, Any]] = {  # path -> (signed, body)
            "/api/v3/moments": (True, MOMENTS),
            "/api/v5.1/topics/19550517/feeds/timeline_activity": (True, TOPIC_FEED),
            "/api/v5.1/topics/19550517/feeds/top_activity": (True, {"data": TOPIC_FEED["data"][:1]}),
            "/api/v4/topics/19550517": (True, TOPIC),
            "/people/collector/collections": (False, PEOPLE_COLLECTIONS),
            "/api/v4/collections/111/items": (True, COLLECTION_ITEMS["111"]),
            "/api/v4/collections/222/items": (True, COLLECTION_ITEMS["222"]),
        }
        for path in self._login_routes:
            self.server.route(path, self._login_handle)

    def login_requests(self) -> list[Request]:
        return [r for r in self.server.requests if urlsplit(r.path).path in self._login_routes]

    def _login_handle(self, req: Request) -> Reply:
        signed, body = self._login_routes[urlsplit(req.path).path]
        cookies = parse_cookies(req.headers.get("cookie", ""))
        with self.lock:
            if self.block_next > 0:
                self.block_next -= 1
                return _json(self.block_status, BLOCKED)
        if not cookies.get("z_c0") or self.expired:
            return _json(401, NOT_LOGGED_IN)
        if signed:
            problem = self._check_signature(req, cookies)
            if problem:
                with self.lock:
                    self.signature_failures.append(f"{req.path}: {problem}")
                return _json(403, SIGNATURE_ERROR)
        return _json(200, body)


def _json(status: int, body: Any) -> Reply:
    return Reply(
        status, body=json.dumps(body, ensure_ascii=False), headers={"Content-Type": "application/json"}
    )
