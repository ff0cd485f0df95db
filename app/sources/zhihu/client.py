"""One Zhihu fetch's HTTP: signed API GETs with the vault's cookie, the politeness gate, and error mapping.

Every www API request is built first and then signed from its exact raw path+query (what goes on
the wire), so the signature always matches the request. A `__zse_ck` challenge page is solved once
through the injected solver (the UI's webview) and the request retried; bans start the site's cooldown.
"""

from __future__ import annotations

import inspect
import json
import logging
from typing import Any

import httpx

from app.config import Key
from app.errors import (
    BlockedError,
    ChallengeError,
    CookieExpiredError,
    CookieMissingError,
    HTTPStatusError,
    PrivateProfileError,
    SourceError,
)
from app.i18n import _, lazy_gettext
from app.sources.base import SourceContext
from app.sources.hints import browser_headers
from app.sources.sitehttp import send_gated
from app.sources.zhihu.sign import sign_headers

log = logging.getLogger(__name__)

SITE = "zhihu.com"
# Sent only when the vault has no user agent for the cookie (a challenge cookie is bound to its UA).
BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
CHALLENGE_MARK = "zh-zse-ck"
LOGIN_HINT = lazy_gettext("sign in (Feeds → Sign in to Zhihu) or `hearth cookies set zhihu.com`")
_NOT_LOGGED_IN = ("请先登录", "未登录", "登录后")
_CAPTCHA = ("验证码", "网络环境存在异常", "captcha", "unhuman")
_PRIVATE = ("隐私", "私密", "private")
_MAX_ERROR_BODY = 2_000_000


def cookie_missing() -> CookieMissingError:
    return CookieMissingError("Zhihu needs your cookie", hint=LOGIN_HINT)


class ZhihuClient:
    """Per-fetch: holds the working cookie dict (updated by a solved challenge) for every request it makes."""

    def __init__(self, ctx: SourceContext) -> None:
        self.ctx = ctx
        self.www = ctx.settings.get(Key.ZHIHU_WWW_BASE).rstrip("/")
        self.api = ctx.settings.get(Key.ZHIHU_API_BASE).rstrip("/")
        self.cookies: dict[str, str] = dict(ctx.cookies.cookies) if ctx.cookies else {}
        self.user_agent = (ctx.cookies.user_agent if ctx.cookies else None) or BROWSER_UA
        self.challenges_solved = 0

    # public -------------------------------------------------------------------------
    async def www_json(self, path_query: str, *, referer: str, what: str = "") -> dict[str, Any]:
        """A signed GET of `www_base + path_query`; needs the cookie (d_c0 signs every request)."""
        if not self.cookies.get("d_c0"):
            raise cookie_missing()
        return await self._get_json(self.www + path_query, referer=referer, signed=True, what=what)

    async def api_json(
        self, path_query: str, *, referer: str, need_cookie: bool, what: str = ""
    ) -> dict[str, Any]:
        """A GET on the api host (no signature); sends the cookie when there is one."""
        if need_cookie and not self.cookies:
            raise cookie_missing()
        return await self._get_json(self.api + path_query, referer=referer, signed=False, what=what)

    # the request loop -----------------------------------------------------------------
    async def _get_json(self, url: str, *, referer: str, signed: bool, what: str) -> dict[str, Any]:
        for attempt in range(2):
            response = await self._send(url, referer=referer, signed=signed)
            text = response.text if len(response.content) < _MAX_ERROR_BODY else ""
            if CHALLENGE_MARK in text and "html" in response.headers.get("content-type", "html"):
                if attempt == 0 and await self._solve_challenge(url):
                    continue
                raise ChallengeError(
                    "Zhihu wants you to verify",
                    hint=_("open the sign-in window (Feeds → Sign in to Zhihu) and load any page"),
                )
            return self._json_or_raise(response, what=what)
        raise AssertionError("unreachable")

    async def _send(self, url: str, *, referer: str, signed: bool) -> httpx.Response:
        headers = {
            **browser_headers(
                self.user_agent
            ),  # the UA and client hints of the browser that earned the cookie
            "Accept": "application/json, text/plain, */*",
            "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8",
            "Referer": referer,
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        request = self.ctx.client.build_request("GET", url, headers=headers)
        if signed:
            path_query = request.url.raw_path.decode("ascii")
            request.headers.update(sign_headers(path_query, self.cookies["d_c0"], referer=referer))
        return await send_gated(self.ctx, request, label="Zhihu", url=url)

    async def _solve_challenge(self, url: str) -> bool:
        solver = self.ctx.solve_challenge
        if solver is None:
            return False
        try:
            fresh = await solver(url, self.user_agent, dict(self.cookies))
        except Exception as exc:  # the solver is UI code: any failure means "could not verify"
            log.warning("the Zhihu challenge solver failed: %s", exc)
            return False
        if not fresh or not fresh.get("__zse_ck"):
            return False
        self.cookies.update(fresh)
        self.challenges_solved += 1
        if self.ctx.save_cookies is not None:
            result = self.ctx.save_cookies(dict(self.cookies))
            if inspect.isawaitable(result):
                await result
        log.info("solved Zhihu's challenge; retrying %s", url)
        return True

    # errors ----------------------------------------------------------------------------
    def _json_or_raise(self, response: httpx.Response, *, what: str) -> dict[str, Any]:
        url = str(response.url)
        status = response.status_code
        try:
            body = json.loads(response.content) if response.content else None
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) or status >= 400:
            self._raise_for(status, error if isinstance(error, dict) else {}, response.text[:500], url, what)
        if not isinstance(body, dict):
            raise SourceError(
                f"Zhihu answered {url} with something that is not JSON",
                hint=_("Zhihu may have changed its API; try again later or update Hearth"),
            )
        if self.ctx.gate is not None:
            self.ctx.gate.report_success()
        return body

    def _raise_for(self, status: int, error: dict[str, Any], text: str, url: str, what: str) -> None:
        message = str(error.get("message") or "")
        code = error.get("code")
        gate = self.ctx.gate
        blob = message + " " + (text if not error else "")
        if code == 10003:
            raise SourceError(
                f"Zhihu rejected the request signature (error 10003: {message or 'bad x-zse-96'})",
                hint=_(
                    "your d_c0 cookie may be stale — sign in again; if it persists, Zhihu changed its signing "
                    "and Hearth needs an update"
                ),
            )
        if status == 401 or any(s in message for s in _NOT_LOGGED_IN):
            raise CookieExpiredError(
                "Zhihu says the cookie expired", hint=_("sign in again (Feeds → Sign in to Zhihu)")
            )
        if status in (403, 429) or any(s in blob for s in _CAPTCHA):
            if any(s in message for s in _PRIVATE):
                raise PrivateProfileError(
                    f"this profile is private{_for(what)}", hint=_("Zhihu only shows it to its owner")
                )
            reason = f"HTTP {status}" + (f": {message}" if message else "")
            if gate is not None:
                raise gate.report_blocked(reason, url=url, status=status)
            raise BlockedError(
                f"Zhihu blocked us ({reason})", url=url, status=status, hint=_("try again later")
            )
        if any(s in message for s in _PRIVATE):
            raise PrivateProfileError(
                f"this profile is private{_for(what)}", hint=_("Zhihu only shows it to its owner")
            )
        if status == 404:
            raise SourceError(
                f"Zhihu has no {what or 'such page'}" + (f" ({message})" if message else ""),
                hint=_("check the id in the URL you subscribed to"),
            )
        raise HTTPStatusError(
            f"Zhihu answered HTTP {status}"
            + (f": {message}" if message else "")
            + (f" (code {code})" if code else ""),
            url=url,
            status=status,
            hint=_("try again later"),
        )


def _for(what: str) -> str:
    return f" ({what})" if what else ""
