"""POST /api/v1/cards/check: API keys, the crew-list answer, quotas."""

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hmskort.cards.numbers import format_card_number, new_card_number
from hmskort.integrations.models import ApiKey, WebhookSubscription
from hmskort.integrations.services import hash_key
from tests.factories import CardFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/cards/check"


def post(client, body, **extra):
    return client.post(URL, body, content_type="application/json", **extra)


def test_batch_answers_what_a_crew_list_needs_in_the_order_sent(client, auth):
    valid = CardFactory()
    invalid = CardFactory(valid=False, reasons=["employment_ended"])
    typo = valid.number[:-1] + str((int(valid.number[-1]) + 1) % 10)
    unknown = new_card_number()
    numbers = [format_card_number(invalid.number), valid.number, typo, unknown, "12"]
    response = post(client, {"card_numbers": numbers}, HTTP_ACCEPT_LANGUAGE="en", **auth)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    first, second, third, fourth, fifth = body["results"]
    assert first["input"] == format_card_number(invalid.number)
    assert first["card_number"] == invalid.number
    assert first["found"] is True and first["valid"] is False
    assert second["valid"] is True
    assert second["holder_name"] == valid.holder.full_name
    assert second["birth_date"] == valid.holder.birth_date.isoformat()
    assert second["employer_name"] == valid.company.name
    assert second["employer_orgnr"] == valid.company.orgnr
    assert second["expires_on"] == valid.expires_on.isoformat()
    assert third["error"] == "check_digit" and "mistyped" in third["message"]
    assert fourth["error"] == "not_found" and fourth["card_number"] == unknown
    assert fifth["error"] == "length" and fifth["valid"] is False
    assert "employment_ended" not in response.content.decode()
    assert valid.holder.national_id not in response.content.decode()


def test_a_batch_of_a_thousand_is_one_card_query(client, auth):
    cards = CardFactory.create_batch(5)
    numbers = [c.number for c in cards] + [new_card_number() for _ in range(995)]
    with CaptureQueriesContext(connection) as queries:
        response = post(client, {"card_numbers": numbers}, **auth)
    assert response.status_code == 200
    assert sum(r["found"] for r in response.json()["results"]) == 5
    card_queries = [q for q in queries if "cards_card" in q["sql"]]
    assert len(card_queries) == 1


def test_more_than_a_thousand_numbers_are_refused(client, auth):
    response = post(client, {"card_numbers": ["123456789012"] * 1001}, **auth)
    assert response.status_code == 422


def test_batch_needs_a_valid_key(client, api_key):
    assert post(client, {"card_numbers": ["1"]}).status_code == 401
    bad = {"HTTP_AUTHORIZATION": "Bearer hmsk_not-a-real-key"}
    assert post(client, {"card_numbers": ["1"]}, **bad).status_code == 401


def test_a_revoked_key_is_refused(client, api_key, auth):
    from hmskort.audit.services import Actor
    from hmskort.integrations.services import revoke_api_key

    revoke_api_key(api_key=api_key[0], actor=Actor.system("test"))
    assert post(client, {"card_numbers": ["1"]}, **auth).status_code == 401


def test_keys_are_stored_only_as_a_hash_with_a_visible_prefix(api_key):
    stored, plaintext = api_key
    stored.refresh_from_db()
    assert stored.key_hash == hash_key(plaintext)
    assert plaintext not in str(stored.__dict__)
    assert plaintext.startswith(stored.prefix)


# The per-minute and daily windows are fixed windows of the clock: frozen, a test never straddles
# two of them.
@time_machine.travel("2026-06-15 10:20:30+00:00", tick=False)
def test_per_key_rate_limit_answers_429_with_retry_after(client, make_key):
    _key, plaintext = make_key(rate_per_minute=2)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    body = {"card_numbers": [new_card_number()]}
    assert post(client, body, **auth).status_code == 200
    assert post(client, body, **auth).status_code == 200
    response = post(client, body, **auth)
    assert response.status_code == 429
    assert response["Retry-After"] == "30"


@time_machine.travel("2026-06-15 10:20:30+00:00", tick=False)
def test_daily_quota_counts_card_numbers(client, make_key):
    _key, plaintext = make_key(daily_quota=5)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    assert post(client, {"card_numbers": ["1"] * 4}, **auth).status_code == 200
    response = post(client, {"card_numbers": ["1"] * 2}, **auth)
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"


@time_machine.travel("2026-06-15 23:59:59+00:00", tick=False)
def test_a_refused_batch_uses_up_none_of_the_daily_quota(client, make_key):
    _key, plaintext = make_key(daily_quota=5)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    assert post(client, {"card_numbers": ["1"] * 6}, **auth).status_code == 429
    assert post(client, {"card_numbers": ["1"] * 6}, **auth).status_code == 429
    assert post(client, {"card_numbers": ["1"] * 5}, **auth).status_code == 200
    assert post(client, {"card_numbers": ["1"]}, **auth).status_code == 429


def test_get_with_a_key_counts_against_the_key_not_the_ip(client, settings, auth):
    settings.HMSKORT_CHECK_RATE_PER_MINUTE = 1
    card = CardFactory()
    for _ in range(3):
        assert client.get(f"/api/v1/cards/{card.number}", **auth).status_code == 200
    bad = {"HTTP_AUTHORIZATION": "Bearer nope"}
    assert client.get(f"/api/v1/cards/{card.number}", **bad).status_code == 401


def test_subscribe_flag_subscribes_the_key_to_the_cards_found(client, api_key, auth):
    cards = CardFactory.create_batch(2)
    body = {"card_numbers": [c.number for c in cards] + [new_card_number()], "subscribe": True}
    response = post(client, body, **auth)
    assert response.json()["subscribed"] == 2
    assert WebhookSubscription.objects.filter(api_key=api_key[0]).count() == 2
    # Twice is idempotent.
    assert post(client, body, **auth).json()["subscribed"] == 0


def test_management_command_creates_lists_and_revokes_keys(capsys):
    call_command("apikeys", "create", "--name", "SmartCrew", "--rate-per-minute", "100")
    plaintext = capsys.readouterr().out.strip()
    key = ApiKey.objects.get(name="SmartCrew")
    assert key.key_hash == hash_key(plaintext)
    assert key.rate_per_minute == 100
    call_command("apikeys", "list")
    assert key.prefix in capsys.readouterr().out
    call_command("apikeys", "revoke", key.prefix)
    key.refresh_from_db()
    assert key.revoked_at is not None
