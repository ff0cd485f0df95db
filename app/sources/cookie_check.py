"""Does a stored cookie still work? Ask the site who we are — Zhihu's signed `/api/v4/me`, Bilibili's
`/x/web-interface/nav`, m.weibo.cn's `/api/config` — through the source client and the site gate,
like every other request to a cookie site.

The cookie goes only to the site's configured base, with the UA (and client hints) it was earned with,
and a check never follows a redirect (a 302 elsewhere would carry nothing, and says the cookie failed).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from app import USER_AGENT
from app.config import Key, Settings
from app.errors import CookieMissingError, SourceError
from app.fetching.site_gate import SiteStateStore
from app.i18n import _
from app.sources.base import SourceContext
from app.sources.hints import browser_headers
from app.sources.registry import build_source_client, site_gates
from app.sources.sitehttp import send_gated
from app.sources.zhihu.sign import sign_headers
from app.vault.cookies import SiteCookies, normalize_site
from app.vault.store import CookieVault

log = logging.getLogger(__name__)

ZHIHU_ME_PATH = "/api/v4/me?include=is_realname"
CHALLENGE_MARK = "zh-zse-ck"
BILIBILI_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36"
)
LABELS = {"zhihu.com": "Zhihu", "bilibili.com": "Bilibili", "weibo.com": "Weibo"}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """`ok` with the account name, or why not (expired, verification wanted)."""

    site: str
    ok: bool
    account: str | None
    message: str
    challenge: bool = False


def check_site(
    site: str,
    vault: CookieVault,
    settings: Settings,
    *,
    site_states: SiteStateStore | None = None,
    timeout: float = 20.0,
) -> CheckResult:
    """Call the site's who-am-I endpoint with the stored cookie. With `site_states` (the store) the
    request waits for the site gate and counts against its budget; during a cooldown it raises
    BlockedError and sends nothing."""
    site = normalize_site(site)
    found = vault.get(site)
    if found is None or not found.cookies:
        raise CookieMissingError(
            f"no cookies stored for {site}",
            hint=_("run `hearth cookies signin {site}` or `hearth cookies set {site}`").format(site=site),
        )
    if site not in LABELS:
        raise SourceError(
            f"Hearth has no check for {site} yet",
            hint=_("zhihu.com, bilibili.com and weibo.com can be checked"),
        )
    return asyncio.run(_check(site, found, settings, site_states, timeout))


async def _check(
    site: str, found: SiteCookies, settings: Settings, states: SiteStateStore | None, timeout: float
) -> CheckResult:
    async with build_source_client(settings) as client:
        client.timeout = httpx.Timeout(timeout)
        gate = site_gates(settings, states).gate(site) if states is not None else None
        ctx = SourceContext(client=client, settings=settings, cookies=found, gate=gate)
        if site == "zhihu.com":
            return await check_zhihu(ctx, found, settings.get(Key.ZHIHU_WWW_BASE))
        if site == "bilibili.com":
            return await check_bilibili(ctx, found, settings.get(Key.BILIBILI_API_BASE))
        return await check_weibo(ctx, found, settings.get(Key.WEIBO_M_BASE))


async def _get(
    ctx: SourceContext, site: str, url: str, found: SiteCookies, headers: Mapping[str, str], ua: str
) -> httpx.Response:
    sent = {**browser_headers(found.user_agent or ua), **headers, "Cookie": found.header()}
    request = ctx.client.build_request("GET", url, headers=sent)
    return await send_gated(ctx, request, label=LABELS[site], url=url, follow_redirects=False)


def _json(reply: httpx.Response) -> dict[str, Any]:
    try:
        body = reply.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


async def check_zhihu(ctx: SourceContext, found: SiteCookies, www_base: str) -> CheckResult:
    base = www_base.rstrip("/")
    d_c0 = found.cookies.get("d_c0")
    if not d_c0:
        raise CookieMissingError(
            "the zhihu.com cookie has no d_c0", hint=_("run `hearth cookies signin zhihu.com`")
        )
    headers = sign_headers(ZHIHU_ME_PATH, d_c0, referer=base + "/")
    reply = await _get(ctx, "zhihu.com", base + ZHIHU_ME_PATH, found, headers, USER_AGENT)
    if CHALLENGE_MARK in reply.text:
        return CheckResult(
            "zhihu.com",
            False,
            None,
            "Zhihu answered with its verification page (__zse_ck): sign in again or let Hearth solve it",
            challenge=True,
        )
    if reply.status_code == 200:
        name = _json(reply).get("name")
        if name:
            return CheckResult("zhihu.com", True, str(name), f"signed in as {name}")
        return CheckResult(
            "zhihu.com", False, None, "the cookie works for guests only: it is not signed in (no z_c0?)"
        )
    log.info("zhihu who-am-I answered %s", reply.status_code)
    return CheckResult(
        "zhihu.com",
        False,
        None,
        f"the cookie is no longer valid (Zhihu answered {reply.status_code}): run `hearth cookies signin zhihu.com`",
    )


async def check_bilibili(ctx: SourceContext, found: SiteCookies, api_base: str) -> CheckResult:
    """The nav endpoint: code 0 with `uname` when the cookie signs in."""
    url = api_base.rstrip("/") + "/x/web-interface/nav"
    reply = await _get(ctx, "bilibili.com", url, found, {"Referer": "https://www.bilibili.com/"}, BILIBILI_UA)
    if reply.status_code == 412:
        return _failed(
            "bilibili.com", "Bilibili is blocking this address for now (HTTP 412); try again in an hour"
        )
    body = _json(reply)
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    if body.get("code") == 0 and data.get("isLogin"):
        name = str(data.get("uname") or data.get("mid"))
        return CheckResult("bilibili.com", True, name, f"signed in as {name} (uid {data.get('mid')})")
    if body.get("code") == -101:
        return _failed(
            "bilibili.com",
            "not signed in: the cookie expired or has no SESSDATA — run `hearth cookies signin bilibili.com`",
        )
    log.info("bilibili who-am-I answered %s / code %s", reply.status_code, body.get("code"))
    return _failed(
        "bilibili.com",
        f"Bilibili answered HTTP {reply.status_code} code {body.get('code')}: the cookie was not accepted",
    )


async def check_weibo(ctx: SourceContext, found: SiteCookies, m_base: str) -> CheckResult:
    """m.weibo.cn's config: `login` true and the uid, then the user's screen name."""
    base = m_base.rstrip("/")
    headers = {"Referer": base + "/", "MWeibo-Pwa": "1", "X-Requested-With": "XMLHttpRequest"}
    reply = await _get(ctx, "weibo.com", base + "/api/config", found, headers, BILIBILI_UA)
    if reply.status_code in (418, 432):
        return _failed(
            "weibo.com",
            f"Weibo is limiting this address (HTTP {reply.status_code}); open m.weibo.cn in the sign-in window",
        )
    body = _json(reply)
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    if body.get("ok") == 1 and data.get("login"):
        uid = str(data.get("uid") or "")
        name = uid
        profile_url = f"{base}/api/container/getIndex?type=uid&value={uid}"
        profile = await _get(ctx, "weibo.com", profile_url, found, headers, BILIBILI_UA)
        user = (_json(profile).get("data") or {}).get("userInfo") or {}
        if isinstance(user, dict) and user.get("screen_name"):
            name = str(user["screen_name"])
        return CheckResult("weibo.com", True, name, f"signed in as {name} (uid {uid})")
    if body.get("ok") == -100 or (body.get("ok") == 1 and not data.get("login")) or reply.is_redirect:
        return _failed(
            "weibo.com",
            "not signed in: the cookie expired (Weibo's last only days) — run `hearth cookies signin weibo.com`",
        )
    return _failed("weibo.com", f"Weibo answered HTTP {reply.status_code}: the cookie was not accepted")


def _failed(site: str, message: str) -> CheckResult:
    return CheckResult(site, False, None, message)
