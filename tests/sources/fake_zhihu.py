"""A fake Zhihu on 127.0.0.1 that behaves like the real one where Hearth can tell the difference.

It checks every signed API request's `x-zse-93`/`x-zse-96` with tests/sources/zse96_reference.py, an
independent implementation that decrypts the header and compares it with the raw path+query and the
d_c0 of the request's cookie (a mismatch gets Zhihu's real 10003 body); nothing here imports Hearth's
signer, so a wrong signer cannot pass. requires the cookie,
serves realistic fixtures (tests/fixtures/zhihu) for every source, and on demand answers with the
`__zse_ck` challenge page (`challenge_mode`), 403/429 bans (`block_next`) or "请先登录" (`expired`).

    with FakeZhihu() as zhihu:
        settings = zhihu.settings()            # zhihu.www_base / api_base point here, spacing 0
        cookies = zhihu.cookies()              # d_c0, z_c0 (and __zse_ck once solved)

The challenge page is a plain HTML page whose inline script sets `__zse_ck` through
`document.cookie` and reloads; a QtWebEngine solver can load `zhihu.url(path)` and read the cookie.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from app.config import Settings
from tests.sources import zse96_reference
from tests.support.http import LocalServer, Reply, Request

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "zhihu"
D_C0 = '"AGDfVWk4ZBePTqvPzn2TbIMWOvL7Fn2MkKk=|1690000000"'
Z_C0 = "2|1:0|10:1690000000|4:z_c0|92:Mi4xZmFrZS1sb2dpbi1jb29raWUtZm9yLXRlc3Rz|abcdef0123456789"
SIGNATURE_ERROR = {"error": {"message": "请求参数异常，请升级客户端后重试", "code": 10003}}
NOT_LOGGED_IN = {"error": {"message": "请先登录", "code": 100, "name": "AuthenticationInvalidRequest"}}
BLOCKED = {"error": {"message": "您当前请求存在异常，暂时限制本次访问。", "code": 40362}}
NOT_FOUND = {"error": {"message": "资源不存在", "code": 404, "name": "NotFoundError"}}
PRIVATE = {"error": {"message": "该用户已设置隐私保护，仅本人可见", "code": 4031}}
# the headers Zhihu's web client sends (research notes, `sign.ts`), written down here, not imported
ZSE_93 = "101_3_3.0"
API_VERSION = "3.0.91"

CHALLENGE_PAGE = """<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>知乎 - 安全验证</title>
<meta id="zh-zse-ck" content="{token}">
</head><body><div id="zh-zse-ck-root">正在验证你的浏览器……</div>
<script>
(function () {{
  var value = "{value}";
  document.cookie = "__zse_ck=" + value + "; path=/; max-age=2592000";
  setTimeout(function () {{ location.reload(); }}, 50);
}})();
</script></body></html>
"""
_CHALLENGE_VALUE = re.compile(r'var value = "([^"]+)"')


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def challenge_cookie_from_page(html: str) -> str | None:
    """What a browser would end up with after running the challenge page's script (for Python-side solvers)."""
    m = _CHALLENGE_VALUE.search(html)
    return m.group(1) if m else None


def signature_ok(path_query: str, d_c0: str, header: str) -> bool:
    """True if `header` is a valid x-zse-96 for this path and d_c0 (any pad byte r), by the reference."""
    return zse96_reference.verify(path_query, d_c0, header)


def parse_cookies(header: str) -> dict[str, str]:
    """name -> value as sent (quotes kept), the way a server sees the Cookie header."""
    jar: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name:
            jar[name] = value
    return jar


@dataclass
class Endpoint:
    fixture: str | None  # None: 404
    signed: bool = True
    need_cookie: bool = True


class FakeZhihu:
    def __init__(self) -> None:
        self.server = LocalServer()
        self.lock = threading.Lock()
        self.challenge_mode = False  # API requests without a valid __zse_ck get the challenge page
        self.block_next = 0  # answer the next N API requests with `block_status`
        self.block_status = 403
        self.expired = False  # answer "请先登录" (401)
        self.private_users: set[str] = set()
        self.signature_failures: list[str] = []
        self.challenges_served = 0
        self._issued: dict[str, str] = {}  # __zse_ck value -> the user agent it was issued to
        self._endpoints: dict[str, Endpoint] = {}
        self._add_routes()

    # lifecycle -----------------------------------------------------------------------
    def __enter__(self) -> FakeZhihu:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    @property
    def base(self) -> str:
        return self.server.url("").rstrip("/")

    def url(self, path: str) -> str:
        return self.server.url(path)

    @property
    def requests(self) -> list[Request]:
        return self.server.requests

    def api_requests(self) -> list[Request]:
        return [r for r in self.server.requests if urlsplit(r.path).path in self._endpoints]

    def settings(self, **overrides: Any) -> Settings:
        values = {
            "zhihu.www_base": self.base,
            "zhihu.api_base": self.base,
            "sites.min_spacing_seconds": 0.0,
            "sites.max_per_hour": 1000,
            "fetch.timeout": 10.0,
        }
        values.update(overrides)
        return Settings(None, values)

    @staticmethod
    def cookies(**extra: str) -> dict[str, str]:
        return {"d_c0": D_C0, "z_c0": Z_C0, **extra}

    # routes ---------------------------------------------------------------------------
    def _add_routes(self) -> None:
        endpoints = {
            "/api/v3/moments/diygod/activities": Endpoint("activities_diygod.json"),
            "/api/v3/moments/private/activities": Endpoint("activities_diygod.json"),
            "/api/v3/moments/nobody/activities": Endpoint(None),
            "/api/v4/members/diygod/answers": Endpoint("answers_diygod.json"),
            "/api/v4/members/diygod": Endpoint("member_diygod.json"),
            "/api/v4/members/diygod/articles": Endpoint("articles_diygod.json"),
            "/pins/diygod/moments": Endpoint("pins_diygod.json", signed=False, need_cookie=False),
            "/api/v4/columns/googledevelopers/items": Endpoint("column_items_googledevelopers.json"),
            "/api/v4/columns/googledevelopers/pinned-items/v2": Endpoint(
                "column_pinned_googledevelopers.json"
            ),
            "/api/v4/columns/googledevelopers": Endpoint("column_googledevelopers.json"),
            "/api/v4/collections/123456/items": Endpoint("collection_items_123456_offset{offset}.json"),
            "/api/v4/collections/123456": Endpoint("collection_123456.json"),
            "/api/v4/questions/59895982/answers": Endpoint("question_answers_59895982.json"),
            "/topstory/hot-lists/total": Endpoint("hot.json", signed=False, need_cookie=True),
        }
        for path, endpoint in endpoints.items():
            self._endpoints[path] = endpoint
            self.server.route(path, self._handle)
        self.private_users.add("private")

    def _handle(self, req: Request) -> Reply:
        path = urlsplit(req.path).path
        endpoint = self._endpoints[path]
        cookies = parse_cookies(req.headers.get("cookie", ""))
        with self.lock:
            if self.block_next > 0:
                self.block_next -= 1
                return _json(self.block_status, BLOCKED)
        if endpoint.need_cookie and not cookies.get("z_c0") and not cookies.get("d_c0"):
            return _json(401, NOT_LOGGED_IN)
        if self.challenge_mode and not self._challenge_passed(cookies, req):
            return self._challenge(req)
        if endpoint.signed:
            problem = self._check_signature(req, cookies)
            if problem:
                with self.lock:
                    self.signature_failures.append(f"{req.path}: {problem}")
                return _json(403, SIGNATURE_ERROR)
        if self.expired:
            return _json(401, NOT_LOGGED_IN)
        user = path.split("/")[4] if path.startswith("/api/v3/moments/") else ""
        if user in self.private_users:
            return _json(403, PRIVATE)
        if endpoint.fixture is None:
            return _json(404, NOT_FOUND)
        query = parse_qs(urlsplit(req.path).query)
        name = endpoint.fixture.format(offset=query.get("offset", ["0"])[0])
        if not (FIXTURES / name).exists():
            return _json(404, NOT_FOUND)
        return Reply(200, body=(FIXTURES / name).read_bytes(), headers={"Content-Type": "application/json"})

    def _check_signature(self, req: Request, cookies: dict[str, str]) -> str | None:
        h = req.headers
        if h.get("x-zse-93") != ZSE_93:
            return f"x-zse-93 is {h.get('x-zse-93')!r}"
        if h.get("x-api-version") != API_VERSION:
            return f"x-api-version is {h.get('x-api-version')!r}"
        if h.get("x-app-za") != "OS=Web":
            return f"x-app-za is {h.get('x-app-za')!r}"
        d_c0 = cookies.get("d_c0")
        if not d_c0:
            return "no d_c0 cookie"
        signature = h.get("x-zse-96", "")
        if not signature.startswith("2.0_") or not signature_ok(req.path, d_c0, signature):
            return f"x-zse-96 {signature!r} does not match {req.path!r} + d_c0"
        return None

    # the challenge ----------------------------------------------------------------------
    def _challenge_passed(self, cookies: dict[str, str], req: Request) -> bool:
        value = cookies.get("__zse_ck")
        with self.lock:
            issued_to = self._issued.get(value or "")
        # like the real one, the cookie is bound to the user agent that solved it
        return issued_to is not None and issued_to == req.headers.get("user-agent", "")

    def _challenge(self, req: Request) -> Reply:
        value = "005_" + secrets.token_urlsafe(24)
        with self.lock:
            self._issued[value] = req.headers.get("user-agent", "")
            self.challenges_served += 1
        page = CHALLENGE_PAGE.format(token=secrets.token_hex(16), value=value)
        return Reply(403, body=page, headers={"Content-Type": "text/html; charset=utf-8"})


def _json(status: int, body: dict[str, Any]) -> Reply:
    return Reply(
        status, body=json.dumps(body, ensure_ascii=False), headers={"Content-Type": "application/json"}
    )
