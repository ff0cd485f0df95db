"""What a feed's badge and tooltip say: its last error, a cooldown, and what the user can do about it."""

from __future__ import annotations

from datetime import UTC, datetime

from app.dates import format_long_date
from app.i18n import _, ngettext
from app.models import Feed, FeedKind, SiteState


def site_of(feed: Feed) -> str | None:
    """app.sources.registry.site_of, without loading every source (~110 modules) for ordinary feeds."""
    if feed.kind == FeedKind.FEED:
        return None
    from app.sources.registry import site_of as source_site

    return source_site(feed)


def advice_for(feed: Feed) -> str:
    """One sentence: what to do about the feed's last error."""
    status = feed.last_status
    error = (feed.last_error or "").lower()
    if status in (401, 403) or "blocked" in error or "captcha" in error or "cloudflare" in error:
        if site_of(feed):
            return _("Sign in again with Tools ▸ Sign in to site, then refresh.")
        return _("The site refuses Hearth: try a browser User-Agent or a cookie header in Edit feed.")
    if status == 404:
        return _("Check the address in Edit feed, or remove the feed.")
    if status == 410:
        return _("The publisher removed this feed; remove it or point it at a new address.")
    if status == 429:
        return _("The site asked Hearth to slow down; it will retry later on its own.")
    if status is not None and status >= 500:
        return _("The server had a problem; Hearth retries on the next refresh.")
    if "cookie" in error or "sign in" in error or "login" in error:
        return _("Sign in with Tools ▸ Sign in to site, then refresh.")
    if status is None:
        return _("Check your connection or the proxy in Settings; Hearth retries on the next refresh.")
    return _("The address may not serve a feed: fix it in Edit feed, or add the site to discover its feed.")


def error_tooltip(feed: Feed) -> str:
    lines = [feed.title or feed.url]
    if not feed.enabled:
        lines.append(_("Disabled: Hearth does not refresh it (Edit feed to enable)."))
    if feed.consecutive_errors and feed.last_error:
        when = _when(feed.last_fetch)
        lines.append(_("Last error{when}: {error}").format(when=when, error=feed.last_error))
        if feed.consecutive_errors > 1:
            n = feed.consecutive_errors
            lines.append(ngettext("Failed {n} time in a row.", "Failed {n} times in a row.", n).format(n=n))
        lines.append(advice_for(feed))
    return "\n".join(lines)


def cooldown_tooltip(feed: Feed, state: SiteState) -> str:
    until = state.cooldown_until.astimezone().strftime("%H:%M") if state.cooldown_until else _("later")
    paused = _("{site} asked Hearth to slow down; paused until {until}.").format(site=state.site, until=until)
    lines = [feed.title or feed.url, paused]
    if state.last_error:
        lines.append(_("Last error: {error}").format(error=state.last_error))
    lines.append(
        _("Nothing to do: Hearth resumes on its own. Signing in again can help if it keeps happening.")
    )
    return "\n".join(lines)


def in_cooldown(state: SiteState | None, now: datetime | None = None) -> bool:
    if state is None or state.cooldown_until is None:
        return False
    return state.cooldown_until > (now or datetime.now(UTC))


def _when(moment: datetime | None) -> str:
    return f" ({format_long_date(moment)})" if moment else ""
