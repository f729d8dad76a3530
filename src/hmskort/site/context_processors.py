from django.conf import settings
from django.utils import timezone

from . import selectors


def site(request):
    return {
        "issuer_name": settings.HMSKORT_ISSUER_NAME,
        "test_login_enabled": settings.HMSKORT_TEST_LOGIN,
        "maintenance": lambda: _maintenance_banner(request),
    }


def _maintenance_banner(request):
    """The banner on every page (evaluated only when a template asks): the window in progress,
    or the next one from HMSKORT_MAINTENANCE_NOTICE_DAYS before it starts."""
    now = timezone.now()
    window = selectors.announced_window(now, request)
    if window is None:
        return None
    return {
        "window": window,
        "in_progress": window.starts_at <= now,
        "period": selectors.window_period(window, now),
        "until": selectors.window_end(window, now),
        "message": window.message,
    }
