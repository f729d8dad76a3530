"""Ordering cards: all or nothing, once per form, at the price in force, audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from hmskort.audit.models import AuditEvent
from hmskort.cards.models import Card, CardState, CardType
from hmskort.orders.models import Order, OrderLine, Price, UploadLink
from hmskort.orders.selectors import order_totals, price_in_force
from hmskort.orders.services import (
    Holder,
    OrderRefused,
    order_cancel,
    order_place,
)
from tests.factories import CompanyFactory, SubUnitFactory, delivery_address
from tests.orders.conftest import key, new_holder, place_order

pytestmark = pytest.mark.django_db


def test_an_order_makes_one_card_per_holder_waiting_for_photo_and_id(world):
    result = place_order(world, [Holder(person_id=world.employee.pk), new_holder()])
    order = result.order
    assert result.created
    assert order.lines.count() == 2
    states = set(Card.objects.filter(order_line__order=order).values_list("state", flat=True))
    assert states == {CardState.AWAITING_DOCUMENTS}
    assert len(result.links) == 2
    assert order.delivery_lines() == ["Acme Bygg AS", "Byggveien 2", "0150 Oslo"]
    assert AuditEvent.objects.filter(action="order.placed", object_id=str(order.pk)).exists()


def test_the_price_is_the_one_in_force_with_25_percent_vat(world):
    construction = CardType.objects.get(code="construction")
    Price.objects.create(
        card_type=construction, amount_ex_vat=Decimal("129.50"), valid_from=dt.date(2099, 1, 1)
    )
    assert price_in_force(construction).amount_ex_vat == Decimal("104.00")
    order = place_order(world, [Holder(person_id=world.employee.pk), new_holder()]).order
    totals = order_totals(order)
    assert (totals.ex_vat, totals.vat, totals.inc_vat) == (
        Decimal("208.00"),
        Decimal("52.00"),
        Decimal("260.00"),
    )
    assert price_in_force(construction, on=dt.date(2099, 6, 1)).amount_ex_vat == Decimal("129.50")


def test_submitting_the_same_form_twice_makes_one_order(world):
    form_key = key()
    kwargs = {
        "company": world.company,
        "orderer": world.manager,
        "holders": [new_holder()],
        "delivery_address": world.address,
        "idempotency_key": form_key,
    }
    first = order_place(**kwargs)
    second = order_place(**kwargs)
    assert second.order.pk == first.order.pk and not second.created
    assert Order.objects.count() == 1 and Card.objects.count() == 1


def test_a_person_without_access_cannot_order(world):
    with pytest.raises(OrderRefused):
        place_order(world, orderer=world.outsider)
    assert not Order.objects.exists()


def test_a_bad_national_id_saves_nothing(world):
    with pytest.raises(ValidationError) as error:
        place_order(
            world,
            [
                new_holder(),
                Holder(national_id="12345678901", given_name="Feil", family_name="Nummer"),
            ],
        )
    assert "national_id" in error.value.message_dict
    assert not Order.objects.exists() and not Card.objects.exists()


def test_an_address_of_another_company_is_refused(world):
    foreign = delivery_address(CompanyFactory())

    with pytest.raises(OrderRefused):
        place_order(world, delivery_address=foreign)


def test_a_second_active_card_of_the_same_type_is_refused(world):
    place_order(world, [Holder(person_id=world.employee.pk)])
    with pytest.raises(ValidationError):
        place_order(world, [Holder(person_id=world.employee.pk)])
    assert Card.objects.count() == 1


def test_a_cleaning_company_orders_cleaning_cards(world):
    world.company.card_type = CardType.objects.get(code="cleaning")
    world.company.save()
    order = place_order(world).order
    assert order.card_type.code == "cleaning"
    assert order.lines.get().card.card_type.code == "cleaning"


def test_a_sub_unit_orders_for_its_main_unit(world):
    sub = SubUnitFactory(parent=world.company)
    order = order_place(
        company=sub,
        orderer=world.manager,
        holders=[new_holder()],
        delivery_address=world.address,
        idempotency_key=key(),
    ).order
    assert order.company == world.company


def test_the_upload_link_is_emailed_in_the_recipients_language(
    world, known_to_the_register, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        place_order(world, [new_holder(email="nina@example.com", language="en")])
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nina@example.com"]
    assert message.subject == "Upload your photo and photo ID for your HSE card"
    assert "Acme Bygg AS" in message.body and "/en/" in message.body


def test_cancelling_before_production_terminates_the_cards(world):
    order = place_order(world, [new_holder(), Holder(person_id=world.employee.pk)]).order
    assert order_cancel(order=order, orderer=world.manager) == 2
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert set(Card.objects.values_list("state", flat=True)) == {CardState.TERMINATED}
    assert not UploadLink.objects.filter(revoked_at__isnull=True).exists()
    assert order_totals(order).inc_vat == Decimal("0.00")
    # Cancelling again changes nothing.
    assert order_cancel(order=order, orderer=world.manager) == 0


def test_a_card_in_production_cannot_be_cancelled(world):
    from hmskort.audit.services import Actor
    from hmskort.cards.services import card_transition

    order = place_order(world).order
    card = OrderLine.objects.get(order=order).card
    staff = Actor.staff("issuer")
    for state in (CardState.AWAITING_VERIFICATION, CardState.APPROVED, CardState.IN_PRODUCTION):
        card = card_transition(card=card, to_state=state, actor=staff)
    with pytest.raises(OrderRefused):
        order_cancel(order=order, orderer=world.manager)
    assert Card.objects.get().state == CardState.IN_PRODUCTION
