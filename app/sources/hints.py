"""Browser client hints derived from a stored user agent, so a cookie site sees the browser that earned the cookie.

Chromium browsers send `sec-ch-ua`, `sec-ch-ua-mobile` and `sec-ch-ua-platform` with every request;
Firefox and Safari send none. A request that claims a Chrome UA but carries no hints (or hints of a
different version) is an easy tell, so Hearth sends exactly what that UA's browser would.
"""

from __future__ import annotations

import re

_CHROME = re.compile(r"\b(?:Chrome|Chromium|HeadlessChrome)/(\d+)")
_EDGE = re.compile(r"\bEdg(?:e|A|iOS)?/(\d+)")

# Chromium's GREASE brand (components/embedder_support/user_agent_utils.cc), seeded by the major version.
_GREASE_CHARS = (" ", "(", ":", "-", ".", "/", ")", ";", "=", "?", "_")
_GREASE_VERSIONS = ("8", "99", "24")
_ORDERS_3 = ((0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0))
_ORDERS_2 = ((0, 1), (1, 0))


def platform_of(user_agent: str) -> str:
    """The `sec-ch-ua-platform` value for a UA ("Windows", "macOS", "Linux", "Android", "Chrome OS")."""
    if "Android" in user_agent:
        return "Android"
    if "Windows" in user_agent:
        return "Windows"
    if "CrOS" in user_agent:
        return "Chrome OS"
    if "Macintosh" in user_agent or "Mac OS X" in user_agent:
        return "macOS"
    if "Linux" in user_agent or "X11" in user_agent:
        return "Linux"
    return "Unknown"


def is_chromium(user_agent: str) -> bool:
    """True for UAs of browsers that send client hints (Chrome, Edge, Chromium, QtWebEngine); iOS ones never do."""
    if any(s in user_agent for s in ("CriOS", "iPhone", "iPad", "Firefox/")):
        return False
    return bool(_CHROME.search(user_agent))


def brand_list(major: int, brand: str | None = None) -> str:
    """`sec-ch-ua` as Chromium `major` builds it: its GREASE brand, "Chromium" and the product brand, shuffled."""
    grease = (
        f'"Not{_GREASE_CHARS[major % 11]}A{_GREASE_CHARS[(major + 1) % 11]}Brand";'
        f'v="{_GREASE_VERSIONS[major % 3]}"'
    )
    chromium = f'"Chromium";v="{major}"'
    if brand is None:
        order: tuple[int, ...] = _ORDERS_2[major % 2]
        slots = [""] * 2
        slots[order[0]], slots[order[1]] = grease, chromium
    else:
        order = _ORDERS_3[major % 6]
        slots = [""] * 3
        slots[order[0]], slots[order[1]], slots[order[2]] = grease, chromium, f'"{brand}";v="{major}"'
    return ", ".join(slots)


def client_hints(user_agent: str) -> dict[str, str]:
    """The low-entropy client hints a browser with this UA sends; {} for browsers that send none.

    Chrome's reduced UA and Qt's webview UA (its QtWebEngine token removed, as Hearth's sign-in
    window stores it) are the same string, so a plain Chrome UA gets the webview's brands:
    "Chromium" and the GREASE brand. Edge's UA names itself ("Edg/"), so it gets "Microsoft Edge".
    """
    if not user_agent or not is_chromium(user_agent):
        return {}
    chrome = _CHROME.search(user_agent)
    assert chrome is not None
    major = int(chrome.group(1))
    edge = _EDGE.search(user_agent)
    return {
        "sec-ch-ua": brand_list(major, "Microsoft Edge" if edge else None),
        "sec-ch-ua-mobile": "?1" if "Mobile" in user_agent else "?0",
        "sec-ch-ua-platform": f'"{platform_of(user_agent)}"',
    }


def browser_headers(user_agent: str) -> dict[str, str]:
    """The User-Agent and its matching client hints, for every request to a cookie site."""
    return {"User-Agent": user_agent, **client_hints(user_agent)}
