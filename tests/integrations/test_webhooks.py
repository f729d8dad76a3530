"""Webhooks: a signed POST when a subscribed card changes validity; retries with backoff; give-up."""

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.utils import timezone

from hmskort.audit.services import Actor
from hmskort.cards.signals import card_validity_changed
from hmskort.integrations import services
from hmskort.integrations.models import WebhookDelivery
from tests.factories import CardFactory, validity_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def integrator(httpserver):
    api_key, plaintext = services.create_api_key(name="Crew AS", actor=Actor.system("test"))
    secret = services.set_webhook(
        api_key=api_key, url=httpserver.url_for("/hook"), actor=Actor.system("test")
    )
    return api_key, plaintext, secret


def _announce(card, django_capture_on_commit_callbacks, *, valid=False):
    with django_capture_on_commit_callbacks(execute=True):
        card_validity_changed.send(sender=None, changes=[validity_change(card, valid=valid)])


def test_subscribed_integrator_gets_a_signed_post_when_the_card_turns_invalid(
    httpserver, integrator, django_capture_on_commit_callbacks, client
):
    api_key, plaintext, secret = integrator
    card = CardFactory()
    services.subscribe_cards(api_key=api_key, card_ids=[card.pk])
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("ok")

    _announce(card, django_capture_on_commit_callbacks)

    httpserver.check_assertions()
    (request, _response) = httpserver.log[0]
    body = request.get_data()
    timestamp = request.headers["X-HMSKORT-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    assert request.headers["X-HMSKORT-Signature"] == "sha256=" + expected.hexdigest()
    event = json.loads(body)
    assert event["type"] == "card.validity_changed"
    assert event["data"]["card_number"] == card.number
    assert event["data"]["valid"] is False
    assert request.headers["X-HMSKORT-Delivery"] == event["id"]

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 1

    # The integrator reads its delivery log through the API.
    log = client.get("/api/v1/webhooks/deliveries", HTTP_AUTHORIZATION=f"Bearer {plaintext}").json()
    assert log["count"] == 1
    assert log["items"][0]["status"] == "delivered"
    assert log["items"][0]["card_number"] == card.number


def test_a_tampered_body_does_not_match_the_signature():
    body = b'{"valid":true}'
    signature = services.sign("secret", 1700000000, body)
    assert signature != services.sign("secret", 1700000000, b'{"valid":false}')
    assert signature != services.sign("secret", 1700000001, body)


def test_a_receiver_answering_500_then_200_gets_the_event_on_the_retry(
    httpserver, integrator, django_capture_on_commit_callbacks, settings
):
    settings.HMSKORT_WEBHOOK_RETRY_BASE_SECONDS = 30
    api_key, _plaintext, _secret = integrator
    card = CardFactory()
    services.subscribe_cards(api_key=api_key, card_ids=[card.pk])
    httpserver.expect_ordered_request("/hook", method="POST").respond_with_data("no", status=500)
    httpserver.expect_ordered_request("/hook", method="POST").respond_with_data("ok", status=200)

    _announce(card, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.last_status_code == 500
    assert delivery.next_attempt_at - delivery.last_attempt_at == dt.timedelta(seconds=30)
    # Not yet due: nothing is sent.
    assert services.deliver_due(now=delivery.last_attempt_at + dt.timedelta(seconds=10)) == {
        "delivered": 0,
        "failed": 0,
        "retrying": 0,
    }
    outcome = services.deliver_due(now=delivery.next_attempt_at)
    assert outcome["delivered"] == 1
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 2
    httpserver.check_assertions()
    first, second = (req for req, _ in httpserver.log)
    assert first.headers["X-HMSKORT-Delivery"] == second.headers["X-HMSKORT-Delivery"]


def test_a_receiver_that_never_recovers_is_given_up_after_the_last_attempt(
    httpserver, integrator, django_capture_on_commit_callbacks, settings
):
    settings.HMSKORT_WEBHOOK_MAX_ATTEMPTS = 4
    settings.HMSKORT_WEBHOOK_RETRY_BASE_SECONDS = 30
    api_key, _plaintext, _secret = integrator
    card = CardFactory()
    services.subscribe_cards(api_key=api_key, card_ids=[card.pk])
    httpserver.expect_request("/hook", method="POST").respond_with_data("down", status=503)

    _announce(card, django_capture_on_commit_callbacks)
    delays = []
    for _ in range(10):
        delivery = WebhookDelivery.objects.get()
        if delivery.next_attempt_at is None:
            break
        delays.append((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds())
        services.deliver_due(now=delivery.next_attempt_at)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 4
    assert delays == [30, 60, 120]
    assert len(httpserver.log) == 4
    # Given up: later runs post nothing more.
    services.deliver_due(now=timezone.now() + dt.timedelta(days=1))
    assert len(httpserver.log) == 4


def test_an_unreachable_receiver_is_retried_like_an_error(
    integrator, django_capture_on_commit_callbacks
):
    api_key, _plaintext, _secret = integrator
    api_key.webhook_url = "http://127.0.0.1:9/nothing-listens-here"
    api_key.save()
    card = CardFactory()
    services.subscribe_cards(api_key=api_key, card_ids=[card.pk])
    _announce(card, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.last_status_code is None
    # The integrator sees a generic error, not the socket's text.
    assert delivery.last_error == "connection failed"


def test_cards_nobody_subscribed_to_send_nothing(
    httpserver, integrator, django_capture_on_commit_callbacks
):
    card = CardFactory()
    _announce(card, django_capture_on_commit_callbacks)
    assert WebhookDelivery.objects.count() == 0
    assert httpserver.log == []


def test_a_revoked_key_gets_no_more_events(
    httpserver, integrator, django_capture_on_commit_callbacks
):
    api_key, _plaintext, _secret = integrator
    card = CardFactory()
    services.subscribe_cards(api_key=api_key, card_ids=[card.pk])
    services.revoke_api_key(api_key=api_key, actor=Actor.system("test"))
    _announce(card, django_capture_on_commit_callbacks)
    assert WebhookDelivery.objects.count() == 0


def test_webhook_urls_must_be_https_in_production(settings, integrator):
    from django.core.exceptions import ValidationError

    settings.HMSKORT_WEBHOOK_ALLOW_HTTP = False
    with pytest.raises(ValidationError):
        services.validate_webhook_url("http://crew.example.com/hook")
    assert services.validate_webhook_url("https://crew.example.com/hook")


def test_private_addresses_are_refused_in_production(
    settings, httpserver, integrator, django_capture_on_commit_callbacks
):
    settings.HMSKORT_WEBHOOK_ALLOW_PRIVATE = False
    api_key, _plaintext, _secret = integrator
    card = CardFactory()
    services.subscribe_cards(api_key=api_key, card_ids=[card.pk])
    _announce(card, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_error == "address not allowed"
    assert httpserver.log == []


def test_a_real_recompute_after_a_card_is_reported_stolen_reaches_the_integrator(
    httpserver, integrator, django_capture_on_commit_callbacks
):
    from hmskort.cards import recompute
    from hmskort.cards import services as cards
    from tests.factories import employed_person, registered_company

    company = registered_company()
    card = CardFactory(company=company, holder=employed_person(company), valid=False, reasons=["x"])
    with django_capture_on_commit_callbacks(execute=True):
        recompute.recompute_cards(card_ids=[card.pk], cause="test")
    card.refresh_from_db()
    assert card.valid is True

    api_key, _plaintext, secret = integrator
    services.subscribe_cards(api_key=api_key, card_ids=[card.pk])
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("ok")

    with django_capture_on_commit_callbacks(execute=True):
        cards.card_report_stolen(card=card, actor=Actor.staff("issuer"))

    httpserver.check_assertions()
    request, _response = httpserver.log[0]
    event = json.loads(request.get_data())
    assert event["data"] == {
        "card_number": card.number,
        "valid": False,
        "changed_at": event["data"]["changed_at"],
    }
    timestamp = int(request.headers["X-HMSKORT-Timestamp"])
    assert request.headers["X-HMSKORT-Signature"] == services.sign(
        secret, timestamp, request.get_data()
    )
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED


def test_a_mass_change_is_delivered_in_full_beyond_one_batch(
    httpserver, integrator, django_capture_on_commit_callbacks, monkeypatch
):
    from hmskort.integrations import tasks

    monkeypatch.setattr(tasks, "BATCH", 2)
    api_key, _plaintext, _secret = integrator
    cards = CardFactory.create_batch(5)
    services.subscribe_cards(api_key=api_key, card_ids=[c.pk for c in cards])
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    with django_capture_on_commit_callbacks(execute=True):
        card_validity_changed.send(
            sender=None,
            changes=[validity_change(c) for c in cards],
        )
    assert len(httpserver.log) == 5
    assert WebhookDelivery.objects.filter(status="delivered").count() == 5
