"""Two orderers at once: one card per person and employer; one order per form key.

Real concurrency: PostgreSQL only (tests.orders.conftest.CONCURRENT)."""

from __future__ import annotations

from hmskort.cards.models import Card
from hmskort.companies.models import Delegation
from hmskort.orders.models import Order
from tests.factories import PersonFactory
from tests.orders.conftest import CONCURRENT, key, new_holder, place_order, race

pytestmark = CONCURRENT


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
        return lambda: place_order(world, [holder], orderer=orderer)

    results = race(place(world.manager), place(colleague))
    assert Card.objects.count() == 1
    assert Order.objects.count() == 1
    assert sum(isinstance(r, Exception) for r in results) == 1


def test_the_same_form_submitted_twice_at_once_makes_one_order(world):
    form_key = key()

    def place():
        return place_order(world, [new_holder(serial=12)], idempotency_key=form_key)

    first, second = race(place, place)
    assert not isinstance(first, Exception) and not isinstance(second, Exception), (first, second)
    assert first.order.pk == second.order.pk
    assert Order.objects.count() == 1 and Card.objects.count() == 1
