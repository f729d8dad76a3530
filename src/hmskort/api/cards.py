"""Card check endpoints: GET one card (anyone, rate-limited per IP)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Router, Status

from hmskort.cards.numbers import InvalidCardNumber
from hmskort.checks import ratelimit, selectors
from hmskort.checks.selectors import CardCheck
from hmskort.checks.views import malformed_message

from .schemas import CardOut, Error

router = Router(tags=["cards"])


def request_language(request: HttpRequest) -> str:
    """The API speaks the language of Accept-Language (nb by default)."""
    return translation.get_language_from_request(request) or "nb"


def error(status: int, code: str, detail: str, headers: dict | None = None) -> JsonResponse:
    response = JsonResponse({"detail": detail, "code": code}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def too_many(limit: ratelimit.Limit) -> JsonResponse:
    return error(
        429,
        "rate_limited",
        _("Too many requests. Try again in %(seconds)d seconds.") % {"seconds": limit.retry_after},
        {"Retry-After": str(limit.retry_after)},
    )


def card_out(check: CardCheck, now) -> dict:
    return {
        "card_number": check.number,
        "valid": check.valid,
        "state": check.state,
        "card_type": check.card_type_code,
        "card_type_name": check.card_type_name,
        "holder_name": check.holder_name,
        "employer_name": check.employer_name,
        "employer_orgnr": check.employer_orgnr,
        "expires_on": check.expires_on,
        "checked_at": now,
    }


@router.get(
    "/{card_number}",
    response={200: CardOut, 404: Error, 422: Error, 429: Error},
    summary="Check one card",
    description=(
        "Anyone may check a card: no key needed, rate-limited per IP address (429 with "
        "Retry-After when exceeded). Spaces and dashes in the number are ignored. A number "
        "that is not 12 digits or whose check digit is wrong gets 422 with code `length` or "
        "`check_digit`; an unknown number gets 404 `not_found`. Reasons for invalidity are "
        "never shown: the employer sees them in the company portal."
    ),
)
def get_card(request: HttpRequest, card_number: str):
    with translation.override(request_language(request)):
        limit = ratelimit.hit_anonymous(request)
        if not limit.allowed:
            return too_many(limit)
        try:
            check = selectors.check_card_number(card_number)
        except InvalidCardNumber as exc:
            return Status(422, {"detail": malformed_message(str(exc)), "code": str(exc)})
        if check is None:
            return Status(404, {"detail": _("No card has this number."), "code": "not_found"})
        return Status(200, card_out(check, timezone.now()))
