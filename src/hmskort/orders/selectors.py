import datetime as dt

from django.utils import timezone

from .models import Price


def current_prices(*, on: dt.date | None = None) -> list[Price]:
    """The price in force on a date for each active card type, in the card types' order."""
    day = on or timezone.localdate()
    prices = (
        Price.objects.filter(valid_from__lte=day, card_type__is_active=True)
        .select_related("card_type")
        .order_by("card_type__sort_order", "card_type__code", "-valid_from")
    )
    seen: dict[int, Price] = {}
    for price in prices:
        seen.setdefault(price.card_type_id, price)
    return list(seen.values())
