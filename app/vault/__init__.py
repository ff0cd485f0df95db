"""The cookie vault: per-site cookies kept in the OS keyring, and the rules for which host gets which cookie."""

from app.vault.cookies import (
    SITE_RULES,
    SiteCookies,
    SiteRules,
    host_matches_site,
    normalize_site,
    parse_cookie_header,
    validate_cookies,
)
from app.vault.store import KEYRING_HINT, SERVICE, CookieVault

__all__ = [
    "KEYRING_HINT",
    "SERVICE",
    "SITE_RULES",
    "CookieVault",
    "SiteCookies",
    "SiteRules",
    "host_matches_site",
    "normalize_site",
    "parse_cookie_header",
    "validate_cookies",
]
