"""Every 4xx answer under /api/ has the API's JSON error shape ({"detail", "code"}), also those
that Django gives before or instead of a view: an unknown path (404), a wrong method (405), a
body over the size limit (413). An integrator's client parses one shape, never an HTML page."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

API_PREFIX = "/api/"
# Headers of the original answer that still apply to the JSON one.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def _codes() -> dict[int, tuple[str, str]]:
    return {
        400: ("bad_request", _("The request is not valid.")),
        401: ("invalid_key", _("The API key is unknown or revoked.")),
        403: ("forbidden", _("This API key may not do this.")),
        404: ("not_found", _("There is nothing at this address.")),
        405: ("method_not_allowed", _("This method is not allowed here.")),
        406: ("not_acceptable", _("The API answers in JSON only.")),
        413: ("too_large", _("The request body is too large.")),
        415: ("unsupported_media_type", _("Send the request body as JSON.")),
        429: ("rate_limited", _("Too many requests.")),
    }


def json_error(request: HttpRequest, status: int) -> JsonResponse:
    from .cards import request_language

    with translation.override(request_language(request)):
        code, detail = _codes().get(status, ("client_error", _("The request is not valid.")))
    return JsonResponse({"detail": detail, "code": code}, status=status)


def _body_too_large(request: HttpRequest) -> bool:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return limit is not None and length > limit


def _has_error_shape(response: HttpResponse) -> bool:
    if not response.get("Content-Type", "").startswith("application/json"):
        return False
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(body, dict) and isinstance(body.get("detail"), str) and "code" in body


class JsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if _body_too_large(request):
            # Refused before anything reads the body.
            return json_error(request, 413)
        response = self.get_response(request)
        if (
            400 <= response.status_code < 500
            and not getattr(response, "streaming", False)
            and not _has_error_shape(response)
        ):
            replacement = json_error(request, response.status_code)
            for name in _KEPT_HEADERS:
                if name in response:
                    replacement[name] = response[name]
            return replacement
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith(API_PREFIX) and isinstance(exception, RequestDataTooBig):
            return json_error(request, 413)
        return None
