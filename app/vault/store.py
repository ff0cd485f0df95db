"""`CookieVault`: each site's cookies (and the user agent they were earned with) in the OS keyring.

One keyring entry per site (service "hearth", username = site, value = JSON) plus an index entry
listing the sites. Values never reach SQLite, logs, exports or exception messages.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from app.config import Key, Settings
from app.errors import VaultError
from app.i18n import _, lazy_gettext
from app.urls import host_of, netloc_of
from app.vault.backend import CHOICES, BackendInfo, inspect_backend, require_safe_for_writing
from app.vault.cookies import SiteCookies, host_matches_site, normalize_site

log = logging.getLogger(__name__)

SERVICE = "hearth"
INDEX_USER = ".sites"  # not a domain, so it can never collide with a site
# settings naming a site's base URL: when one points elsewhere (a test server), that host gets the site's cookie
BASE_SETTINGS = (
    (Key.ZHIHU_WWW_BASE, "zhihu.com"),
    (Key.ZHIHU_API_BASE, "zhihu.com"),
    (Key.BILIBILI_API_BASE, "bilibili.com"),
    (Key.WEIBO_M_BASE, "weibo.com"),
)
# One keyring operation at a time in this process, and merge's read-modify-write as a whole: refresh
# threads read a site's cookies while another thread saves a solved challenge's cookie, and a Secret
# Service replaces an item by deleting and re-creating it, so an overlapping read found an item that
# was gone (ItemNotFoundException) or no default collection (keyring's InitError) - the flaky
# test_end_to_end_refresh_of_a_zhihu_feed - and two overlapping merges could drop each other's cookies.
_KEYRING_LOCK = threading.RLock()

KEYRING_HINT = lazy_gettext(
    "no OS keyring: install/unlock gnome-keyring or KWallet (or run Hearth inside a desktop session); {choices}"
)


def _backend_errors() -> tuple[type[BaseException], ...]:
    """Exceptions a keyring backend raises when the service is missing, locked or refuses."""
    from keyring.errors import KeyringError

    errors: list[type[BaseException]] = [KeyringError, OSError, RuntimeError]
    try:
        from secretstorage.exceptions import SecretStorageException

        errors.append(SecretStorageException)
    except ImportError:
        pass
    try:
        from jeepney.wrappers import DBusErrorResponse

        errors.append(DBusErrorResponse)
    except ImportError:
        pass
    return tuple(errors)


class CookieVault:
    """Per-site cookies in the OS keyring.

    `host_aliases` maps an exact host[:port] (a test server, a mirror configured as a site's base URL)
    to a site, so that host receives the site's cookies too. Nothing else crosses sites.
    """

    def __init__(self, backend: Any = None, *, host_aliases: Mapping[str, str] | None = None) -> None:
        self._backend = backend
        self._aliases = {k.lower(): normalize_site(v) for k, v in (host_aliases or {}).items()}

    @classmethod
    def from_settings(cls, settings: Settings, backend: Any = None) -> CookieVault:
        """A vault whose aliases send each site's cookies to its configured bases when they are elsewhere."""
        aliases: dict[str, str] = {}
        for key, site in BASE_SETTINGS:
            base = settings.get(key)
            if base and not host_matches_site(host_of(base), site):
                aliases[netloc_of(base)] = site
        return cls(backend, host_aliases=aliases)

    # -- reading -------------------------------------------------------------------------------

    def get(self, site: str) -> SiteCookies | None:
        site = normalize_site(site)
        raw = self._call("read", lambda kr: kr.get_password(SERVICE, site))
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            cookies = {str(k): str(v) for k, v in data["cookies"].items()}
            expires = {
                str(k): (None if v is None else float(v)) for k, v in (data.get("expires") or {}).items()
            }
        except (ValueError, KeyError, TypeError, AttributeError):
            # never include the stored text: it is a secret
            raise VaultError(
                f"the keyring entry for {site} is damaged",
                hint=_("run `hearth cookies clear {site}` and set it again").format(site=site),
            ) from None
        return SiteCookies(site, cookies, data.get("user_agent") or None, expires, data.get("saved_at"))

    def sites(self) -> list[str]:
        raw = self._call("read", lambda kr: kr.get_password(SERVICE, INDEX_USER))
        try:
            names = json.loads(raw) if raw else []
        except ValueError:
            names = []
        return sorted({str(n) for n in names if isinstance(n, str)})

    def site_for_url(self, url: str) -> str | None:
        """The stored site whose cookies may go to `url` (exact alias first, then domain match)."""
        alias = self._aliases.get(netloc_of(url))
        host = host_of(url)
        if not host:
            return None
        candidates = self.sites()
        if alias and alias in candidates:
            return alias
        matches = [s for s in candidates if host_matches_site(host, s)]
        return max(matches, key=len) if matches else None

    def cookies_for(self, url: str) -> SiteCookies | None:
        site = self.site_for_url(url)
        return self.get(site) if site else None

    def cookie_header_for(self, url: str) -> str | None:
        """The Cookie header for a request to `url`: only the cookies of the site that host belongs to."""
        found = self.cookies_for(url)
        return found.header() if found and found.cookies else None

    def backend_info(self) -> BackendInfo:
        """Where cookies go: an OS keyring, a plain-text file (and whether the user chose it), or nowhere."""
        import keyring

        return inspect_backend(self._backend or keyring.get_keyring())

    # -- writing -------------------------------------------------------------------------------

    def set(
        self,
        site: str,
        cookies: Mapping[str, str],
        user_agent: str | None = None,
        *,
        expires: Mapping[str, float | None] | None = None,
    ) -> SiteCookies:
        """Replace the site's cookies (and user agent) with these."""
        site = normalize_site(site)
        value = SiteCookies(site, dict(cookies), user_agent or None, dict(expires or {}), time.time())
        self._write(value)
        log.info("stored %d cookies for %s (%s)", len(value.cookies), site, ", ".join(sorted(value.cookies)))
        return value

    def merge(
        self,
        site: str,
        cookies: Mapping[str, str],
        user_agent: str | None = None,
        *,
        expires: Mapping[str, float | None] | None = None,
    ) -> SiteCookies:
        """Add or replace some cookies (e.g. a fresh __zse_ck), keeping the rest and the user agent."""
        with _KEYRING_LOCK:
            return self._merge(normalize_site(site), cookies, user_agent, expires)

    def _merge(
        self,
        site: str,
        cookies: Mapping[str, str],
        user_agent: str | None,
        expires: Mapping[str, float | None] | None,
    ) -> SiteCookies:
        old = self.get(site)
        merged = dict(old.cookies) if old else {}
        merged.update(cookies)
        when = dict(old.expires) if old else {}
        when.update(expires or {})
        for name in cookies:
            if expires is None or name not in expires:
                when.pop(name, None)
        agent = user_agent or (old.user_agent if old else None)
        return self.set(site, merged, agent, expires=when)

    def clear(self, site: str) -> bool:
        """Forget the site's cookies; False when there were none."""
        with _KEYRING_LOCK:
            return self._clear(normalize_site(site))

    def _clear(self, site: str) -> bool:
        existed = self._call("read", lambda kr: kr.get_password(SERVICE, site)) is not None
        if existed:
            from keyring.errors import PasswordDeleteError

            def delete(kr: Any) -> None:
                with contextlib.suppress(PasswordDeleteError):
                    kr.delete_password(SERVICE, site)

            self._call("delete", delete)
        self._write_index([s for s in self.sites() if s != site])
        log.info("cleared cookies for %s", site)
        return existed

    def _write(self, value: SiteCookies) -> None:
        with _KEYRING_LOCK:  # the entry and the index together
            self._write_entry(value)

    def _write_entry(self, value: SiteCookies) -> None:
        import keyring

        info = require_safe_for_writing(self._backend or keyring.get_keyring())
        if info.kind == "plaintext":
            log.warning("keeping the cookies for %s in %s", value.site, info.describe())
        payload = json.dumps(
            {
                "cookies": value.cookies,
                "user_agent": value.user_agent,
                "expires": value.expires,
                "saved_at": value.saved_at,
            },
            ensure_ascii=False,
        )
        self._call("write", lambda kr: kr.set_password(SERVICE, value.site, payload))
        sites = self.sites()
        if value.site not in sites:
            self._write_index([*sites, value.site])

    def _write_index(self, sites: list[str]) -> None:
        text = json.dumps(sorted(set(sites)))
        self._call("write", lambda kr: kr.set_password(SERVICE, INDEX_USER, text))

    def _call(self, what: str, op: Any) -> Any:
        import keyring

        from app.vault import secret_service

        chosen = self._backend or keyring.get_keyring()
        backend = secret_service.sharing_connection(chosen)
        try:
            with _KEYRING_LOCK:
                try:
                    return op(backend)
                except (OSError, EOFError):  # the shared D-Bus connection broke (the daemon restarted)
                    if backend is chosen:
                        raise
                    secret_service.reset()
                    return op(backend)
        except _backend_errors() as exc:
            # the backend's own message names the service, never the secret; keep only its type
            log.info("keyring %s failed: %s", what, type(exc).__name__)  # the VaultError tells the caller
            # keyring's and secretstorage's messages name the collection or D-Bus error, never a value
            log.debug("keyring %s failed: %r (cause %r)", what, exc, exc.__cause__ or exc.__context__)
            raise VaultError(
                f"could not {what} the OS keyring ({type(exc).__name__})",
                hint=str(KEYRING_HINT).format(choices=CHOICES),
            ) from None
