"""The check reads from the replica when one is configured; everything else uses the primary.

Two real databases: the test databases of "default" and "replica" (DATABASE_REPLICA_URL). There
is no replication between them here, so a row written only to the primary shows which database a
request read from.
"""

import inspect

import pytest
from django.conf import settings
from django.db import connections
from django.test.utils import CaptureQueriesContext

from hmskort.cards import lookup
from tests.factories import CardFactory

pytestmark = [
    pytest.mark.skipif(
        "replica" not in settings.DATABASES, reason="needs DATABASE_REPLICA_URL (a second database)"
    ),
    pytest.mark.django_db(databases=["default", "replica"], transaction=True),
]


# The check's one query is raw SQL in cards/lookup.py on `connection` (the primary); it reads
# through the router once cards/lookup.py picks its connection with router.db_for_read, a change
# to the cards app that lands after issue 9's restructuring (/work/coord/9-done).
_LOOKUP_USES_ROUTER = "router.db_for_read" in inspect.getsource(lookup)
needs_routed_lookup = pytest.mark.skipif(
    not _LOOKUP_USES_ROUTER, reason="cards/lookup.py does not read through the router yet"
)


def _copy_to_replica(*objects):
    for obj in objects:
        if not type(obj).objects.using("replica").filter(pk=obj.pk).exists():
            obj.save(using="replica", force_insert=True)


@pytest.fixture
def replica_on(settings):
    settings.HMSKORT_READ_REPLICA = True


@needs_routed_lookup
def test_a_card_checked_through_the_api_is_read_from_the_replica(client, replica_on):
    card = CardFactory()
    # Written to the primary only: the replica has not got it yet, so the check does not find it.
    assert client.get(f"/api/v1/cards/{card.number}").status_code == 404

    _copy_to_replica(card.card_type, card.company, card.holder, card)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        response = client.get(f"/api/v1/cards/{card.number}")
    assert response.status_code == 200
    assert response.json()["holder_name"] == card.holder.full_name
    assert any("cards_card" in query["sql"] for query in on_replica.captured_queries)


@needs_routed_lookup
def test_the_check_page_and_the_qr_landing_read_from_the_replica(client, replica_on):
    card = CardFactory()
    assert (
        "No card has the number"
        in client.get("/en/check/", {"number": card.number}).content.decode()
    )
    assert client.get(f"/en/check/{card.qr_token}/").status_code == 404

    _copy_to_replica(card.card_type, card.company, card.holder, card)
    page = client.get("/en/check/", {"number": card.number}).content.decode()
    assert card.holder.full_name in page
    assert client.get(f"/en/check/{card.qr_token}/").status_code == 200


def test_reads_outside_the_check_and_every_write_go_to_the_primary(client, replica_on):
    card = CardFactory()
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert client.get("/en/").status_code == 200
        assert client.get("/readyz").status_code == 200
    assert not [q for q in on_replica.captured_queries if "cards_" in q["sql"]]
    from django.db import router

    from hmskort.cards.models import Card

    assert router.db_for_write(Card) == "default"
    assert router.db_for_read(Card) == "default"
    assert card.pk


def test_without_a_replica_switched_on_the_check_reads_from_the_primary(client, settings):
    settings.HMSKORT_READ_REPLICA = False
    card = CardFactory()
    assert client.get(f"/api/v1/cards/{card.number}").status_code == 200
