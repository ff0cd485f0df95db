"""`Library`: one user's Hearth, opened once from a data folder. It owns the store, the settings, the
cookie vault, the site sources, the refresher and the assistant; the CLI, the feed server and the window
call it instead of assembling them. Qt-free; the vault's keyring, the sources and torch load on first use.

    with Library.open(data_dir) as library:
        feed = library.subscribe("https://example.org/feed.xml", folder="News")
        report = library.refresh([feed.id])
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from app.config import Paths, Settings, resolve_paths
from app.errors import StorageError
from app.library.outlines import OpmlExport, OpmlImport, count_feeds, count_folders
from app.library.wiring import ChallengeSolver, LazySourceFetcher, VaultCookies, vault_key
from app.models import Feed, FeedLink

if TYPE_CHECKING:
    from app.ai.assistant import Assistant
    from app.feeds.opml import OPMLReport
    from app.fetching import FetchOptions, Refresher, RefreshReport
    from app.fetching.refresher import ProgressCallback
    from app.sources.base import Source
    from app.storage import Store
    from app.vault import CookieVault

log = logging.getLogger(__name__)


class _Keyring:
    def __repr__(self) -> str:
        return "KEYRING"


KEYRING: Final = _Keyring()  # the default vault: the OS keyring's, opened when a request first needs it


@dataclass(frozen=True)
class SourceMatch:
    """A pasted address that is a site Hearth turns into a feed (Zhihu, an RSSHub path, exec:COMMAND)."""

    source: Source
    params: dict[str, str]

    @property
    def feed_url(self) -> str:
        from app.sources.registry import source_feed_url

        return source_feed_url(self.source, self.params)

    @property
    def title(self) -> str:
        from app.sources.registry import source_title

        return source_title(self.source, self.params)


class Library:
    """Hearth's data and the services over it. `store` is this thread's connection; other threads
    (a refresh worker, the feed server's requests) take their own from `open_store()`.

    `vault`: KEYRING (default) for the OS keyring's vault, a vault of your own, or None for no cookies
    at all. `solve_challenge` (settable later) is the window's hidden-browser solver; None headless.
    """

    def __init__(
        self,
        paths: Paths,
        settings: Settings | None = None,
        *,
        vault: CookieVault | _Keyring | None = KEYRING,
        solve_challenge: ChallengeSolver | None = None,
    ) -> None:
        self.paths = paths
        if settings is not None:
            self.__dict__["settings"] = settings
        self.solve_challenge = solve_challenge
        self._vault_choice = vault
        self._vault: tuple[tuple[str, ...], CookieVault] | None = None
        self._lock = threading.Lock()
        self._assistant: Assistant | None = None

    @classmethod
    def open(cls, data_dir: str | Path | None = None, **kw: Any) -> Library:
        """The library in `data_dir` (default: $HEARTH_DATA_DIR, else the platform's folders)."""
        return cls(resolve_paths(None if data_dir is None else str(data_dir)), **kw)

    # what it owns ---------------------------------------------------------------------------------
    @cached_property
    def settings(self) -> Settings:
        return Settings.load(self.paths.settings_path)

    @cached_property
    def store(self) -> Store:
        """The store on the thread that first asks (the CLI's, the window's); what an old settings file kept
        of the app's state moves into it the first time (app.storage.app_state)."""
        store = self.open_store()
        store.adopt_settings_state(self.settings)
        return store

    def open_store(self) -> Store:
        """A new connection for the calling thread (the caller closes it); creates the data folder."""
        from app.storage import open_store

        try:
            self.paths.ensure()
        except OSError as exc:  # a read-only or full disk: say so instead of a traceback
            raise StorageError(
                f"cannot use Hearth's data folder {self.paths.data_dir}: {exc.strerror or exc}",
                hint="make it writable (and free some space), or choose another with --data-dir / HEARTH_DATA_DIR",
            ) from None
        return open_store(self.paths.db_path)

    @property
    def vault(self) -> CookieVault | None:
        """The cookie vault (no keyring call yet); rebuilt when a site's configured base address changes."""
        if not isinstance(self._vault_choice, _Keyring):
            return self._vault_choice
        from app.vault import CookieVault

        key = vault_key(self.settings)
        with self._lock:
            if self._vault is None or self._vault[0] != key:
                self._vault = (key, CookieVault.from_settings(self.settings))
            return self._vault[1]

    def cookie_lookup(self) -> VaultCookies | None:
        """`cookie_header_for(url)` for one refresh or discovery; None when this library has no vault."""
        if self._vault_choice is None:
            return None
        return VaultCookies(lambda: self._require_vault())

    def _require_vault(self) -> CookieVault:
        vault = self.vault
        assert vault is not None  # cookie_lookup() returns None for a library without one
        return vault

    def assistant(self, store: Store | None = None) -> Assistant:
        """The local AI over this library's store (the model itself loads on the first request); with
        `store`, a new assistant over that connection, for a worker thread of its own."""
        from app.ai.assistant import Assistant

        if store is not None:
            return Assistant(self.settings, self.paths, store)
        if self._assistant is None:
            self._assistant = Assistant(self.settings, self.paths, self.store)
        return self._assistant

    # refreshing -----------------------------------------------------------------------------------
    def source_fetcher(self, store: Store | None = None) -> LazySourceFetcher:
        """`fetch_source` for a refresher whose feeds are read and gated through `store`."""
        return LazySourceFetcher(
            self.settings,
            vault=lambda: self.vault,
            store=store if store is not None else self.store,
            data_dir=self.paths.data_dir,
            solve_challenge=lambda: self.solve_challenge,
        )

    def refresher(self, store: Store | None = None, *, options: FetchOptions | None = None) -> Refresher:
        """A Refresher wired to the vault and the sources; used on the thread that owns `store`."""
        from app.fetching import Refresher

        store = store if store is not None else self.store
        return Refresher(
            store,
            self.settings,
            options=options,
            cookie_header_for=self.cookie_lookup(),
            fetch_source=self.source_fetcher(store),
        )

    def refresh(
        self,
        feed_ids: Iterable[int] | None = None,
        *,
        all: bool = False,
        store: Store | None = None,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> RefreshReport:
        """Fetch these feeds (even disabled ones), else every enabled feed (`all`), else the due ones;
        each feed's result is committed as it arrives, retention applied after."""
        with self.refresher(store) as refresher:
            return refresher.refresh(all=all, feed_ids=feed_ids, progress=progress, cancel=cancel)

    # subscribing ----------------------------------------------------------------------------------
    def match_source(self, url: str) -> SourceMatch | None:
        """The site source a pasted address belongs to; None for an ordinary web or feed address."""
        from app.sources.registry import match_url

        found = match_url(url.strip())
        return SourceMatch(found[0], dict(found[1])) if found is not None else None

    def find_feeds(self, url: str) -> list[FeedLink]:
        """The feeds at `url`: itself when it is one, else those its page links to (cookies from the vault)."""
        from app.fetching import FetchOptions, discover
        from app.fetching.cookies import CookieMemo

        lookup = self.cookie_lookup()
        return discover(
            url,
            options=FetchOptions.from_settings(self.settings),
            cookie_header_for=CookieMemo(lookup) if lookup is not None else None,
        )

    def subscribe(
        self, url: str, *, title: str = "", folder: str | None = None, full_text: str | None = None
    ) -> Feed:
        """Add the feed at `url` (a feed address, as `find_feeds` gives), in `folder` (made if missing)."""
        store = self.store
        folder_id = self.folder_named(folder) if folder else None
        feed = store.add_feed(url, title=title.strip(), folder_id=folder_id)
        if full_text:
            store.set_full_text(feed.id, full_text)
        return feed

    def subscribe_source(self, match: SourceMatch, *, title: str = "", folder: str | None = None) -> Feed:
        """Add a source feed (no discovery); an empty title lets the first fetch name it."""
        folder_id = self.folder_named(folder) if folder else None
        return self.store.add_feed(
            match.feed_url,
            title=title.strip(),
            kind=match.source.id,
            params=match.params,
            folder_id=folder_id,
        )

    def folder_named(self, name: str) -> int:
        """The id of the folder called `name` (any case), made at the top level if there is none."""
        wanted = name.strip().casefold()
        for folder in self.store.list_folders():
            if folder.name.casefold() == wanted:
                return folder.id
        return self.store.add_folder(name.strip()).id

    def import_opml(self, report: OPMLReport, *, allow_scripts: bool = False) -> OpmlImport:
        """Subscribe to a read OPML file's feeds, folders kept, in one transaction. Outlines that run a
        command are left out unless `allow_scripts` (the caller shows them first: `split_commands`)."""
        from app.feeds.opml import split_commands

        kept, commands = split_commands(report.outlines)
        outlines = report.outlines if allow_scripts else kept
        added, merged, _folders_added = self.store.import_outlines(outlines, allow_commands=allow_scripts)
        skipped = len(report.skipped) + (0 if allow_scripts else len(commands))
        return OpmlImport(added, report.duplicates + merged, count_folders(outlines), skipped)

    def export_opml(self) -> OpmlExport:
        """Every subscription as OPML 2.0, folders kept."""
        from app.feeds.opml import write_opml

        outlines = self.store.export_outlines()
        return OpmlExport(write_opml(outlines), count_feeds(outlines), count_folders(outlines))

    def budget_notes(self, site: str) -> list[str]:
        """How often a cookie site's feeds can really refresh under its request budget (issue 15)."""
        from app.sources.registry import budget_notes

        return budget_notes(self.store.list_feeds(), self.settings, site=site)

    # closing --------------------------------------------------------------------------------------
    def close(self) -> None:
        """Close this thread's store (if it was opened); the library can be opened again afterwards."""
        store = self.__dict__.pop("store", None)
        self._assistant = None
        if store is not None:
            store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Library({str(self.paths.data_dir)!r})"


def outcomes_by_feed(report: RefreshReport) -> Mapping[int, str | None]:
    """{feed_id: None when it refreshed, else its error}: what the feed server needs of a report."""
    return {o.feed_id: (None if o.ok else o.error or "the fetch failed") for o in report.outcomes}
