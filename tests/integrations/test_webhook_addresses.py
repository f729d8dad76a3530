"""Webhooks reach public addresses only: checked at registration and at delivery, resolved once
and connected to the checked address (no DNS rebinding), no credentials in the URL, and a
generic error in the delivery log."""

import ipaddress
import socket

import httpx
import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from hmskort.audit.services import Actor
from hmskort.integrations import services
from hmskort.integrations.models import WebhookDelivery
from tests.factories import CardFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The messages below are compared in English; do not depend on what an earlier test left."""
    with translation.override("en"):
        yield


REFUSED = [
    "127.0.0.1",  # loopback
    "127.8.9.10",
    "[::1]",
    "10.1.2.3",  # private
    "172.16.0.1",
    "192.168.1.1",
    "[fd00::1]",
    "169.254.169.254",  # link-local (cloud metadata)
    "[fe80::1]",
    "100.64.0.1",  # CGNAT
    "100.127.255.254",
    "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
    "[64:ff9b::808:808]",  # NAT64 of a public address: still not a webhook's business
    "224.0.0.1",  # multicast
    "[ff02::1]",
    "0.0.0.0",  # unspecified
    "[::]",
    "[::ffff:127.0.0.1]",  # IPv4-mapped loopback
    "240.0.0.1",  # reserved
    "localhost",
]


@pytest.fixture
def production(settings):
    settings.HMSKORT_WEBHOOK_ALLOW_PRIVATE = False
    settings.HMSKORT_WEBHOOK_ALLOW_HTTP = False
    return settings


@pytest.fixture
def resolver(monkeypatch):
    """A DNS under the test's control: host -> list of answers, one list per lookup."""
    answers: dict[str, list[list[str]]] = {}
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        lookups.append(host)
        if host not in answers:
            raise socket.gaierror("no such host")
        queue = answers[host]
        current = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port),
            )
            for a in current
        ]

    monkeypatch.setattr(services.socket, "getaddrinfo", getaddrinfo)
    return answers, lookups


@pytest.fixture
def sent(monkeypatch):
    """Every request the webhook client would send, answered 200 without any network."""
    requests: list[httpx.Request] = []

    def handler(request):
        requests.append(request)
        return httpx.Response(200, text="ok")

    monkeypatch.setattr(services, "_transport", lambda: httpx.MockTransport(handler))
    return requests


def _deliver_to(url, sent_requests=None):
    api_key, _ = services.create_api_key(name="Crew AS", actor=Actor.system("test"))
    api_key.webhook_url = url  # as stored before the check existed, or after DNS changed
    api_key.webhook_secret = "s" * 64
    api_key.save()
    card = CardFactory()
    services.subscribe_cards(api_key=api_key, card_ids=[card.pk])
    services.enqueue_validity_changes(
        changes=[type("Change", (), {"card_id": card.pk, "number": card.number, "valid": False})]
    )
    services.deliver_due()
    return WebhookDelivery.objects.get(api_key=api_key)


@pytest.mark.parametrize("host", REFUSED)
def test_a_webhook_into_a_private_or_special_range_is_refused_at_registration(production, host):
    with pytest.raises(ValidationError) as error:
        services.validate_webhook_url(f"https://{host}/hook")
    assert "public address" in " ".join(error.value.messages)


@pytest.mark.parametrize("address", ["8.8.8.8", "2001:4860:4860::8888", "93.184.216.34"])
def test_public_addresses_are_allowed(address):
    assert services.address_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize("host", REFUSED)
def test_no_special_address_is_allowed(host):
    if host == "localhost":
        return
    assert not services.address_allowed(ipaddress.ip_address(host.strip("[]")))


def test_a_host_name_that_resolves_to_a_private_address_is_refused_at_registration(
    production, resolver
):
    answers, _lookups = resolver
    answers["hooks.crew.example"] = [["93.184.216.34", "10.0.0.5"]]
    with pytest.raises(ValidationError):
        services.validate_webhook_url("https://hooks.crew.example/hook")
    answers["hooks.crew.example"] = [["93.184.216.34"]]
    assert services.validate_webhook_url("https://hooks.crew.example/hook")


def test_an_unknown_host_is_refused_at_registration(production, resolver):
    with pytest.raises(ValidationError) as error:
        services.validate_webhook_url("https://nowhere.crew.example/hook")
    assert "cannot be found" in " ".join(error.value.messages)


@pytest.mark.parametrize(
    "url", ["https://user:secret@crew.example/hook", "https://user@crew.example/hook"]
)
def test_a_webhook_url_with_credentials_is_refused(url):
    with pytest.raises(ValidationError) as error:
        services.validate_webhook_url(url)
    assert "user name or password" in " ".join(error.value.messages)


def test_the_api_explains_a_private_webhook_address_in_english(client, production):
    key, plaintext = services.create_api_key(name="Crew AS", actor=Actor.system("test"))
    response = client.put(
        "/api/v1/webhooks/endpoint",
        {"url": "https://169.254.169.254/latest/meta-data"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
        HTTP_AUTHORIZATION=f"Bearer {plaintext}",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_url"
    assert "public address" in response.json()["detail"]
    key.refresh_from_db()
    assert key.webhook_url == ""


def test_delivery_connects_to_the_address_it_checked_not_to_a_second_lookup(
    production, resolver, sent
):
    # DNS rebinding: the first lookup answers a public address, later ones loopback.
    answers, lookups = resolver
    answers["hooks.crew.example"] = [["93.184.216.34"], ["127.0.0.1"]]
    delivery = _deliver_to("https://hooks.crew.example:8443/hook?x=1")
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert lookups == ["hooks.crew.example"]
    (request,) = sent
    assert request.url.host == "93.184.216.34"
    assert request.url.port == 8443
    assert request.url.path == "/hook" and request.url.query == b"x=1"
    assert request.headers["Host"] == "hooks.crew.example:8443"
    assert request.extensions["sni_hostname"] == "hooks.crew.example"
    assert request.headers["X-HMSKORT-Signature"].startswith("sha256=")


def test_a_host_that_turned_private_since_registration_gets_nothing(production, resolver, sent):
    answers, _lookups = resolver
    answers["hooks.crew.example"] = [["127.0.0.1"]]
    delivery = _deliver_to("https://hooks.crew.example/hook")
    assert delivery.last_error == "address not allowed"
    assert sent == []


def test_the_delivery_log_shows_a_generic_error_not_the_resolvers_text(production, resolver):
    delivery = _deliver_to("https://gone.crew.example/hook")
    assert delivery.last_error == "host not found"
    assert delivery.status == WebhookDelivery.Status.PENDING
