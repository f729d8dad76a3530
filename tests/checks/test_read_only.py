"""Checks keep working, read-only, while the database refuses writes (scheduled maintenance)."""

import contextlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CardFactory

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER")


@contextlib.contextmanager
def database_refuses_writes():
    """Make this connection read-only the way a maintenance window would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Check the test data's deferred foreign keys now, not at teardown under read-only.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET TRANSACTION READ ONLY")
        else:
            cursor.execute("PRAGMA query_only = ON")
    try:
        yield
    finally:
        if connection.vendor != "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA query_only = OFF")


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]


def test_page_qr_landing_and_api_answer_while_the_database_is_read_only(client):
    card = CardFactory()
    with database_refuses_writes(), CaptureQueriesContext(connection) as queries:
        page = client.get("/en/check/", {"number": card.number})
        qr = client.get(f"/en/check/{card.qr_token}/")
        api = client.get(f"/api/v1/cards/{card.number}")
    assert page.status_code == 200
    assert "Valid" in page.content.decode()
    assert qr.status_code == 200
    assert api.status_code == 200
    assert api.json()["valid"] is True
    assert _writes(queries) == []


def test_the_read_only_guard_really_refuses_writes():
    from django.db import DatabaseError, transaction

    from hmskort.people.models import Person

    with database_refuses_writes(), pytest.raises(DatabaseError), transaction.atomic():
        Person.objects.update(given_name="x")


def test_batch_check_answers_read_only_and_says_it_could_not_subscribe(client):
    from hmskort.audit.services import Actor
    from hmskort.integrations import services

    _key, plaintext = services.create_api_key(name="Crew", actor=Actor.system("test"))
    card = CardFactory()
    body = {"card_numbers": [card.number], "subscribe": True}
    with database_refuses_writes():
        plain = client.post(
            "/api/v1/cards/check",
            {"card_numbers": [card.number]},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {plaintext}",
        )
        subscribing = client.post(
            "/api/v1/cards/check",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {plaintext}",
        )
    assert plain.status_code == 200
    assert plain.json()["results"][0]["valid"] is True
    assert subscribing.status_code == 200
    assert subscribing.json()["results"][0]["valid"] is True
    assert subscribing.json()["subscribed"] is None
