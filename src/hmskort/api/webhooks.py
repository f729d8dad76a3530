"""Webhooks for integrators: the endpoint, card subscriptions and the delivery log."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from hmskort.cards import lookup as checks
from hmskort.cards.numbers import InvalidCardNumber, normalise_card_number
from hmskort.integrations import selectors, services
from hmskort.integrations.models import WebhookDelivery, WebhookSubscription

from .auth import KeyRequest, api_key_auth, hit_key
from .cards import request_language, too_many
from .schemas import (
    DeliveryPage,
    Error,
    SubscribeRequest,
    SubscribeResponse,
    WebhookIn,
    WebhookOut,
    WebhookSecretOut,
)

router = Router(tags=["webhooks"], auth=api_key_auth)


def _limited(request: KeyRequest):
    limit = hit_key(request.auth)
    return None if limit.allowed else too_many(limit)


@router.put(
    "/endpoint",
    response={200: WebhookSecretOut, 401: Error, 422: Error, 429: Error},
    summary="Set the URL events are posted to (returns a new signing secret)",
    openapi_extra={
        "responses": {
            200: {
                "links": {
                    "ReadTheEndpoint": {"operationId": "hmskort_api_webhooks_get_endpoint"},
                    "SubscribeToCards": {"operationId": "hmskort_api_webhooks_subscribe"},
                }
            }
        }
    },
)
def set_endpoint(request: KeyRequest, body: WebhookIn):
    if rejected := _limited(request):
        return rejected
    with translation.override(request_language(request)):
        try:
            secret = services.set_webhook(
                api_key=request.auth,
                url=body.url,
                actor=services.integrator_actor(request.auth),
            )
        except ValidationError as exc:
            return Status(422, {"detail": " ".join(exc.messages), "code": "invalid_url"})
    return Status(200, {"url": request.auth.webhook_url, "secret": secret})


@router.get(
    "/endpoint", response={200: WebhookOut, 401: Error, 429: Error}, summary="The webhook set now"
)
def get_endpoint(request: KeyRequest):
    if rejected := _limited(request):
        return rejected
    count = WebhookSubscription.objects.filter(api_key=request.auth).count()
    return Status(200, {"url": request.auth.webhook_url or None, "subscriptions": count})


@router.delete(
    "/endpoint",
    response={204: None, 401: Error, 429: Error},
    summary="Remove the webhook and every subscription",
)
def delete_endpoint(request: KeyRequest):
    if rejected := _limited(request):
        return rejected
    services.remove_webhook(api_key=request.auth, actor=services.integrator_actor(request.auth))
    return HttpResponse(status=204)


@router.post(
    "/subscriptions",
    response={200: SubscribeResponse, 401: Error, 409: Error, 422: Error, 429: Error, 503: Error},
    summary="Subscribe to cards by number",
    openapi_extra={
        "responses": {
            200: {
                "links": {
                    "ReadTheDeliveries": {"operationId": "hmskort_api_webhooks_deliveries"},
                    "RemoveTheEndpoint": {"operationId": "hmskort_api_webhooks_delete_endpoint"},
                }
            }
        }
    },
)
def subscribe(request: KeyRequest, body: SubscribeRequest):
    with translation.override(request_language(request)):
        # The answer tells which numbers exist: each one counts against the daily quota, as in
        # the batch check, or subscribing would be an unmetered way to enumerate card numbers.
        limit = hit_key(request.auth, cards=len(body.card_numbers))
        if not limit.allowed:
            return too_many(limit)
        if not request.auth.webhook_url:
            return Status(409, {"detail": _("Set a webhook URL first."), "code": "no_webhook"})
        numbers, not_found = [], []
        for raw in body.card_numbers:
            try:
                numbers.append(normalise_card_number(raw))
            except InvalidCardNumber:
                not_found.append(raw)
        found = checks.check_card_numbers(numbers)
        not_found += [n for n in numbers if n not in found]
        added = services.subscribe_cards(
            api_key=request.auth, card_ids=[c.card_id for c in found.values()]
        )
        if added is None:
            return Status(
                503,
                {
                    "detail": _("The register is read-only for maintenance. Try again later."),
                    "code": "read_only",
                },
            )
    return Status(200, {"subscribed": added, "not_found": not_found})


@router.delete(
    "/subscriptions/{card_number}",
    response={204: None, 401: Error, 429: Error},
    summary="Stop hearing about a card",
)
def unsubscribe(request: KeyRequest, card_number: str):
    if rejected := _limited(request):
        return rejected
    try:
        found = checks.check_card_numbers([normalise_card_number(card_number)])
    except InvalidCardNumber:
        found = {}
    services.unsubscribe_cards(api_key=request.auth, card_ids=[c.card_id for c in found.values()])
    return HttpResponse(status=204)


class DeliveryFilter(Schema):
    status: WebhookDelivery.Status | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


@router.get(
    "/deliveries",
    response={200: DeliveryPage, 401: Error, 422: Error, 429: Error},
    summary="The delivery log: every event sent to this key's webhook, newest first",
)
def deliveries(request: KeyRequest, filters: Query[DeliveryFilter]):
    if rejected := _limited(request):
        return rejected
    qs = selectors.deliveries_for(request.auth, filters.status)
    page = qs[filters.offset : filters.offset + filters.limit]
    items = [
        {
            "event_id": str(d.event_id),
            "event_type": d.event_type,
            "card_number": d.payload.get("data", {}).get("card_number"),
            "status": d.status,
            "attempts": d.attempts,
            "last_status_code": d.last_status_code,
            "last_error": d.last_error,
            "last_attempt_at": d.last_attempt_at,
            "next_attempt_at": d.next_attempt_at,
            "delivered_at": d.delivered_at,
            "created_at": d.created_at,
            "payload": d.payload,
        }
        for d in page
    ]
    return Status(200, {"count": qs.count(), "items": items})
