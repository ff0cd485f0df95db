"""Who-am-I checks for Bilibili (`/x/web-interface/nav`) and Weibo (m.weibo.cn `/api/config`).

Each sends the stored cookie with the UA (and client hints) it was earned with, to the site's own
configured base only, and never follows a redirect elsewhere.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.errors import FetchTimeoutError, NetworkError
from app.sources.hints import browser_headers
from app.vault.cookies import SiteCookies

log = logging.getLogger(__name__)

BILIBILI_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36"
)


def _get(url: str, found: SiteCookies, headers: dict[str, str], timeout: float) -> httpx.Response:
    sent = {**browser_headers(found.user_agent or BILIBILI_UA), **headers, "Cookie": found.header()}
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            return client.get(url, headers=sent)
    except httpx.TimeoutException:
        raise FetchTimeoutError(
            f"{urlsplit(url).netloc} did not answer in {timeout:.0f} s", url=url
        ) from None
    except httpx.HTTPError as exc:
        raise NetworkError(
            f"could not reach {urlsplit(url).netloc} ({type(exc).__name__})", url=url
        ) from None


def _json(reply: httpx.Response) -> dict[str, Any]:
    try:
        body = reply.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def check_bilibili(
    found: SiteCookies, api_base: str, *, timeout: float = 20.0
) -> tuple[bool, str | None, str]:
    """(ok, account, message) from the nav endpoint: code 0 with `uname` when the cookie signs in."""
    reply = _get(
        api_base.rstrip("/") + "/x/web-interface/nav",
        found,
        {"Referer": "https://www.bilibili.com/"},
        timeout,
    )
    if reply.status_code == 412:
        return False, None, "Bilibili is blocking this address for now (HTTP 412); try again in an hour"
    body = _json(reply)
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    if body.get("code") == 0 and data.get("isLogin"):
        name = str(data.get("uname") or data.get("mid"))
        return True, name, f"signed in as {name} (uid {data.get('mid')})"
    if body.get("code") == -101:
        return (
            False,
            None,
            "not signed in: the cookie expired or has no SESSDATA — run `hearth cookies signin bilibili.com`",
        )
    log.info("bilibili who-am-I answered %s / code %s", reply.status_code, body.get("code"))
    return (
        False,
        None,
        f"Bilibili answered HTTP {reply.status_code} code {body.get('code')}: the cookie was not accepted",
    )


def check_weibo(found: SiteCookies, m_base: str, *, timeout: float = 20.0) -> tuple[bool, str | None, str]:
    """(ok, account, message) from m.weibo.cn's config: `login` true and the uid, then the user's screen name."""
    base = m_base.rstrip("/")
    headers = {"Referer": base + "/", "MWeibo-Pwa": "1", "X-Requested-With": "XMLHttpRequest"}
    reply = _get(base + "/api/config", found, headers, timeout)
    if reply.status_code in (418, 432):
        return (
            False,
            None,
            f"Weibo is limiting this address (HTTP {reply.status_code}); open m.weibo.cn in the sign-in window",
        )
    body = _json(reply)
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    if body.get("ok") == 1 and data.get("login"):
        uid = str(data.get("uid") or "")
        name = uid
        profile = _get(f"{base}/api/container/getIndex?type=uid&value={uid}", found, headers, timeout)
        user = (_json(profile).get("data") or {}).get("userInfo") or {}
        if isinstance(user, dict) and user.get("screen_name"):
            name = str(user["screen_name"])
        return True, name, f"signed in as {name} (uid {uid})"
    if body.get("ok") == -100 or (body.get("ok") == 1 and not data.get("login")) or reply.is_redirect:
        return (
            False,
            None,
            "not signed in: the cookie expired (Weibo's last only days) — run `hearth cookies signin weibo.com`",
        )
    return False, None, f"Weibo answered HTTP {reply.status_code}: the cookie was not accepted"
