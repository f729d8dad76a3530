"""Administrators manage prices with effective dates; an order uses the price of its day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from hmskort.cards.models import CardType
from hmskort.orders.models import Price
from hmskort.orders.selectors import current_prices

pytestmark = pytest.mark.django_db

URL = "/kontor/priser/"


@pytest.fixture
def admin(staff_client):
    return staff_client("administrator", "ada")


def test_the_price_list_shows_the_history_and_the_price_in_force(admin):
    page = admin.get(URL).content.decode()

    assert "104.00" in page or "104,00" in page
    assert "Gjelder" in page


def test_an_administrator_schedules_a_new_price_and_it_applies_from_its_date(admin):
    construction = CardType.objects.get(code="construction")
    start = timezone.localdate() + dt.timedelta(days=10)

    response = admin.post(
        URL,
        {"card_type": construction.pk, "amount_ex_vat": "139.00", "valid_from": start.isoformat()},
        follow=True,
    )

    assert "Prisen er lagret." in response.content.decode()
    price = Price.objects.get(card_type=construction, valid_from=start)
    assert price.amount_ex_vat == Decimal("139.00")
    assert price.amount_inc_vat == Decimal("173.75")
    today_price = next(p for p in current_prices() if p.card_type == construction)
    assert today_price.amount_ex_vat != Decimal("139.00")
    later = next(p for p in current_prices(on=start) if p.card_type == construction)
    assert later.amount_ex_vat == Decimal("139.00")


def test_a_price_cannot_start_in_the_past_and_nothing_is_saved(admin):
    construction = CardType.objects.get(code="construction")
    before = Price.objects.count()

    response = admin.post(
        URL,
        {"card_type": construction.pk, "amount_ex_vat": "99", "valid_from": "2020-01-01"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="error-summary"' in page
    assert "En ny pris gjelder tidligst fra i dag." in page
    assert Price.objects.count() == before
