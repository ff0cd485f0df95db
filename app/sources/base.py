"""The `Source` capability protocol (a site without a feed, turned into a ParsedFeed) and what it gets to work with.

A source declares the URL forms it recognises (the site's own pages and RSSHub-style paths on any
host), its parameters, and the site whose cookie it needs; `fetch(params, ctx)` returns the same
`ParsedFeed` a parsed XML feed does, so everything downstream is one path.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import httpx

from app.config import Settings
from app.models import ParsedFeed

if TYPE_CHECKING:
    from app.fetching.site_gate import SiteGate

# (url, user_agent, cookies) -> the cookies the solved challenge set (at least `__zse_ck`)
ChallengeSolver = Callable[[str, str, dict[str, str]], Awaitable[dict[str, str]]]
# called with the site's full, updated cookie dict after a challenge was solved
CookieSaver = Callable[[dict[str, str]], Awaitable[None] | None]


class SiteCookiesLike(Protocol):
    """What a source needs of the vault's `SiteCookies` (kept structural: sources do not import the vault)."""

    cookies: dict[str, str]
    user_agent: str | None

    def header(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a source, as the add dialog and `hearth add` show it."""

    name: str
    help: str
    default: str | None = None  # None: required; "" optional and empty
    choices: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(slots=True)
class SourceContext:
    """What a fetch gets: an httpx client without a cookie jar, settings, the site's cookies, the gate."""

    client: httpx.AsyncClient
    settings: Settings
    cookies: SiteCookiesLike | None = None
    gate: SiteGate | None = None
    solve_challenge: ChallengeSolver | None = None
    save_cookies: CookieSaver | None = None
    data_dir: Path | None = None  # cwd of script sources
    extra: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Source(Protocol):
    """A site without a feed. Implementations are stateless; per-fetch state lives in the context."""

    id: str  # "zhihu.people.activities"
    name: str  # "Zhihu user activities"
    site: str | None  # the vault site whose cookie it needs ("zhihu.com"), None for none
    params: tuple[Param, ...]

    def match(self, url: str) -> dict[str, str] | None:
        """The params if `url` is one of this source's URL forms (site URL or RSSHub path), else None."""
        ...

    def feed_url(self, params: Mapping[str, str]) -> str:
        """The canonical, human-meaningful URL stored on the feed row (unique per source+params)."""
        ...

    def rsshub_path(self, params: Mapping[str, str]) -> str:
        """The RSSHub-compatible path the local feed server serves this feed at."""
        ...

    def title(self, params: Mapping[str, str]) -> str:
        """A display title before the first fetch names the feed properly."""
        ...

    async def fetch(self, params: Mapping[str, str], ctx: SourceContext) -> ParsedFeed: ...


def route_regex(template: str) -> re.Pattern[str]:
    """An RSSHub path template ("/zhihu/people/activities/:id", ":sort?" optional) as a path regex."""
    out = []
    for part in template.strip("/").split("/"):
        if part.startswith(":"):
            name = part[1:].rstrip("?")
            group = f"/(?P<{name}>[^/?#]+)"
            out.append(f"(?:{group})?" if part.endswith("?") else group)
        else:
            out.append("/" + re.escape(part))
    return re.compile("^" + "".join(out) + "/?$")


@dataclass(frozen=True)
class RouteSource:
    """A declarative base: subclasses set the class attributes and implement `fetch`.

    `url_patterns` are full-URL regexes with named groups (matched against the URL without its
    fragment); `routes` are RSSHub path templates matched against the path of a URL on any host,
    with or without a leading "/rsshub" style prefix left out.
    """

    id: str = ""
    name: str = ""
    site: str | None = None
    params: tuple[Param, ...] = ()
    url_patterns: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()

    def match(self, url: str) -> dict[str, str] | None:
        text = url.strip().split("#", 1)[0]
        for pattern in self.url_patterns:
            m = re.match(pattern, text)
            if m:
                return self._complete(m.groupdict())
        path = _path_of(text)
        if path is None:
            return None
        for template in self.routes:
            m = route_regex(template).match(path)
            if m:
                return self._complete(m.groupdict())
        return None

    def _complete(self, found: Mapping[str, str | None]) -> dict[str, str]:
        params = {k: v for k, v in found.items() if v}
        for p in self.params:
            if p.name not in params and p.default is not None:
                params[p.name] = p.default
        return params

    def check_params(self, params: Mapping[str, Any]) -> dict[str, str]:
        """Fill defaults, reject missing or unknown values with a message naming the parameter."""
        from app.errors import SourceError

        out: dict[str, str] = {}
        for p in self.params:
            value = params.get(p.name) or p.default
            if value is None:
                raise SourceError(f"{self.name} needs a {p.name}", hint=p.help)
            value = str(value).strip()
            if p.choices and value and value not in p.choices:
                raise SourceError(f"{p.name} must be one of {', '.join(p.choices)}, not {value!r}")
            out[p.name] = value
        return out

    def rsshub_path(self, params: Mapping[str, str]) -> str:
        template = self.routes[0]
        parts = []
        for part in template.strip("/").split("/"):
            if part.startswith(":"):
                value = params.get(part[1:].rstrip("?"))
                if value:
                    parts.append(str(value))
                elif not part.endswith("?"):
                    raise ValueError(f"missing {part} for {template}")
            else:
                parts.append(part)
        return "/" + "/".join(parts)

    def feed_url(self, params: Mapping[str, str]) -> str:
        raise NotImplementedError

    def title(self, params: Mapping[str, str]) -> str:
        return self.name

    async def fetch(self, params: Mapping[str, str], ctx: SourceContext) -> ParsedFeed:
        raise NotImplementedError


def _path_of(text: str) -> str | None:
    """The path of a URL on any host, or the text itself if it is a bare path ("/zhihu/hot")."""
    if text.startswith("/"):
        return text.split("?", 1)[0]
    if "://" in text:
        return httpx.URL(text).path if _is_http(text) else None
    return None


def _is_http(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))
