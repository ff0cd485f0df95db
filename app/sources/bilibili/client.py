"""One Bilibili fetch's HTTP: WBI-signed API GETs, buvid device cookies, and the risk-control answers.

WBI keys come from the nav endpoint, are cached per API base for a few hours and fetched again
once when a signed request fails its risk check (-352 or a `v_voucher`, even with code 0). A 412,
-352, -799 or -509 cools the whole site down (persisted) with a floor sized from what users report.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from app.config import Key
from app.errors import (
    CookieExpiredError,
    CookieMissingError,
    HTTPStatusError,
    PrivateProfileError,
    SourceError,
)
from app.i18n import _, lazy_gettext
from app.sources.base import SourceContext
from app.sources.bilibili.wbi import WbiKeys, encode_query, key_from_url, sign_params
from app.sources.sitehttp import SiteHTTP, site_hosts

log = logging.getLogger(__name__)

SITE = "bilibili.com"
WWW = "https://www.bilibili.com"
SPACE = "https://space.bilibili.com"
BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36"
)
LOGIN_HINT = lazy_gettext(
    "sign in with `hearth cookies signin bilibili.com` (or paste it: `hearth cookies set bilibili.com`)"
)
KEY_TTL = 6 * 3600.0
# api base -> (keys, when fetched); the keys are public and change about daily
_KEY_CACHE: dict[str, tuple[WbiKeys, float]] = {}
# what the answers below cost the site, at least (ban lengths users report; research notes §2.8)
COOL_412 = timedelta(hours=1)
COOL_RISK = timedelta(hours=1)
COOL_TOO_FAST = timedelta(minutes=10)
# base64("no webgl") without its last two characters, as the web page sends it
DM_IMG_STR = "bm8gd2ViZ2"


def forget_keys() -> None:
    """Drop every cached key set (tests: a new fake server may reuse an old one's port)."""
    _KEY_CACHE.clear()


def cached_keys(api: str) -> WbiKeys | None:
    entry = _KEY_CACHE.get(api)
    if entry is None or time.monotonic() - entry[1] > KEY_TTL:
        return None
    return entry[0]


def dm_params(rng: random.Random | None = None) -> dict[str, str]:
    """The anti-bot `dm_img_*` parameters the space page adds (a mouse trace and 'no webgl')."""
    rng = rng or random.Random()
    x, y = rng.gauss(1245, 5), rng.gauss(1285, 5)
    trace = [
        {
            "x": round(3 * x + 2 * y),
            "y": round(4 * x - 5 * y),
            "z": 0,
            "timestamp": round(rng.gauss(30, 5)),
            "type": 0,
        }
    ]
    return {
        "dm_img_list": json.dumps(trace, separators=(",", ":")),
        "dm_img_str": DM_IMG_STR,
        "dm_cover_img_str": DM_IMG_STR,
    }


class BilibiliClient:
    def __init__(self, ctx: SourceContext) -> None:
        self.api = ctx.settings.get(Key.BILIBILI_API_BASE).rstrip("/")
        self.http = SiteHTTP(
            ctx, label="Bilibili", default_ua=BROWSER_UA, cookie_hosts=site_hosts(SITE, self.api)
        )
        self.key_fetches = 0

    @property
    def signed_in(self) -> bool:
        return bool(self.http.cookies.get("SESSDATA"))

    def need_login(self, what: str) -> None:
        if not self.signed_in:
            raise CookieMissingError(
                f"{what} needs your Bilibili login (the SESSDATA cookie)", hint=LOGIN_HINT
            )

    # keys and device cookies ------------------------------------------------------------
    async def keys(self, *, refresh: bool = False) -> WbiKeys:
        keys = None if refresh else cached_keys(self.api)
        if keys is not None:
            return keys
        url = f"{self.api}/x/web-interface/nav"
        response = await self.http.get(url, headers={"Referer": WWW + "/", "Accept": "application/json"})
        body = self._body(response, url)
        # logged out, nav answers -101 and still carries the keys
        img = ((body.get("data") or {}).get("wbi_img") or {}) if isinstance(body.get("data"), dict) else {}
        if not img.get("img_url") or not img.get("sub_url"):
            self._raise_for(response.status_code, body, url, "the WBI keys")
        keys = WbiKeys(key_from_url(img["img_url"]), key_from_url(img["sub_url"]))
        _KEY_CACHE[self.api] = (keys, time.monotonic())
        self.key_fetches += 1
        return keys

    async def ensure_buvid(self) -> None:
        """A cookie without buvid3 meets risk control first: get the device ids once and keep them."""
        if self.http.cookies.get("buvid3"):
            return
        url = f"{self.api}/x/frontend/finger/spi"
        response = await self.http.get(url, headers={"Referer": WWW + "/", "Accept": "application/json"})
        body = self._body(response, url)
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        if body.get("code") != 0 or not data.get("b_3"):
            log.info("bilibili gave no buvid3 (code %s); going on without", body.get("code"))
            return
        self.http.cookies["buvid3"] = str(data["b_3"])
        if data.get("b_4"):
            self.http.cookies["buvid4"] = str(data["b_4"])
        await self.http.save_cookies()

    # requests ---------------------------------------------------------------------------------
    async def get_data(
        self,
        path: str,
        params: Mapping[str, object],
        *,
        referer: str,
        origin: str | None = None,
        signed: bool = False,
        what: str = "",
    ) -> dict[str, Any]:
        """`data` of a GET on the API base; signed requests get one fresh set of keys if refused."""
        await self.ensure_buvid()
        headers = {"Referer": referer, "Accept": "application/json, text/plain, */*"}
        if origin:
            headers["Origin"] = origin
        for attempt in range(2 if signed else 1):
            query = sign_params(params, await self.keys(refresh=attempt > 0)) if signed else dict(params)
            url = f"{self.api}{path}?{encode_query(query)}"
            response = await self.http.get(url, headers=headers)
            body = self._body(response, url)
            if signed and attempt == 0 and _risk_check(body):
                log.info("bilibili refused the signature for %s; fetching fresh WBI keys", path)
                continue
            if response.status_code != 200 or body.get("code") != 0 or _risk_check(body):
                self._raise_for(response.status_code, body, url, what)
            self.http.succeeded()
            data = body.get("data")
            return data if isinstance(data, dict) else {}
        raise AssertionError("unreachable")

    # answers ----------------------------------------------------------------------------------
    def _body(self, response: Any, url: str) -> dict[str, Any]:
        if response.status_code == 412:
            raise self.http.blocked(
                "HTTP 412: Bilibili blocked the request",
                url=url,
                status=412,
                at_least=COOL_412,
                hint=_("Bilibili blocks an address for about an hour; Hearth waits that out by itself"),
            )
        try:
            body = json.loads(response.content) if response.content else None
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if response.status_code >= 400:
                raise HTTPStatusError(
                    f"Bilibili answered HTTP {response.status_code}",
                    url=url,
                    status=response.status_code,
                    hint=_("try again later"),
                )
            raise SourceError(
                f"Bilibili answered {url} with something that is not JSON",
                hint=_("Bilibili may have changed its API; try again later or update Hearth"),
            )
        return body

    def _raise_for(self, status: int, body: dict[str, Any], url: str, what: str) -> None:
        code = body.get("code")
        message = str(body.get("message") or body.get("msg") or "")
        label = f"code {code}" + (f" {message}" if message and message != "0" else "")
        if _risk_check(body):
            raise self.http.blocked(
                "code -352: risk check failed (风控校验失败)"
                if code == -352
                else f"code {code} with a v_voucher: risk check",
                url=url,
                status=status,
                at_least=COOL_RISK,
                hint=_(
                    "a signed-in cookie usually clears Bilibili's risk check: `hearth cookies signin bilibili.com`"
                ),
            )
        if code in (-412, -799, -509):
            floor = COOL_412 if code == -412 else COOL_TOO_FAST
            raise self.http.blocked(
                label,
                url=url,
                status=status,
                at_least=floor,
                hint=_(
                    "Bilibili says Hearth asks too often; it waits, and a longer sites.min_spacing_seconds helps"
                ),
            )
        if code == -101:
            if self.signed_in:
                raise CookieExpiredError(
                    "Bilibili says the login cookie expired (code -101)", hint=LOGIN_HINT
                )
            raise CookieMissingError(
                f"{what or 'this'} needs your Bilibili login (code -101)", hint=LOGIN_HINT
            )
        if code == -403:
            raise PrivateProfileError(
                f"Bilibili does not show {what or 'this'} to this account (code -403)",
                hint=_("a private favourites folder is shown only to its owner: sign in as that account"),
            )
        if code in (-404, 404):
            raise SourceError(
                f"Bilibili has no {what or 'such page'} ({label})", hint=_("check the id in the URL")
            )
        raise HTTPStatusError(
            f"Bilibili answered {label} (HTTP {status})", url=url, status=status, hint=_("try again later")
        )


def _risk_check(body: dict[str, Any]) -> bool:
    """-352, or a `v_voucher` in `data` (Bilibili sends that with code 0 too)."""
    data = body.get("data")
    return body.get("code") == -352 or (isinstance(data, dict) and bool(data.get("v_voucher")))
