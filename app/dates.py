"""Dates and relative times as the article list, the reader and the CLI show them, in the active language.

Month and weekday names come from Hearth's catalogue, not the C library's LC_TIME, so the English
interface on a German system says "3 May" and the Chinese one says "5月3日" on any system.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.i18n import _, lazy_gettext, ngettext

# spelled out call by call, so the extraction check (tests/test_i18n.py) sees every name
MONTHS = (
    lazy_gettext("January"),
    lazy_gettext("February"),
    lazy_gettext("March"),
    lazy_gettext("April"),
    lazy_gettext("May"),
    lazy_gettext("June"),
    lazy_gettext("July"),
    lazy_gettext("August"),
    lazy_gettext("September"),
    lazy_gettext("October"),
    lazy_gettext("November"),
    lazy_gettext("December"),
)
MONTHS_SHORT = (
    lazy_gettext("Jan"),
    lazy_gettext("Feb"),
    lazy_gettext("Mar"),
    lazy_gettext("Apr"),
    lazy_gettext("May"),
    lazy_gettext("Jun"),
    lazy_gettext("Jul"),
    lazy_gettext("Aug"),
    lazy_gettext("Sep"),
    lazy_gettext("Oct"),
    lazy_gettext("Nov"),
    lazy_gettext("Dec"),
)
WEEKDAYS = (
    lazy_gettext("Monday"),
    lazy_gettext("Tuesday"),
    lazy_gettext("Wednesday"),
    lazy_gettext("Thursday"),
    lazy_gettext("Friday"),
    lazy_gettext("Saturday"),
    lazy_gettext("Sunday"),
)


# what a translated date pattern may use, e.g. "{year}年{month}月{day}日" for "{day} {month_abbr} {year}"
DATE_FIELDS = ("day", "day2", "month", "month_name", "month_abbr", "year", "weekday", "time")


def _fields(local: datetime) -> dict[str, object]:
    return {
        "day": local.day,
        "day2": f"{local.day:02d}",
        "month": local.month,
        "month_name": str(MONTHS[local.month - 1]),
        "month_abbr": str(MONTHS_SHORT[local.month - 1]),
        "year": local.year,
        "weekday": str(WEEKDAYS[local.weekday()]),
        "time": local.strftime("%H:%M"),
    }


def format_list_date(moment: datetime | None, now: datetime | None = None) -> str:
    """The article list's Date column. Today: "14:05"; this year: "3 May"; older: "3 May 2021"."""
    if moment is None:
        return ""
    local = moment.astimezone()
    today = (now or datetime.now(UTC)).astimezone()
    if local.date() == today.date():
        return local.strftime("%H:%M")
    if local.year == today.year:
        # TRANSLATORS: a date this year in the article list; {month} is its number, {month_abbr} its short name
        return _("{day} {month_abbr}").format(**_fields(local))
    # TRANSLATORS: a date in an earlier year in the article list
    return _("{day} {month_abbr} {year}").format(**_fields(local))


def format_long_date(moment: datetime) -> str:
    """The reader's and the list tooltip's full date: "Monday 03 May 2026, 14:05"."""
    # TRANSLATORS: {day2} is the day with two digits, {day} without
    return _("{weekday} {day2} {month_name} {year}, {time}").format(**_fields(moment.astimezone()))


def format_date_tooltip(moment: datetime, now: datetime | None = None) -> str:
    """The full date, and how long ago when that is under a week: "Monday 03 May 2026, 14:05 (2 days ago)"."""
    now = now or datetime.now(UTC)
    if now - moment >= timedelta(days=7):
        return format_long_date(moment)
    # TRANSLATORS: a full date, then how long ago it was
    return _("{date} ({age})").format(date=format_long_date(moment), age=format_relative(moment, now))


def format_relative(moment: datetime, now: datetime | None = None) -> str:
    """How long ago: "just now", "5 minutes ago", "3 hours ago", "yesterday", "4 days ago", then the date."""
    now = now or datetime.now(UTC)
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return _("just now")
    if seconds < 3600:
        minutes = int(seconds // 60)
        return ngettext("{n} minute ago", "{n} minutes ago", minutes).format(n=minutes)
    if seconds < 86400:
        hours = int(seconds // 3600)
        return ngettext("{n} hour ago", "{n} hours ago", hours).format(n=hours)
    days = (now.astimezone().date() - moment.astimezone().date()).days
    if days <= 1:
        return _("yesterday")
    if days < 7:
        return ngettext("{n} day ago", "{n} days ago", days).format(n=days)
    return format_list_date(moment, now)
