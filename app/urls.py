"""The host of a URL, one way for every layer: the fetcher's gates and messages, the cookie vault, the UI."""

from __future__ import annotations

from urllib.parse import urlsplit


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
