"""Two orderers at once: one card per person and employer; one order per form key.

Real concurrency needs PostgreSQL (SQLite runs one writer at a time, so it cannot race)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from hmskort.cards.models import Card
from hmskort.companies.models import Delegation
from hmskort.orders.models import Order
from hmskort.orders.services import order_place
from tests.factories import PersonFactory
from tests.orders.conftest import key, new_holder

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.usefixtures("known_to_the_register"),
]


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # the loser's refusal is part of the result
            results[i] = exc
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_orderers_ordering_the_same_person_at_once_make_one_card(world):
    colleague = PersonFactory(given_name="Kari", family_name="Kollega")
    Delegation.objects.create(
        company=world.company,
        national_id=colleague.national_id,
        grantee_name="Kari Kollega",
        granted_by_national_id=world.manager.national_id,
    )
    holder = new_holder(serial=11)

    def place(orderer):
        return lambda: order_place(
            company=world.company,
            orderer=orderer,
            holders=[holder],
            delivery_address=world.address,
            idempotency_key=key(),
        )

    results = _race(place(world.manager), place(colleague))
    assert Card.objects.count() == 1
    assert Order.objects.count() == 1
    assert sum(isinstance(r, Exception) for r in results) == 1


def test_the_same_form_submitted_twice_at_once_makes_one_order(world):
    form_key = key()

    def place():
        return order_place(
            company=world.company,
            orderer=world.manager,
            holders=[new_holder(serial=12)],
            delivery_address=world.address,
            idempotency_key=form_key,
        )

    first, second = _race(place, place)
    assert not isinstance(first, Exception) and not isinstance(second, Exception), (first, second)
    assert first.order.pk == second.order.pk
    assert Order.objects.count() == 1 and Card.objects.count() == 1
