"""During a maintenance window: the portal, login and back office answer 503 with a maintenance
page in the request's language (Retry-After: seconds to the end of the window); the public card
check, the QR landing, the check API, the front page, the status page and the health probes keep
answering, read-only.

Anything not named here as open is closed during a window, so a page added later is safe by
default (it is closed) rather than writing during maintenance.
"""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import selectors

# URL namespaces and names that stay open (they only read).
OPEN_NAMESPACES = {"checks"}
OPEN_NAMES = {
    "home",
    "healthz",
    "readyz",
    "metrics",
    "set_language",
    "favicon",
    "status",
    "service_messages",
    "service_messages_feed",
}
# The API: the card checks (one card, batch), the schema and its documentation.
OPEN_API = re.compile(r"^/api/v1/(cards/[^/]+|ping|openapi\.json|docs)/?$")


def is_open_during_maintenance(request: HttpRequest) -> bool:
    if request.path.startswith("/api/"):
        return bool(OPEN_API.match(request.path))
    match = request.resolver_match
    if match is None:
        return False
    if match.url_name in OPEN_NAMES and not match.namespaces:
        return True
    return bool(match.namespaces) and match.namespaces[0] in OPEN_NAMESPACES


class MaintenanceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if is_open_during_maintenance(request):
            return None  # and no need to look for a window
        now = timezone.now()
        window = selectors.active_window(now, request)
        if window is None:
            return None
        return maintenance_response(request, window, now)


def maintenance_response(request: HttpRequest, window, now) -> HttpResponse:
    retry_after = selectors.seconds_left(window, now)
    until = selectors.window_end(window, now)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {
                "detail": _(
                    "Closed for scheduled maintenance until %(until)s (Norwegian time). "
                    "Card checks still answer."
                )
                % {"until": until},
                "code": "maintenance",
            },
            status=503,
        )
    else:
        response = TemplateResponse(
            request,
            "site/maintenance.html",
            {
                "window": window,
                "period": selectors.window_period(window, now),
                "until": until,
                "was_submission": request.method not in ("GET", "HEAD", "OPTIONS"),
            },
            status=503,
        )
        response.render()
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response
