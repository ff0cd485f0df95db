"""A fake Bilibili API on 127.0.0.1 that checks what the real one checks, where Hearth can tell.

It verifies every WBI signature server-side with its own implementation of the published algorithm
(bilibili-API-collect misc/sign/wbi.md; Hearth's signer is not imported), answers a bad or stale one
with the real risk answers (`v_voucher` with code 0, or -352), wants a Referer (else HTTP 412) and an
Origin on space requests, wants buvid3, refuses the follow feed without SESSDATA (-101), and on demand
answers with each ban (`ban_next`): HTTP 412, -352, -799, or a `v_voucher` with code 0.

    with FakeBilibili() as bili:
        settings = bili.settings()        # bilibili.api_base points here, spacing 0
        cookies = bili.cookies()          # SESSDATA, bili_jct, DedeUserID (no buvid3: Hearth fetches it)
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from app.config import Settings
from tests.support.http import LocalServer, Reply, Request

# The published mixin table and test keys (wbi.md); the fake rotates to other keys on demand.
TABLE = [46, 47, 18, 2, 53, 8, 23, 32, 15, 50, 10, 31, 58, 3, 45, 35, 27, 43, 5, 49, 33, 9, 42, 19, 29, 28, 14, 39, 12, 38, 41, 13, 37, 48, 7, 16, 24, 55, 40, 61, 26, 17, 0, 1, 60, 51, 30, 4, 22, 25, 54, 21, 56, 59, 6, 63, 57, 62, 11, 36, 20, 34, 44, 52]  # fmt: skip
IMG_KEY = "7cd084941338484aae1ad9425b84077c"
SUB_KEY = "4932caff0ff746eab6f01bf08b70ac45"
SESSDATA = "6f1a2b3c%2C1790000000%2Cabcde%2A42"
MID = 2267573
UNAME = "测试用户"
BUVID3 = "D2F1A6E0-1234-5678-9ABC-DEF012345678infoc"
HTML_412 = "<html><head><title>412 Precondition Failed</title></head><body><center><h1>412 Precondition Failed</h1></center><hr><center>openresty</center></body></html>"


def expected_w_rid(query: dict[str, str], img_key: str, sub_key: str) -> str:
    """What the real server computes: the doc's steps, written out independently of Hearth."""
    raw = img_key + sub_key
    mixin = "".join(raw[n] for n in TABLE)[:32]
    parts = []
    for key in sorted(k for k in query if k != "w_rid"):
        value = "".join(ch for ch in query[key] if ch not in "!'()*")
        # encodeURIComponent: everything but A-Z a-z 0-9 - _ . ! ~ * ' ( ) is escaped, hex upper-case
        parts.append(quote(key, safe="-_.!~*'()") + "=" + quote(value, safe="-_.!~*'()"))
    return hashlib.md5(("&".join(parts) + mixin).encode()).hexdigest()


def _reply(body: dict[str, Any], status: int = 200, **headers: str) -> Reply:
    return Reply(
        status,
        body=json.dumps(body, ensure_ascii=False),
        headers={"Content-Type": "application/json; charset=utf-8", **headers},
    )


def _ok(data: Any) -> Reply:
    return _reply({"code": 0, "message": "0", "ttl": 1, "data": data})


VOUCHER = {
    "code": 0,
    "message": "0",
    "ttl": 1,
    "data": {"v_voucher": "voucher_3f0e2d1c-aaaa-bbbb-cccc-000000000001"},
}
RISK = {"code": -352, "message": "风控校验失败", "ttl": 1, "data": {"v_voucher": "voucher_3f0e2d1c-aaaa"}}
TOO_FAST = {"code": -799, "message": "请求过于频繁，请稍后再试", "ttl": 1}
NOT_LOGGED_IN = {"code": -101, "message": "账号未登录", "ttl": 1}
PRIVATE = {"code": -403, "message": "访问权限不足", "ttl": 1}

VIDEOS = [
    {"aid": 1055000001, "bvid": "BV1xx411c7mD", "title": "RSS 阅读器推荐", "description": "三款阅读器\n对比",
     "pic": "http://i0.hdslb.com/bfs/archive/cover1.jpg", "created": 1764000000, "length": "12:34",
     "author": UNAME, "mid": MID},
    {"aid": 170001, "bvid": "BV17x411w7KC", "title": "很久以前的视频", "description": "",
     "pic": "http://i1.hdslb.com/bfs/archive/cover0.jpg", "created": 1500000000, "length": "03:05",
     "author": UNAME, "mid": MID},
]  # fmt: skip


def dynamic(id_str: str, kind: str, text: str, major: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    return {
        "id_str": id_str,
        "type": kind,
        "modules": {
            "module_author": {
                "mid": MID,
                "name": UNAME,
                "pub_ts": 1764100000,
                "face": "https://i0.hdslb.com/face.jpg",
            },
            "module_dynamic": {"desc": {"text": text} if text else None, "major": major},
        },
        **extra,
    }


DYNAMICS = [
    dynamic("1100000000000000001", "DYNAMIC_TYPE_DRAW", "今天的照片\n第二行",
            {"type": "MAJOR_TYPE_OPUS", "opus": {"title": None, "summary": {"text": "今天的照片"},
             "pics": [{"url": "http://i0.hdslb.com/bfs/new_dyn/p1.jpg"}, {"url": "https://i0.hdslb.com/bfs/new_dyn/p2.jpg"}],
             "jump_url": "//www.bilibili.com/opus/1100000000000000001"}}),
    dynamic("1100000000000000002", "DYNAMIC_TYPE_AV", "投稿了视频",
            {"type": "MAJOR_TYPE_ARCHIVE", "archive": {"aid": "1055000001", "bvid": "BV1xx411c7mD",
             "title": "RSS 阅读器推荐", "desc": "三款阅读器", "cover": "http://i0.hdslb.com/bfs/archive/cover1.jpg"}}),
    dynamic("1100000000000000003", "DYNAMIC_TYPE_FORWARD", "转一个", None,
            orig=dynamic("1099999999999999999", "DYNAMIC_TYPE_WORD", "原来的话", None)),
]  # fmt: skip

FAV = {
    "info": {"id": 88, "title": "稍后再看", "intro": "收藏", "upper": {"mid": MID, "name": UNAME}, "media_count": 2},
    "medias": [
        {"id": 1055000001, "type": 2, "title": "RSS 阅读器推荐", "cover": "http://i0.hdslb.com/bfs/archive/cover1.jpg",
         "intro": "三款阅读器", "duration": 754, "upper": {"name": UNAME}, "fav_time": 1764200000,
         "pubtime": 1764000000, "bvid": "BV1xx411c7mD", "attr": 0},
        {"id": 3, "type": 2, "title": "已失效视频", "cover": "", "intro": "", "duration": 0, "upper": {"name": "?"},
         "fav_time": 1764100000, "pubtime": 1, "bvid": "BV1gone", "attr": 9},
    ],
    "has_more": False,
}  # fmt: skip


class FakeBilibili:
    def __init__(self) -> None:
        self.server = LocalServer()
        self.lock = threading.Lock()
        self.img_key, self.sub_key = IMG_KEY, SUB_KEY
        self.ban_next = 0  # answer the next N signed/API requests with `ban`
        self.ban = "412"  # "412", "-352", "-799", "voucher"
        self.private_folders: set[str] = {"99"}
        self.signature_failures: list[str] = []
        self.nav_requests = 0
        routes = {
            "/x/web-interface/nav": self._nav,
            "/x/frontend/finger/spi": self._spi,
            "/x/space/wbi/arc/search": self._arc_search,
            "/x/space/wbi/acc/info": self._acc_info,
            "/x/polymer/web-dynamic/v1/feed/space": self._feed_space,
            "/x/polymer/web-dynamic/v1/feed/all": self._feed_all,
            "/x/v3/fav/resource/list": self._fav,
        }
        for path, handler in routes.items():
            self.server.route(path, handler)

    def __enter__(self) -> FakeBilibili:
        from app.sources.bilibili.client import forget_keys

        forget_keys()  # Hearth's key cache is per API base, and this port may be an earlier fake's
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    @property
    def base(self) -> str:
        return self.server.url("").rstrip("/")

    def settings(self, **overrides: Any) -> Settings:
        values = {
            "bilibili.api_base": self.base,
            "sites.min_spacing_seconds": 0.0,
            "sites.max_per_hour": 1000,
            "fetch.timeout": 10.0,
            **overrides,
        }
        return Settings(None, values)

    @staticmethod
    def cookies(**extra: str) -> dict[str, str]:
        return {"SESSDATA": SESSDATA, "bili_jct": "0123456789abcdef", "DedeUserID": str(MID), **extra}

    def rotate_keys(self) -> None:
        """The daily key change: signatures made with the old keys now fail."""
        with self.lock:
            self.img_key, self.sub_key = "a" * 32, "b" * 32

    def api_requests(self, path: str) -> list[Request]:
        return self.server.requests_to(path)

    # checks ----------------------------------------------------------------------------
    def _cookies(self, req: Request) -> dict[str, str]:
        out = {}
        for part in req.headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name:
                out[name] = value
        return out

    def _query(self, req: Request) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(req.path).query, keep_blank_values=True))

    def _gate(self, req: Request, *, signed: bool, space: bool = False) -> Reply | None:
        """The checks every API answer passes through, in the real site's order."""
        with self.lock:
            if self.ban_next > 0:
                self.ban_next -= 1
                return self._ban_reply()
        if not req.headers.get("referer"):
            return Reply(412, body=HTML_412, headers={"Content-Type": "text/html"})
        if space and not req.headers.get("origin"):
            return _reply({"code": -403, "message": "访问权限不足", "ttl": 1})
        agent = req.headers.get("user-agent", "")
        if "python" in agent.lower() or "Mozilla/5.0" not in agent:
            return _reply(RISK)
        if not self._cookies(req).get("buvid3"):
            return _reply(RISK)
        if signed:
            query = self._query(req)
            with self.lock:
                img, sub = self.img_key, self.sub_key
            if "wts" not in query or query.get("w_rid") != expected_w_rid(query, img, sub):
                with self.lock:
                    self.signature_failures.append(req.path)
                return _reply(VOUCHER)
        return None

    def _ban_reply(self) -> Reply:
        if self.ban == "412":
            return Reply(412, body=HTML_412, headers={"Content-Type": "text/html"})
        if self.ban == "-352":
            return _reply(RISK, **{"x-bili-gaia-vvoucher": "voucher_3f0e2d1c-aaaa"})
        if self.ban == "-799":
            return _reply(TOO_FAST)
        return _reply(VOUCHER)

    def _signed_in(self, req: Request) -> bool:
        return self._cookies(req).get("SESSDATA") == SESSDATA

    # routes ----------------------------------------------------------------------------
    def _nav(self, req: Request) -> Reply:
        with self.lock:
            self.nav_requests += 1
            img, sub = self.img_key, self.sub_key
        wbi = {
            "img_url": f"https://i0.hdslb.com/bfs/wbi/{img}.png",
            "sub_url": f"https://i0.hdslb.com/bfs/wbi/{sub}.png",
        }
        if not self._signed_in(req):
            return _reply(
                {"code": -101, "message": "账号未登录", "ttl": 1, "data": {"isLogin": False, "wbi_img": wbi}}
            )
        return _ok({"isLogin": True, "mid": MID, "uname": UNAME, "wbi_img": wbi})

    def _spi(self, req: Request) -> Reply:
        return _ok({"b_3": BUVID3, "b_4": "B4-FAKE-0001"})

    def _arc_search(self, req: Request) -> Reply:
        problem = self._gate(req, signed=True, space=True)
        if problem:
            return problem
        mid = self._query(req).get("mid")
        vlist = VIDEOS if mid == str(MID) else []
        return _ok({"list": {"vlist": vlist}, "page": {"pn": 1, "ps": 30, "count": len(vlist)}})

    def _acc_info(self, req: Request) -> Reply:
        problem = self._gate(req, signed=True, space=True)
        return problem or _ok({"mid": MID, "name": UNAME, "face": "http://i0.hdslb.com/bfs/face/me.jpg"})

    def _feed_space(self, req: Request) -> Reply:
        problem = self._gate(req, signed=True, space=True)
        return problem or _ok({"has_more": False, "offset": "", "items": DYNAMICS})

    def _feed_all(self, req: Request) -> Reply:
        if not self._signed_in(req):
            return _reply(NOT_LOGGED_IN)
        problem = self._gate(req, signed=True)
        return problem or _ok({"has_more": False, "items": DYNAMICS[:2], "update_num": 2})

    def _fav(self, req: Request) -> Reply:
        problem = self._gate(req, signed=False)
        if problem:
            return problem
        if self._query(req).get("media_id") in self.private_folders and not self._signed_in(req):
            return _reply(PRIVATE)
        return _ok(FAV)
