"""Cookies as Hearth keeps them: one `SiteCookies` per site, Cookie-header parsing, domain matching
and per-site validation (what a Zhihu cookie needs, and what is limited without each part)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from app.errors import CookieMissingError
from app.i18n import _

# RFC 6265 cookie-name token (no separators, no controls)
_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_SITE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
SITE_ALIASES = {
    "zhihu": "zhihu.com",
    "bilibili": "bilibili.com",
    "b23.tv": "bilibili.com",
    "weibo": "weibo.com",
    "weibo.cn": "weibo.com",
    "m.weibo.cn": "weibo.com",
}
# Domains whose cookies belong to another site's entry: Weibo's SUB covers weibo.com and weibo.cn.
SITE_DOMAINS: dict[str, tuple[str, ...]] = {"weibo.com": ("weibo.com", "weibo.cn")}


@dataclass(frozen=True)
class SiteCookies:
    """The cookies of one site and the user agent they were earned with (a challenge cookie is bound to it).

    `repr()` shows cookie names only, so a stray log line or traceback never carries a value.
    """

    site: str
    cookies: dict[str, str]
    user_agent: str | None = None
    expires: dict[str, float | None] = field(default_factory=dict)
    saved_at: float | None = None

    def header(self) -> str:
        """The value of a Cookie request header."""
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def names(self) -> list[str]:
        return list(self.cookies)

    def __repr__(self) -> str:
        return (
            f"SiteCookies(site={self.site!r}, names={sorted(self.cookies)!r}, user_agent={self.user_agent!r})"
        )

    __str__ = __repr__


def normalize_site(site: str) -> str:
    """'Zhihu', 'zhihu', '.zhihu.com', 'https://www.zhihu.com/' -> 'zhihu.com'; anything else must be a domain."""
    text = site.strip().lower()
    if "://" in text:
        text = urlsplit(text).hostname or ""
        if text.startswith("www."):
            text = text[4:]
    text = text.strip(".")
    text = SITE_ALIASES.get(text, text)
    if not _SITE.match(text):
        raise CookieMissingError(
            f"{site!r} is not a site name", hint=_("name the site by its domain, e.g. zhihu.com")
        )
    return text


def host_matches_site(host: str, site: str) -> bool:
    """True when `host` is one of the site's own domains or a subdomain (never a lookalike: evil-zhihu.com)."""
    host = host.strip().lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in SITE_DOMAINS.get(site, (site,)))


def parse_cookie_header(text: str) -> dict[str, str]:
    """Parse what a user pastes: a Cookie header value, optionally with a leading 'Cookie:' and line breaks.

    Values keep their '=' and '|' (Zhihu's d_c0 has both); names must be valid cookie tokens.
    """
    text = text.strip()
    if text[:7].lower() == "cookie:":
        text = text[7:]
    cookies: dict[str, str] = {}
    for part in re.split(r"[;\r\n]+", text):
        part = part.strip()
        if not part or "=" not in part:
            continue
        name, _sep, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not _NAME.match(name):
            raise CookieMissingError(
                f"{name[:40]!r} is not a cookie name",
                hint=_("paste the value of the Cookie request header (name=value; name2=value2)"),
            )
        cookies[name] = value
    return cookies


@dataclass(frozen=True)
class SiteRules:
    """What a site's cookie needs: names without which nothing works, and names that limit what works."""

    login_path: str
    required: Mapping[str, str]
    recommended: Mapping[str, str]
    login_cookie: str | None = None


SITE_RULES: dict[str, SiteRules] = {
    "zhihu.com": SiteRules(
        login_path="/signin",
        required={"d_c0": "every Zhihu API request is signed with d_c0 (the x-zse-96 header)"},
        recommended={
            "z_c0": "without z_c0 (the login cookie) answers and articles come truncated: "
            "full text needs a signed-in account since 2024",
            "__zse_ck": "without __zse_ck requests may get Zhihu's verification page "
            "(Hearth then solves it in a hidden browser page, or asks you to sign in again)",
        },
        login_cookie="z_c0",
    ),
    "bilibili.com": SiteRules(
        login_path="https://passport.bilibili.com/login",
        required={},
        recommended={
            "SESSDATA": "without SESSDATA (the login cookie) the follow feed and private favourites do not work, "
            "and Bilibili's risk control (-352) refuses guests more often",
            "buvid3": "without buvid3 Hearth fetches a device id first (one more request)",
        },
        login_cookie="SESSDATA",
    ),
    "weibo.com": SiteRules(
        login_path="https://passport.weibo.cn/signin/login?entry=mweibo&r=https%3A%2F%2Fm.weibo.cn%2F",
        required={"SUB": "m.weibo.cn answers every request without SUB (the login cookie) with ok:-100"},
        recommended={"SUBP": "SUB and SUBP go together in a signed-in Weibo cookie"},
        # visitors get a SUB too; ALF ("auto login") is set only by a real sign-in
        login_cookie="ALF",
    ),
}


def validate_cookies(site: str, cookies: Mapping[str, str]) -> list[str]:
    """Raise CookieMissingError when a required cookie is absent; return warnings for recommended ones."""
    if not cookies:
        raise CookieMissingError(
            f"no cookies found for {site}",
            hint=_("paste the Cookie request header from your browser's developer tools (Network tab)"),
        )
    rules = SITE_RULES.get(site)
    if rules is None:
        return []
    for name, why in rules.required.items():
        if not cookies.get(name):
            raise CookieMissingError(
                f"the {site} cookie has no {name}: {why}",
                hint=_(
                    "copy the whole Cookie header of a request to {site} while signed in, "
                    "or run `hearth cookies signin {site}`"
                ).format(site=site),
            )
    return [f"no {name}: {why}" for name, why in rules.recommended.items() if not cookies.get(name)]
