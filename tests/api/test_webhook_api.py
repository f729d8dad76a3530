"""The integrator's webhook endpoints."""

import pytest
import time_machine

from hmskort.cards.numbers import new_card_number
from hmskort.integrations.models import WebhookSubscription
from tests.factories import CardFactory

pytestmark = pytest.mark.django_db


def test_integrator_sets_a_webhook_subscribes_and_unsubscribes(client, api_key, auth):
    response = client.put(
        "/api/v1/webhooks/endpoint",
        {"url": "https://crew.example.com/hook"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200
    assert len(response.json()["secret"]) == 64
    card = CardFactory()
    unknown = new_card_number()
    response = client.post(
        "/api/v1/webhooks/subscriptions",
        {"card_numbers": [card.number, unknown, "123"]},
        content_type="application/json",
        **auth,
    )
    assert response.json() == {"subscribed": 1, "not_found": ["123", unknown]}
    assert client.get("/api/v1/webhooks/endpoint", **auth).json() == {
        "url": "https://crew.example.com/hook",
        "subscriptions": 1,
    }
    assert client.delete(f"/api/v1/webhooks/subscriptions/{card.number}", **auth).status_code == 204
    assert WebhookSubscription.objects.count() == 0


def test_subscribing_without_a_webhook_url_is_refused(client, auth):
    card = CardFactory()
    response = client.post(
        "/api/v1/webhooks/subscriptions",
        {"card_numbers": [card.number]},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 409


def test_a_bad_webhook_url_gets_a_clear_message(client, auth, settings):
    settings.HMSKORT_WEBHOOK_ALLOW_HTTP = False
    response = client.put(
        "/api/v1/webhooks/endpoint",
        {"url": "http://crew.example.com/hook"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
        **auth,
    )
    assert response.status_code == 422
    assert "https" in response.json()["detail"]


def test_webhook_endpoints_need_a_key(client):
    assert client.get("/api/v1/webhooks/deliveries").status_code == 401


@time_machine.travel("2026-06-15 10:20:30+00:00", tick=False)
def test_subscribing_counts_every_number_against_the_daily_quota(client, make_key):
    # The answer says which numbers exist: without the quota, about 860 million numbers a day
    # per key could be tried.
    _key, plaintext = make_key(daily_quota=5, rate_per_minute=100)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    client.put(
        "/api/v1/webhooks/endpoint",
        {"url": "https://crew.example.com/hook"},
        content_type="application/json",
        **auth,
    )

    def subscribe(count):
        return client.post(
            "/api/v1/webhooks/subscriptions",
            {"card_numbers": [new_card_number() for _ in range(count)]},
            content_type="application/json",
            **auth,
        )

    assert subscribe(6).status_code == 429  # refused: uses up nothing
    assert subscribe(3).status_code == 200
    assert subscribe(2).status_code == 200
    response = subscribe(1)
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    # The batch check draws on the same quota.
    checked = client.post(
        "/api/v1/cards/check",
        {"card_numbers": [new_card_number()]},
        content_type="application/json",
        **auth,
    )
    assert checked.status_code == 429
