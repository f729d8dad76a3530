"""The public card check page and the QR landing. Read-only: they never write to the database."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails

from hmskort import ratelimit
from hmskort.cards import lookup as selectors
from hmskort.cards.numbers import InvalidCardNumber


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails  # set by django_htmx's middleware


def _too_many(request: HttpRequest, limit: ratelimit.Limit) -> HttpResponse:
    response = render(
        request, "checks/too_many.html", {"retry_after": limit.retry_after}, status=429
    )
    response["Retry-After"] = str(limit.retry_after)
    return response


@never_cache
@require_GET
def check_card(request: HtmxHttpRequest) -> HttpResponse:
    """Enter a card number, see whether the card is valid (GET form: works without JavaScript)."""
    raw = request.GET.get("number", "").strip()
    context: dict = {"number": raw[:40], "searched": bool(raw)}
    if raw:
        limit = ratelimit.hit_anonymous(request)
        if not limit.allowed:
            return _too_many(request, limit)
        try:
            context["check"] = selectors.check_card_number(raw)
        except InvalidCardNumber as exc:
            context["error"] = exc.message
    template = "checks/_result.html" if request.htmx else "checks/check.html"
    return render(request, template, context)


@never_cache
@require_GET
def qr_landing(request: HttpRequest, token: str) -> HttpResponse:
    """Where a card's QR code leads: the check result and the holder's photo to compare faces."""
    limit = ratelimit.hit_anonymous(request)
    if not limit.allowed:
        return _too_many(request, limit)
    check = selectors.check_qr_token(token)
    context = {
        "check": check,
        "qr": True,
        "photo_url": selectors.holder_photo_url(check) if check else None,
    }
    response = render(request, "checks/qr.html", context, status=200 if check else 404)
    # The token is a capability: keep it out of other sites' logs.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
