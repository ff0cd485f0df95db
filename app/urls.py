"""Feed addresses, one way for every layer: the host of a URL (the fetcher's gates and messages, the
cookie vault, the UI) and whether an address runs a command (OPML import, the store's guard)."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from app.models import FeedKind


def host_of(url: str) -> str:
    """The lower-case host name of an absolute URL ('' when there is none or the URL cannot be split)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def netloc_of(url: str) -> str:
    """host[:port] of a URL, lower case, for exact host aliases (a test server, a mirror)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        return f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return ""


COMMAND_PREFIXES = ("exec:", "script:")  # app.sources.script runs these
FILTER_PREFIX = "filter:"  # newsboat: filter:COMMAND:URL pipes a feed through a command


def unprefixed(url: str) -> str:
    """`url` without the leading whitespace, control and format characters a scheme check must ignore."""
    start = 0
    while start < len(url) and (url[start].isspace() or unicodedata.category(url[start])[0] in "CZ"):
        start += 1
    return url[start:].strip()


def runs_command(url: str | None, kind: str) -> bool:
    """Whether a feed with this address and kind would run a command on this machine: a script source,
    or an exec:/script:/filter: address behind any invisible prefix. OPML import and the store both ask."""
    return url is not None and (
        kind.strip().lower().startswith(FeedKind.SCRIPT)
        or unprefixed(url).lower().startswith((*COMMAND_PREFIXES, FILTER_PREFIX))
    )
