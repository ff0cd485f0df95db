"""How a refresh reaches the cookie vault and the site sources: built on first use, so a refresh of
plain feeds never opens the keyring more than once, nor imports the sources at all."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.models import Feed, ParsedFeed

if TYPE_CHECKING:
    from app.config import Settings
    from app.storage import Store
    from app.vault import CookieVault

ChallengeSolver = Callable[..., Any]  # async (url, user_agent, cookies) -> cookies; made by the UI


class VaultCookies:
    """`cookie_header_for(url)` for one refresh (or one discovery): the vault is asked for its list of
    sites on the first request, and never again during this lookup's life when it holds none."""

    def __init__(self, vault: Callable[[], CookieVault]) -> None:
        self._vault = vault
        self._opened: CookieVault | None = None
        self._has_sites = False

    def __call__(self, url: str) -> str | None:
        if self._opened is None:
            vault = self._vault()
            self._has_sites = bool(vault.sites())  # a VaultError here means: no cookies this time
            self._opened = vault
        return self._opened.cookie_header_for(url) if self._has_sites else None


class LazySourceFetcher:
    """`fetch_source` for Zhihu, Bilibili, Weibo and script feeds: the vault's cookies, per-site gates kept
    in `store` (the refreshing thread's connection). Built on the first source feed it is asked for."""

    def __init__(
        self,
        settings: Settings,
        *,
        vault: Callable[[], CookieVault | None],
        store: Store,
        data_dir: Path,
        solve_challenge: Callable[[], ChallengeSolver | None],
    ) -> None:
        self._settings = settings
        self._vault = vault
        self._store = store
        self._data_dir = data_dir
        self._solve_challenge = solve_challenge
        self._built: Any = None
        self._lock = threading.Lock()

    def _fetcher(self) -> Any:
        with self._lock:
            if self._built is None:
                from app.sources.registry import make_source_fetcher

                self._built = make_source_fetcher(
                    self._settings,
                    vault=self._vault(),
                    site_states=self._store,
                    data_dir=self._data_dir,
                    solve_challenge=self._solve_challenge(),
                )
            return self._built

    async def __call__(self, feed: Feed) -> ParsedFeed:
        return await self._fetcher()(feed)

    def interval_for(self, feed: Feed, wanted: timedelta, parsed: ParsedFeed | None = None) -> timedelta:
        """The site's request budget stretches a source feed's interval (app.sources.registry)."""
        return self._built.interval_for(feed, wanted, parsed) if self._built is not None else wanted


def vault_key(settings: Settings) -> tuple[str, ...]:
    """The settings a vault's host aliases are made from: a change means a new vault (a test server)."""
    from app.vault.store import BASE_SETTINGS

    return tuple(str(settings.get(key)) for key, _site in BASE_SETTINGS)
