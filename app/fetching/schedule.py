"""When to fetch a feed next: its interval, the server's max-age and Retry-After, backoff on errors;
and what an unsuccessful HTTP status means for the user.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx

from app.errors import BlockedError, FeedGoneError, HTTPStatusError
from app.fetching.options import DAY
from app.i18n import _

MAX_RETRY_AFTER = 7 * DAY  # a server cannot park a feed for longer than a week
_MAX_AGE = re.compile(r"(?:^|[,\s])(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - now).total_seconds()), MAX_RETRY_AFTER)


def max_age_seconds(cache_control: str | None) -> float | None:
    """`Cache-Control: max-age=N` (no-store / no-cache mean 0)."""
    if not cache_control:
        return None
    match = _MAX_AGE.search(cache_control)
    if match:
        return float(match.group(1))
    return None


def next_after_success(now: datetime, interval: float, max_age: float | None) -> datetime:
    """The feed's interval, but never sooner than max-age says (max-age counts up to a day)."""
    delay = interval
    if max_age is not None:
        delay = max(delay, min(max_age, DAY))
    return now + timedelta(seconds=delay)


def next_after_error(
    now: datetime, interval: float, errors: int, retry_after: float | None = None
) -> datetime:
    """Exponential backoff: interval * 2^errors, capped at a day; Retry-After is a lower bound."""
    delay = min(interval * (2 ** min(errors, 20)), DAY)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return now + timedelta(seconds=delay)


def status_error(status: int, url: str, headers: httpx.Headers, now: datetime) -> HTTPStatusError:
    """The typed error (with a message a user understands) for a status that is not 200 or 304."""
    reason = _reason_phrase(status)
    if status == 410:
        return FeedGoneError(
            "the feed is gone (410); it has been disabled",
            url=url,
            status=status,
            hint=_("remove it or find its new address"),
        )
    if status in (429, 503):
        wait = retry_after_seconds(headers.get("retry-after"), now)
        until = now + timedelta(seconds=wait) if wait is not None else None
        later = _("after {time} UTC").format(time=f"{until:%Y-%m-%d %H:%M}") if until else _("later")
        what = "asks Hearth to slow down" if status == 429 else "is unavailable"
        return BlockedError(
            f"the server {what} ({status} {reason})",
            url=url,
            status=status,
            until=until,
            hint=_("Hearth will try again {later}").format(later=later),
        )
    if status == 403:
        return BlockedError(
            f"the server refused the request ({status} {reason})",
            url=url,
            status=status,
            hint=_("the site may block feed readers: try a per-feed User-Agent, or add the site's cookie"),
        )
    if status in (401, 407):
        return HTTPStatusError(
            f"the feed needs a login ({status} {reason})",
            url=url,
            status=status,
            hint=_("add the site's cookie with `hearth cookies`, or check the address"),
        )
    if status == 404:
        return HTTPStatusError(
            f"the server has no feed at this address ({status} {reason})",
            url=url,
            status=status,
            hint=_("the feed may have moved: `hearth add SITE` finds its new address"),
        )
    if status >= 500:
        return HTTPStatusError(
            f"the server had an error ({status} {reason})",
            url=url,
            status=status,
            hint=_("Hearth will try again later"),
        )
    return HTTPStatusError(
        f"the server answered {status} {reason}".rstrip(),
        url=url,
        status=status,
        hint=_("check the feed's address"),
    )


def _reason_phrase(status: int) -> str:
    try:
        return httpx.codes.get_reason_phrase(status)
    except ValueError:
        return ""


_GOLDEN = 0.6180339887498949  # low-discrepancy phases: consecutive feed ids land far apart


def spread_next_fetch(feed_id: int, after: datetime, interval: timedelta) -> datetime:
    """The next fetch time for a site feed, on its own phase of the interval.

    Each feed gets a fixed phase (feed_id times the golden ratio, mod 1) so N feeds of one site
    fall evenly across the interval and stay spread, instead of all coming due together. The result
    is the first slot at least half an interval after `after`, so it is never sooner than that.
    """
    seconds = max(interval.total_seconds(), 1.0)
    phase = ((feed_id * _GOLDEN) % 1.0) * seconds
    earliest = after.timestamp() + seconds / 2
    k = -(-(earliest - phase) // seconds)  # ceil
    return datetime.fromtimestamp(k * seconds + phase, UTC)
