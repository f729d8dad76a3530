"""A renewal or a lost/stolen replacement that is cancelled (or refused) does not stand in for the
card: the card can be renewed or replaced again. A live replacement still blocks a second one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from hmskort.audit.services import Actor
from hmskort.cards import services as cards
from hmskort.cards.models import Card, CardState
from hmskort.orders.selectors import can_order_again, renewable_cards
from hmskort.orders.services import (
    OrderRefused,
    card_replacement_order,
    card_report_and_replace,
    order_cancel,
)
from tests.factories import CardFactory
from tests.orders.conftest import key, renew_cards

pytestmark = pytest.mark.django_db

STAFF = Actor.staff("test-staff")


def _expiring_card(world, days=40):
    return CardFactory(
        holder=world.employee,
        company=world.company,
        expires_on=timezone.localdate() + dt.timedelta(days=days),
    )


def _renew(world, card):
    return renew_cards(world, [card.pk]).order


def _report_lost(world, card, report="lost"):
    return card_report_and_replace(
        card=card,
        report=report,
        orderer=world.manager,
        delivery_address=world.address,
        idempotency_key=key(),
    ).order


def test_a_card_whose_renewal_was_cancelled_can_be_renewed_again(world):
    card = _expiring_card(world)
    order_cancel(order=_renew(world, card), orderer=world.manager)
    assert list(renewable_cards(world.company)) == [card]

    again = _renew(world, card)

    renewal = again.lines.get().card
    assert renewal.replaces == card
    assert renewal.state != CardState.TERMINATED
    assert list(renewable_cards(world.company)) == []


def test_a_card_whose_renewal_was_refused_by_the_issuer_can_be_renewed_again(world):
    card = _expiring_card(world)
    refused = _renew(world, card).lines.get().card
    cards.card_reject(card=refused, actor=STAFF, note="photo never came")

    again = _renew(world, card)

    assert again.lines.get().card.replaces == card


def test_a_lost_card_whose_replacement_was_cancelled_can_be_replaced_again(world):
    card = _expiring_card(world, days=400)
    order_cancel(order=_report_lost(world, card), orderer=world.manager)
    card.refresh_from_db()
    assert card.state == CardState.LOST

    new = cards.card_replace(card=card, actor=STAFF)

    assert new.replaces == card
    assert Card.objects.filter(replaces=card).count() == 2


def test_a_stolen_card_whose_replacement_was_cancelled_gets_a_new_order_in_its_place(world):
    card = _expiring_card(world, days=400)
    order_cancel(order=_report_lost(world, card, "stolen"), orderer=world.manager)
    card.refresh_from_db()
    assert can_order_again(card)

    again = card_replacement_order(
        card=card, orderer=world.manager, delivery_address=world.address, idempotency_key=key()
    )

    assert again.order.kind == "replacement"
    assert again.order.lines.get().card.replaces == card
    card.refresh_from_db()
    assert card.state == CardState.STOLEN and not can_order_again(card)


def test_a_new_card_in_place_of_one_not_reported_lost_is_refused(world):
    card = _expiring_card(world, days=400)

    with pytest.raises(OrderRefused):
        card_replacement_order(
            card=card, orderer=world.manager, delivery_address=world.address, idempotency_key=key()
        )

    assert not Card.objects.filter(replaces=card).exists()


def test_a_live_renewal_still_blocks_a_second_one(world):
    card = _expiring_card(world)
    _renew(world, card)

    with pytest.raises(OrderRefused):
        _renew(world, card)
    with pytest.raises(ValidationError):
        cards.card_replace(card=card, actor=STAFF)
    assert Card.objects.filter(replaces=card).count() == 1


def test_the_database_refuses_two_live_replacements_of_one_card(world):
    card = _expiring_card(world)
    first = _renew(world, card).lines.get().card

    with pytest.raises(IntegrityError), transaction.atomic():
        CardFactory(holder=world.employee, company=world.company, replaces=card, state="ordered")
    cards.card_terminate(card=first, actor=STAFF, note="order cancelled")
    second = CardFactory(
        holder=world.employee, company=world.company, replaces=card, state="ordered"
    )
    assert set(Card.objects.filter(replaces=card)) == {first, second}
