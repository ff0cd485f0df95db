"""Cookies for fetches come only from the vault, asked once per host per refresh (the keyring is slow)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from app.errors import HearthError
from app.fetching.http import CookieLookup

log = logging.getLogger(__name__)


class CookieMemo:
    """Wraps `cookie_header_for(url)`: one call per host; a broken keyring means no cookies, once logged."""

    def __init__(self, lookup: CookieLookup) -> None:
        self._lookup = lookup
        self._by_host: dict[str, str | None] = {}
        self._broken = False

    def __call__(self, url: str) -> str | None:
        if self._broken:
            return None
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc.lower()}"
        if key not in self._by_host:
            try:
                self._by_host[key] = self._lookup(url)
            except HearthError as exc:
                log.info("no cookies for this refresh: %s", exc.user_message())
                self._broken = True
                return None
        return self._by_host[key]
