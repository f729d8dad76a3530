"""The API contract of GET /api/v1/cards/{card_number} and GET /api/v1/ping."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hmskort.cards.numbers import format_card_number, new_card_number
from tests.factories import CardFactory

pytestmark = pytest.mark.django_db


def test_get_card_answers_the_contract_fields(client):
    card = CardFactory(expires_on=dt.date(2028, 5, 31))
    response = client.get(f"/api/v1/cards/{card.number}")
    assert response.status_code == 200
    body = response.json()
    assert body["card_number"] == card.number
    assert body["valid"] is True
    assert body["state"] == "issued"
    assert body["card_type"] == "construction"
    assert body["holder_name"] == card.holder.full_name
    assert body["employer_name"] == card.company.name
    assert body["employer_orgnr"] == card.company.orgnr
    assert body["expires_on"] == "2028-05-31"
    assert "checked_at" in body


def test_get_card_never_shows_reasons_national_id_or_birth_date(client):
    card = CardFactory(valid=False, reasons=["vat_register"])
    body = client.get(f"/api/v1/cards/{card.number}").json()
    assert body["valid"] is False
    text = str(body)
    assert "vat_register" not in text
    assert card.holder.national_id not in text
    assert "birth" not in text


def test_get_card_accepts_the_grouped_form_with_spaces(client):
    card = CardFactory()
    response = client.get(f"/api/v1/cards/{format_card_number(card.number)}")
    assert response.status_code == 200
    assert response.json()["card_number"] == card.number


def test_unknown_number_is_404_with_a_json_error(client):
    response = client.get(f"/api/v1/cards/{new_card_number()}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response["Content-Type"].startswith("application/json")


def test_malformed_number_is_422_with_a_message_in_the_language_of_accept_language(client):
    card = CardFactory()
    typo = card.number[:-1] + str((int(card.number[-1]) + 1) % 10)
    en = client.get(f"/api/v1/cards/{typo}", HTTP_ACCEPT_LANGUAGE="en")
    assert en.status_code == 422
    assert en.json()["code"] == "check_digit"
    assert "mistyped" in en.json()["detail"]
    nb = client.get(f"/api/v1/cards/{typo}", HTTP_ACCEPT_LANGUAGE="nb-NO,nb;q=0.9")
    assert "feilskrevet" in nb.json()["detail"]
    short = client.get("/api/v1/cards/12ab", HTTP_ACCEPT_LANGUAGE="en")
    assert short.status_code == 422
    assert short.json()["code"] == "length"


def test_known_unknown_and_malformed_numbers_cost_the_same_database_read(client):
    card = CardFactory()
    counts = []
    for number in (card.number, new_card_number(), "12345"):
        with CaptureQueriesContext(connection) as queries:
            client.get(f"/api/v1/cards/{number}")
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2] == 1


# Rate limits count in fixed windows of the clock: frozen, a test never straddles two windows.
FROZEN = dt.datetime(2026, 6, 15, 10, 20, 50, tzinfo=dt.UTC)


@time_machine.travel(FROZEN, tick=False)
def test_anonymous_api_checks_are_rate_limited_per_ip(client, settings):
    settings.HMSKORT_CHECK_RATE_PER_MINUTE = 2
    card = CardFactory()
    assert client.get(f"/api/v1/cards/{card.number}").status_code == 200
    assert client.get(f"/api/v1/cards/{card.number}").status_code == 200
    response = client.get(f"/api/v1/cards/{card.number}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert response["Retry-After"] == "10"
    assert response.json()["code"] == "rate_limited"


@time_machine.travel(FROZEN, tick=False)
def test_forwarded_for_counts_only_behind_a_trusted_proxy(client, settings):
    settings.HMSKORT_CHECK_RATE_PER_MINUTE = 1
    card = CardFactory()
    url = f"/api/v1/cards/{card.number}"
    # Untrusted peer: X-Forwarded-For is ignored, so spoofing it does not buy more checks.
    assert client.get(url, HTTP_X_FORWARDED_FOR="1.1.1.1").status_code == 200
    assert client.get(url, HTTP_X_FORWARDED_FOR="2.2.2.2").status_code == 429
    # Behind a trusted proxy each client address counts for itself.
    settings.HMSKORT_TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxied = {"REMOTE_ADDR": "10.0.0.5"}
    assert client.get(url, HTTP_X_FORWARDED_FOR="3.3.3.3", **proxied).status_code == 200
    assert client.get(url, HTTP_X_FORWARDED_FOR="4.4.4.4", **proxied).status_code == 200
    assert client.get(url, HTTP_X_FORWARDED_FOR="3.3.3.3", **proxied).status_code == 429


def test_ping_answers_constant_json_without_touching_the_database(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/ping")
    assert response.json() == {"status": "ok", "api_version": "1"}
    assert len(queries) == 0


def test_openapi_documents_the_card_endpoints_with_examples(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/cards/{card_number}" in spec["paths"]
    card_out = spec["components"]["schemas"]["CardOut"]
    assert card_out.get("examples")
