"""Does a stored cookie still work? Ask the site who we are (Zhihu: the signed `/api/v4/me` endpoint)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from app import USER_AGENT
from app.errors import CookieMissingError, FetchTimeoutError, NetworkError, SourceError
from app.vault.cookies import SiteCookies, normalize_site
from app.vault.store import CookieVault

log = logging.getLogger(__name__)

ZHIHU_ME_PATH = "/api/v4/me?include=is_realname"
CHALLENGE_MARK = "zh-zse-ck"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """`ok` with the account name, or why not (expired, verification wanted)."""

    site: str
    ok: bool
    account: str | None
    message: str
    challenge: bool = False


def check_site(site: str, vault: CookieVault, settings: Any, *, timeout: float = 20.0) -> CheckResult:
    """Call the site's who-am-I endpoint with the stored cookie (never following a redirect elsewhere)."""
    site = normalize_site(site)
    found = vault.get(site)
    if found is None or not found.cookies:
        raise CookieMissingError(
            f"no cookies stored for {site}",
            hint=f"run `hearth cookies signin {site}` or `hearth cookies set {site}`",
        )
    if site in ("bilibili.com", "weibo.com"):
        from app.vault.check_sites import check_bilibili, check_weibo

        if site == "bilibili.com":
            ok, account, message = check_bilibili(
                found, str(settings.get("bilibili.api_base")), timeout=timeout
            )
        else:
            ok, account, message = check_weibo(found, str(settings.get("weibo.m_base")), timeout=timeout)
        return CheckResult(site, ok, account, message)
    if site != "zhihu.com":
        raise SourceError(
            f"Hearth has no check for {site} yet", hint="zhihu.com, bilibili.com and weibo.com can be checked"
        )
    return check_zhihu(found, str(settings.get("zhihu.www_base")), timeout=timeout)


def check_zhihu(found: SiteCookies, www_base: str, *, timeout: float = 20.0) -> CheckResult:
    from app.sources.hints import browser_headers
    from app.sources.zhihu.sign import sign_headers

    base = www_base.rstrip("/")
    d_c0 = found.cookies.get("d_c0")
    if not d_c0:
        raise CookieMissingError(
            "the zhihu.com cookie has no d_c0", hint="run `hearth cookies signin zhihu.com`"
        )
    headers = sign_headers(ZHIHU_ME_PATH, d_c0, referer=base + "/")
    headers["Cookie"] = found.header()
    headers.update(browser_headers(found.user_agent or USER_AGENT))
    url = base + ZHIHU_ME_PATH
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            reply = client.get(url, headers=headers)
    except httpx.TimeoutException:
        raise FetchTimeoutError(
            f"{urlsplit(base).netloc} did not answer in {timeout:.0f} s", url=url
        ) from None
    except httpx.HTTPError as exc:
        raise NetworkError(
            f"could not reach {urlsplit(base).netloc} ({type(exc).__name__})", url=url
        ) from None
    text = reply.text
    if CHALLENGE_MARK in text:
        return CheckResult(
            "zhihu.com",
            False,
            None,
            "Zhihu answered with its verification page (__zse_ck): sign in again or let Hearth solve it",
            challenge=True,
        )
    if reply.status_code == 200:
        try:
            name = reply.json().get("name")
        except ValueError:
            name = None
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
