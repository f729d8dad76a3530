"""Reads for the site: maintenance windows, news, operational messages, status."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import dateformat, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .models import MaintenanceWindow, NewsItem, ServiceMessage

NORWAY = ZoneInfo("Europe/Oslo")


def _windows(now: dt.datetime, request=None) -> list[MaintenanceWindow]:
    """Windows not cancelled and not over, earliest first.

    One small indexed query, once per request (remembered on the request) and once per job: no
    cache, so a window scheduled or cancelled from the command line counts at once in every
    process, and a page costs the same number of queries every time.
    """
    windows = getattr(request, "_maintenance_windows", None) if request is not None else None
    if windows is None:
        windows = list(
            MaintenanceWindow.objects.filter(cancelled_at__isnull=True, ends_at__gt=now).order_by(
                "starts_at"
            )[:20]
        )
        if request is not None:
            request._maintenance_windows = windows
    return [window for window in windows if window.ends_at > now]


def active_window(now: dt.datetime | None = None, request=None) -> MaintenanceWindow | None:
    """The window in progress, if any."""
    now = now or timezone.now()
    return next((w for w in _windows(now, request) if w.starts_at <= now), None)


def announced_window(now: dt.datetime | None = None, request=None) -> MaintenanceWindow | None:
    """The window the banner speaks of: the one in progress, or the next one within the notice
    time (HMSKORT_MAINTENANCE_NOTICE_DAYS)."""
    now = now or timezone.now()
    notice = dt.timedelta(days=settings.HMSKORT_MAINTENANCE_NOTICE_DAYS)
    return next((w for w in _windows(now, request) if w.starts_at <= now + notice), None)


def next_window(now: dt.datetime | None = None) -> MaintenanceWindow | None:
    now = now or timezone.now()
    return next(iter(_windows(now)), None)


def scheduled_windows(now: dt.datetime | None = None):
    """Windows not cancelled that have not ended (for `hmskort maintenance list` and staff)."""
    now = now or timezone.now()
    return MaintenanceWindow.objects.filter(cancelled_at__isnull=True, ends_at__gt=now).order_by(
        "starts_at", "id"
    )


def seconds_left(window: MaintenanceWindow, now: dt.datetime | None = None) -> int:
    """Whole seconds until the window ends (at least 1): the value of Retry-After."""
    now = now or timezone.now()
    return max(1, math.ceil((window.ends_at - now).total_seconds()))


# --- Dates and times in Norwegian time, in the active language ---------------------------------


def _lang() -> str:
    return "en" if (get_language() or "nb")[:2] == "en" else "nb"


def format_day(moment: dt.datetime, *, with_year: bool = False) -> str:
    """«lørdag 30. januar» / «Saturday 30 January» (with the year when asked)."""
    local = moment.astimezone(NORWAY)
    if _lang() == "en":
        return dateformat.format(local, "l j F Y" if with_year else "l j F")
    return dateformat.format(local, "l j. F Y" if with_year else "l j. F")


def format_time(moment: dt.datetime) -> str:
    """«18.00» / «18:00», Norwegian time."""
    return dateformat.format(moment.astimezone(NORWAY), "H:i" if _lang() == "en" else "H.i")


def window_period(window: MaintenanceWindow, now: dt.datetime | None = None) -> str:
    """«lørdag 30. januar kl. 18.00-22.00» / «Saturday 30 January 18:00-22:00» (with an en
    dash); a window over
    several days says from when to when; the year shows when it is not this year."""
    now = now or timezone.now()
    start, end = window.starts_at.astimezone(NORWAY), window.ends_at.astimezone(NORWAY)
    with_year = start.year != now.astimezone(NORWAY).year or end.year != start.year
    if start.date() == end.date() or (
        end - start <= dt.timedelta(days=1) and end.time() == dt.time(0)
    ):
        return _("%(day)s %(start)s–%(end)s") % {  # noqa: RUF001 (the en dash of a period)
            "day": format_day(start, with_year=with_year),
            "start": format_time(start),
            "end": format_time(end),
        }
    return _("from %(start_day)s %(start)s to %(end_day)s %(end)s") % {
        "start_day": format_day(start, with_year=with_year),
        "start": format_time(start),
        "end_day": format_day(end, with_year=with_year),
        "end": format_time(end),
    }


def window_end(window: MaintenanceWindow, now: dt.datetime | None = None) -> str:
    """When the window ends: «22.00» today, or «søndag 31. januar kl. 06.00»."""
    now = now or timezone.now()
    end = window.ends_at.astimezone(NORWAY)
    if end.date() == now.astimezone(NORWAY).date():
        return format_time(end)
    return _("%(day)s %(time)s") % {"day": format_day(end), "time": format_time(end)}


# --- News and operational messages ---------------------------------------------------------------


def published_news(today: dt.date | None = None, limit: int = 5):
    today = today or timezone.localdate()
    return NewsItem.objects.filter(is_published=True, published_on__lte=today).filter(
        Q(unpublish_on__isnull=True) | Q(unpublish_on__gt=today)
    )[:limit]


def published_service_messages(now: dt.datetime | None = None, limit: int = 20):
    now = now or timezone.now()
    return ServiceMessage.objects.filter(publish_at__lte=now).filter(
        Q(unpublish_at__isnull=True) | Q(unpublish_at__gt=now)
    )[:limit]


def all_news():
    """Every news item, drafts and ended ones too, newest publication date first (back office)."""
    return NewsItem.objects.order_by("-published_on", "-id")
