"""The lean entry point of the hottest path: an anonymous `GET /api/v1/cards/{n}`.

Crew-list systems, gates and site inspectors check cards all day. Django's full stack (eleven
middleware, URL resolving, django-ninja's operation) costs several times the check itself, so
`hmskort.wsgi` hands this one request shape to `LeanCheck` before Django's handler:

- it answers exactly what `api.cards.get_card` answers (same JSON, same codes, same messages in
  the language of Accept-Language, the same per-address rate limits (minute and day) in the
  shared cache with Retry-After, the same security headers), read-only, through `cards.lookup`;
- with Redis, one round trip counts both limits and fetches the cached answer for the number
  (`cards.checkcache`: forgotten whenever a card's validity or state changes); PostgreSQL is
  read only on a miss;
- it counts, times and logs the request as `hmskort.metrics` does for Django's path (route
  `api:get_card`; no path, no IP), and reads from the read replica when one serves the check;
- it keeps the database connection as Django would (reused up to CONN_MAX_AGE, closed after
  an error), without Django's per-request health check round trip: a connection that went away
  is replaced and the read tried once more;
- anything else goes to Django untouched: other methods and paths, a request with an
  Authorization header (API keys are counted by Django's path), a host not in ALLOWED_HOSTS, a
  plain-HTTP request that must be redirected to HTTPS, a path that is not ASCII.

No session, CSRF, messages, authentication, OTP, htmx or lockout middleware has anything to do
for this request: it sets no cookie and reads none but the language's.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import setting_changed
from django.db import InterfaceError, OperationalError, connections
from django.dispatch import receiver
from django.http import HttpRequest
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hmskort import ratelimit
from hmskort.cards import lookup
from hmskort.cards.numbers import InvalidCardNumber
from hmskort.dbrouter import _check_request
from hmskort.site.headers import CONTENT_SECURITY_POLICY

log = logging.getLogger("django.request")

PATH = re.compile(r"^/api/v1/cards/([^/]+)$")
ROUTE = "api:get_card"  # the URL name of the view this path stands in for
STATUS = {
    200: "200 OK",
    404: "404 Not Found",
    422: "422 Unprocessable Content",
    429: "429 Too Many Requests",
    500: "500 Internal Server Error",
}

_ERROR_CONTENT_TYPE = "application/json; charset=utf-8"
_ENCODER = DjangoJSONEncoder()

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


@functools.cache
def _security_headers(secure: bool) -> tuple[tuple[str, str], ...]:
    """What SecurityMiddleware, XFrameOptionsMiddleware and the site's security headers add to
    a JSON answer of the API (worked out once; again when a test changes the settings)."""
    headers = []
    if secure and settings.SECURE_HSTS_SECONDS:
        value = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            value += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            value += "; preload"
        headers.append(("Strict-Transport-Security", value))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append(("X-Content-Type-Options", "nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        policy = settings.SECURE_REFERRER_POLICY
        if not isinstance(policy, str):
            policy = ",".join(policy)
        headers.append(("Referrer-Policy", policy))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
    headers.append(("X-Frame-Options", getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()))
    # What site.headers.SecurityHeadersMiddleware adds to every dynamic answer.
    headers.append(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
    headers.append(("Cache-Control", "no-store"))
    return tuple(headers)


@functools.lru_cache(maxsize=256)
def _allowed_host(host: str) -> bool:
    """Whether Django would accept this Host header (worked out once per header value)."""
    domain, _port = split_domain_port(host)
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)


@functools.lru_cache(maxsize=1024)
def _language(accept_language: str, language_cookie: str | None) -> str:
    """The answer's language, as Django picks it from the language cookie and Accept-Language
    (worked out once per pair: clients send the same headers again and again)."""
    request = HttpRequest()
    request.META["HTTP_ACCEPT_LANGUAGE"] = accept_language
    if language_cookie is not None:
        request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = language_cookie
    return translation.get_language_from_request(request) or "nb"


def _request_language(environ: dict) -> str:
    cookies = environ.get("HTTP_COOKIE")
    cookie = parse_cookie(cookies).get(settings.LANGUAGE_COOKIE_NAME) if cookies else None
    return _language(environ.get("HTTP_ACCEPT_LANGUAGE", ""), cookie)


@receiver(setting_changed)
def _forget_settings(**kwargs: object) -> None:
    for cached in (_security_headers, _allowed_host, _language):
        cached.cache_clear()


def _is_secure(environ: dict) -> bool:
    header = settings.SECURE_PROXY_SSL_HEADER
    if header:
        name, value = header
        forwarded = environ.get(name)
        if forwarded is not None:
            return forwarded.split(",", 1)[0].strip() == value
    return environ.get("wsgi.url_scheme") == "https"


def _host_allowed(environ: dict) -> bool:
    return _allowed_host(environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""))


def _retire_obsolete_connection(conn=None) -> None:
    """What Django does at each request's start and end for the connections this path uses
    (the primary, and the read replica when one serves the check): close one once it has
    outlived CONN_MAX_AGE or was left in a bad state. Unlike Django's request signals it does
    not re-arm the health check, so a request costs one round trip."""
    for each in [conn] if conn is not None else connections.all(initialized_only=True):
        if each.connection is None:
            continue
        if (
            each.errors_occurred
            or each.in_atomic_block
            or each.get_autocommit() != each.settings_dict["AUTOCOMMIT"]
            or (each.close_at is not None and time.monotonic() >= each.close_at)
        ):
            each.close()


def _close_all() -> None:
    for each in connections.all(initialized_only=True):
        each.close()


class LeanCheck:
    """WSGI middleware: answers the anonymous card check itself, passes the rest to Django."""

    def __init__(
        self,
        django_app: WSGIApp,
        *,
        record_request: Callable[[str, str, int, float], None] | None = None,
    ) -> None:
        self.django_app = django_app
        # Given by hmskort.wsgi (hmskort.metrics.record_request): the metrics module reads
        # every app's state, which the check path must not import.
        self.record_request = record_request

    def handles(self, environ: dict) -> re.Match | None:
        if environ.get("REQUEST_METHOD") != "GET" or "HTTP_AUTHORIZATION" in environ:
            return None
        path = environ.get("PATH_INFO", "")
        if not path.isascii() or environ.get("SCRIPT_NAME"):
            return None
        match = PATH.match(path)
        if match is None or not _host_allowed(environ):
            return None
        if settings.SECURE_SSL_REDIRECT and not _is_secure(environ):
            return None
        return match

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        match = self.handles(environ)
        if match is None:
            return self.django_app(environ, start_response)
        start = time.perf_counter()
        _retire_obsolete_connection()
        # As dbrouter.CheckReplicaMiddleware does for this view: reads may go to a replica.
        token = _check_request.set(ROUTE in settings.HMSKORT_REPLICA_VIEWS)
        try:
            try:
                status, body, extra = self.answer(environ, match.group(1))
            except (OperationalError, InterfaceError):
                # The kept connection went away (a database restart): one more try on a new
                # one. This replaces the per-request health check (a SELECT 1 round trip).
                _close_all()
                status, body, extra = self.answer(environ, match.group(1))
        except Exception:
            log.exception("card check failed")
            _close_all()
            status, body, extra = 500, {"detail": "Server error.", "code": "server_error"}, []
        finally:
            _check_request.reset(token)
        # As metrics.MetricsMiddleware does: count, time and log the request (no path, no IP).
        if self.record_request is not None:
            self.record_request(ROUTE, "GET", status, time.perf_counter() - start)
        content = _ENCODER.encode(body).encode()
        # As Django's path: JsonResponse for the card, django-ninja's renderer for errors.
        content_type = "application/json" if status in (200, 429) else _ERROR_CONTENT_TYPE
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(content))),
            *extra,
            *_security_headers(_is_secure(environ)),
        ]
        start_response(STATUS[status], headers)
        return [content]

    def answer(self, environ: dict, card_number: str) -> tuple[int, dict, list[tuple[str, str]]]:
        from .cards import card_out  # the one shape of the answer, shared with Django's path

        language = _request_language(environ)
        vary = [("Vary", "Accept-Language, Cookie"), ("Content-Language", language)]
        try:
            # One Redis round trip counts the limits and fetches the cached answer; the
            # database is read only on a miss (cards.checkcache).
            limit, check = lookup.check_card_number_limited(
                card_number, ratelimit.anonymous_windows(environ)
            )
        except InvalidCardNumber as exc:
            with translation.override(language):
                detail = str(exc.message)
            return 422, {"detail": detail, "code": exc.code, "errors": None}, vary
        if check is not None and limit.allowed:
            # The found card: the one answer that needs no translation switched on.
            return 200, card_out(check, timezone.now(), language), vary
        with translation.override(language):
            if not limit.allowed:
                detail = _("Too many requests. Try again in %(seconds)d seconds.") % {
                    "seconds": limit.retry_after
                }
                return (
                    429,
                    {"detail": detail, "code": "rate_limited"},
                    [*vary, ("Retry-After", str(limit.retry_after))],
                )
            return (
                404,
                {"detail": _("No card has this number."), "code": "not_found", "errors": None},
                vary,
            )
