"""Card prices with effective dates, managed by the issuer's administrators.

A price applies from its date on until the next one; an order uses the price in force on the
day it is placed. Prices already in force are history and never change: a new price starts
today at the earliest.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from hmskort.audit.services import Actor, record
from hmskort.cards.models import CardType

from .models import Price


def price_list() -> QuerySet[Price]:
    """Every price of every card type, newest date first within each type."""
    return Price.objects.select_related("card_type").order_by(
        "card_type__sort_order", "card_type__code", "-valid_from"
    )


@transaction.atomic
def price_schedule(
    *, card_type: CardType, amount_ex_vat: Decimal, valid_from: dt.date, actor: Actor
) -> Price:
    """Add a price for a card type from a date (today or later), VAT 25 %."""
    errors: dict[str, str] = {}
    if valid_from < timezone.localdate():
        errors["valid_from"] = _("A new price starts today at the earliest.")
    if amount_ex_vat <= 0 or amount_ex_vat >= Decimal("100000"):
        errors["amount_ex_vat"] = _("Give a price above 0 and below 100 000 NOK.")
    if Price.objects.filter(card_type=card_type, valid_from=valid_from).exists():
        errors["valid_from"] = _("This card type already has a price from that day.")
    if errors:
        raise ValidationError(errors)
    price = Price.objects.create(
        card_type=card_type,
        amount_ex_vat=amount_ex_vat.quantize(Decimal("0.01")),
        valid_from=valid_from,
    )
    record(
        actor=actor,
        action="price.scheduled",
        target=price,
        data={
            "card_type": card_type.code,
            "amount_ex_vat": str(price.amount_ex_vat),
            "valid_from": valid_from.isoformat(),
        },
    )
    return price
