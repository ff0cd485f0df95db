"""One Weibo fetch's HTTP on m.weibo.cn: the mobile API headers, the login cookie, and Weibo's answers.

`{"ok":-100}` (or a redirect to the visitor passport) means the cookie is missing or expired: ask
the user to sign in again, never retry. HTTP 432 (risk control) and 418 (too fast) cool the whole
site down (persisted) for at least 30 minutes and 2 hours; every request waits its per-site spacing
(weibo.min_spacing_seconds, 10 s by default, stablog's floor).
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from app.config import Key
from app.errors import CookieExpiredError, CookieMissingError, HTTPStatusError, SourceError
from app.i18n import _, lazy_gettext
from app.sources.base import SourceContext
from app.sources.sitehttp import SiteHTTP, site_hosts

log = logging.getLogger(__name__)

SITE = "weibo.com"
DOMAINS = ("weibo.cn",)  # weibo.com and m.weibo.cn share SUB: one vault entry covers both
MOBILE = "https://m.weibo.cn"
# RSSHub's m.weibo.cn UA; sent only when the vault has none for the cookie
BROWSER_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.6 Mobile/15E148 Safari/604.1"
)
LOGIN_HINT = lazy_gettext(
    "sign in again: `hearth cookies signin weibo.com` (or paste it: `hearth cookies set weibo.com`)"
)
COOL_432 = timedelta(minutes=30)
COOL_418 = timedelta(hours=2)
COOL_BUSY = timedelta(minutes=30)
EMPTY = "这里还没有内容"


class WeiboClient:
    def __init__(self, ctx: SourceContext) -> None:
        self.base = ctx.settings.get(Key.WEIBO_M_BASE).rstrip("/")
        self.http = SiteHTTP(
            ctx,
            label="Weibo",
            default_ua=BROWSER_UA,
            cookie_hosts=site_hosts(SITE, self.base, domains=DOMAINS),
        )

    def need_login(self, what: str) -> None:
        if not self.http.cookies.get("SUB"):
            raise CookieMissingError(f"{what} needs your Weibo login (the SUB cookie)", hint=LOGIN_HINT)

    async def get_data(
        self, path: str, params: dict[str, str], *, referer: str, what: str = ""
    ) -> dict[str, Any] | None:
        """`data` of an m.weibo.cn API GET; None for Weibo's "nothing here yet" (ok 0)."""
        headers = {
            "Accept": "application/json, text/plain, */*",
            "MWeibo-Pwa": "1",
            "X-Requested-With": "XMLHttpRequest",
            "Referer": referer,
        }
        xsrf = self.http.cookies.get("XSRF-TOKEN")
        if xsrf:
            headers["X-XSRF-TOKEN"] = xsrf
        url = self.base + path
        response = await self.http.get(url, headers=headers, params=params)
        status = response.status_code
        if status == 432:
            raise self.http.blocked(
                "HTTP 432: Weibo's risk control",
                url=url,
                status=432,
                at_least=COOL_432,
                hint=_(
                    "open Weibo in the sign-in window (`hearth cookies signin weibo.com`) and pass its check"
                ),
            )
        if status == 418:
            raise self.http.blocked(
                "HTTP 418: too many requests",
                url=url,
                status=418,
                at_least=COOL_418,
                hint=_(
                    "Weibo lifts this after 2-3 hours; Hearth waits, and a longer weibo.min_spacing_seconds helps"
                ),
            )
        if "passport.weibo" in str(response.url) and "visitor" in str(response.url):
            self.login_needed()
        try:
            body = json.loads(response.content) if response.content else None
        except ValueError:
            body = None
        if status == 403 or (not isinstance(body, dict) and "系统繁忙" in response.text[:2000]):
            raise self.http.blocked(
                f"HTTP {status}: 系统繁忙",
                url=url,
                status=status,
                at_least=COOL_BUSY,
                hint=_("Hearth backs off"),
            )
        if not isinstance(body, dict):
            if status >= 400:
                raise HTTPStatusError(
                    f"Weibo answered HTTP {status}", url=url, status=status, hint=_("try again later")
                )
            raise SourceError(
                f"Weibo answered {url} with something that is not JSON",
                hint=_("Weibo may have changed its API; try again later or update Hearth"),
            )
        ok = body.get("ok")
        if ok == -100:
            self.login_needed()
        if ok == 0 and EMPTY in str(body.get("msg") or ""):
            self.http.succeeded()
            return None
        if ok != 1 or status >= 400:
            message = str(body.get("msg") or body.get("message") or "")
            raise HTTPStatusError(
                f"Weibo answered ok={ok}"
                + (f": {message}" if message else "")
                + (f" ({what})" if what else ""),
                url=url,
                status=status,
                hint=_("check the id in the URL, or try again later"),
            )
        self.http.succeeded()
        data = body.get("data")
        return data if isinstance(data, dict) else {}

    def login_needed(self) -> None:
        if self.http.cookies.get("SUB"):
            raise CookieExpiredError("Weibo says you are not signed in: the cookie expired", hint=LOGIN_HINT)
        raise CookieMissingError("Weibo needs your login cookie (SUB)", hint=LOGIN_HINT)
