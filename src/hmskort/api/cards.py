"""Card check endpoints: GET one card (anyone, rate-limited per IP or per key), POST a batch
(API key). Read-only on the request path, except the optional webhook subscription."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Router, Status

from hmskort import ratelimit
from hmskort.cards import lookup as selectors
from hmskort.cards.lookup import CardCheck
from hmskort.cards.numbers import InvalidCardNumber, normalise_card_number
from hmskort.integrations import services as integrations
from hmskort.site import selectors as maintenance

from .auth import KeyRequest, api_key_auth, bearer_key, hit_key
from .schemas import CardOut, CheckRequest, CheckResponse, Error

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


def ok(payload: dict) -> JsonResponse:
    """A 200 answer serialised directly: the hot paths skip re-validating their own output
    (the response schemas still document it, and the schemathesis test holds them to it)."""
    return JsonResponse(payload)


def unauthorized() -> JsonResponse:
    return error(
        401,
        "invalid_key",
        _("The API key is unknown or revoked."),
        {"WWW-Authenticate": 'Bearer realm="hmskort"'},
    )


def card_out(check: CardCheck, now, language: str | None = None) -> dict:
    """The single check's answer; the card type's name in `language` (default: the active)."""
    return {
        "card_number": check.number,
        "valid": check.valid,
        "state": check.state,
        "card_type": check.card_type_code,
        "card_type_name": (
            check.card_type_name if language is None else check.card_type_name_in(language)
        ),
        "holder_name": check.holder_name,
        "employer_name": check.employer_name,
        "employer_orgnr": check.employer_orgnr,
        "expires_on": check.expires_on,
        "checked_at": now,
    }


_EMPTY = dict.fromkeys(
    (
        "state",
        "card_type",
        "holder_name",
        "birth_date",
        "employer_name",
        "employer_orgnr",
        "expires_on",
    )
)


@router.post(
    "/check",
    auth=api_key_auth,
    response={200: CheckResponse, 401: Error, 422: Error, 429: Error},
    summary="Check up to 1000 cards (crew lists, access control)",
    description=(
        "For integrators with an API key. Answers per card what a crew list needs: name, birth "
        "date, employer and organisation number, card number, valid, expiry. Results come in "
        "the order sent; malformed numbers get `error` `length` or `check_digit`, unknown ones "
        "`not_found`. Each number counts against the key's daily quota; each request against "
        "its per-minute limit (429 with Retry-After). With `subscribe: true` the key's webhook "
        "is told when any card found changes validity."
    ),
    # OpenAPI links: what a client (and the stateful API test) may do next with the answer.
    openapi_extra={
        "responses": {
            200: {
                "links": {
                    "CheckTheFirstCard": {
                        "operationId": "hmskort_api_cards_get_card",
                        "parameters": {"card_number": "$response.body#/results/0/card_number"},
                    },
                    "UnsubscribeTheFirstCard": {
                        "operationId": "hmskort_api_webhooks_unsubscribe",
                        "parameters": {"card_number": "$response.body#/results/0/card_number"},
                    },
                }
            }
        }
    },
)
def check_cards(request: KeyRequest, body: CheckRequest):
    api_key = request.auth
    with translation.override(request_language(request)):
        limit = hit_key(api_key, cards=len(body.card_numbers))
        if not limit.allowed:
            return too_many(limit)
        parsed: list[tuple[str, str | None, InvalidCardNumber | None]] = []
        for raw in body.card_numbers:
            try:
                parsed.append((raw, normalise_card_number(raw), None))
            except InvalidCardNumber as exc:
                parsed.append((raw, None, exc))
        found = selectors.check_card_numbers(number for _r, number, _e in parsed if number)
        not_found = _("No card has this number.")
        results = []
        for raw, number, malformed in parsed:
            check = found.get(number) if number else None
            if check is None:
                results.append(
                    {
                        "input": raw,
                        "card_number": number,
                        "found": False,
                        "error": malformed.code if malformed else "not_found",
                        "message": malformed.message if malformed else not_found,
                        "valid": False,
                        **_EMPTY,
                    }
                )
                continue
            results.append(
                {
                    "input": raw,
                    "card_number": check.number,
                    "found": True,
                    "error": None,
                    "message": None,
                    "valid": check.valid,
                    "state": check.state,
                    "card_type": check.card_type_code,
                    "holder_name": check.holder_name,
                    "birth_date": check.birth_date,
                    "employer_name": check.employer_name,
                    "employer_orgnr": check.employer_orgnr,
                    "expires_on": check.expires_on,
                }
            )
        subscribed = None
        # During a maintenance window the check answers read-only: no new subscriptions.
        if body.subscribe and found and maintenance.active_window() is None:
            subscribed = integrations.subscribe_cards(
                api_key=api_key, card_ids=[check.card_id for check in found.values()]
            )
        return ok(
            {
                "checked_at": timezone.now(),
                "count": len(results),
                "results": results,
                "subscribed": subscribed,
            }
        )


# Declared after /check so that POST /cards/check is not taken for a card number.
@router.get(
    "/{card_number}",
    response={200: CardOut, 401: Error, 404: Error, 422: Error, 429: Error},
    summary="Check one card",
    description=(
        "Anyone may check a card: no key needed, rate-limited per IP address (429 with "
        "Retry-After when exceeded). With `Authorization: Bearer <api key>` the request counts "
        "against the key's limits instead (401 for an unknown or revoked key). Spaces and dashes "
        "in the number are ignored. A number that is not 12 digits or whose check digit is wrong "
        "gets 422 with code `length` or `check_digit`; an unknown number gets 404 `not_found`. "
        "Reasons for invalidity, national ID numbers and birth dates are never shown here."
    ),
)
def get_card(request: HttpRequest, card_number: str):
    with translation.override(request_language(request)):
        sent, api_key = bearer_key(request)
        if sent and api_key is None:
            return unauthorized()
        limit = hit_key(api_key, cards=1) if api_key else ratelimit.hit_anonymous(request)
        if not limit.allowed:
            return too_many(limit)
        try:
            check = selectors.check_card_number(card_number)
        except InvalidCardNumber as exc:
            return Status(422, {"detail": exc.message, "code": exc.code})
        if check is None:
            return Status(404, {"detail": _("No card has this number."), "code": "not_found"})
        return ok(card_out(check, timezone.now()))
