"""The public card check page and the QR landing. Read-only: they never write to the database."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
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
        "photo_url": _photo_url(check) if check else None,
    }
    response = render(request, "checks/qr.html", context, status=200 if check else 404)
    # The token is a capability: keep it out of other sites' logs.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# The holder's photo on the QR landing. The QR code's token is a secret printed only on the card,
# so whoever opens the landing holds the card, which shows the same face; the check by number
# (a number anyone may type) never shows it. Only a valid card's photo, only one the issuer
# approved against a photo ID, and only through a signed link that expires after
# HMSKORT_PRIVATE_URL_SECONDS (DESIGN.md: private media only through short-lived signed URLs).
_PHOTO_SALT = "hmskort.checks.qr-photo"


def _photo_url(check: selectors.CardCheck) -> str | None:
    if not check.valid:
        return None
    photo = selectors.verified_photo(check.card_id)
    if photo is None:
        return None
    token = signing.dumps({"c": check.card_id, "p": photo.photo_id}, salt=_PHOTO_SALT)
    return reverse("checks:qr_photo", kwargs={"token": token})


@never_cache
@require_GET
def qr_photo(request: HttpRequest, token: str) -> FileResponse:
    """The photo of a valid card's holder, for the QR landing's signed link (404 once the link
    has expired, the card is no longer valid or the photo has been replaced)."""
    try:
        payload = signing.loads(
            token, salt=_PHOTO_SALT, max_age=settings.HMSKORT_PRIVATE_URL_SECONDS
        )
        card_id, photo_id = int(payload["c"]), int(payload["p"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise Http404 from None
    photo = selectors.verified_photo(card_id)
    if photo is None or photo.photo_id != photo_id:
        raise Http404
    try:
        handle = storages["private"].open(photo.file_name, "rb")
    except OSError:
        raise Http404 from None
    content_type = "image/png" if photo.file_name.endswith(".png") else "image/jpeg"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
