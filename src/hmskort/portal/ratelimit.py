"""Rate limits of the portal's public pages (the employee's upload link), with the shared limiter."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from hmskort.ratelimit import Limit, client_ip, hit


def hit_upload(request: HttpRequest) -> Limit:
    return hit(
        "upload",
        client_ip(request),
        limit=settings.HMSKORT_UPLOAD_RATE_PER_MINUTE,
        window=60,
    )
