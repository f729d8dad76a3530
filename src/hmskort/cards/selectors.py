"""Reads of cards for the employer's and the issuer's pages.

The card check (page, QR landing, API) has its own one lookup path, `cards.lookup`, by the
unique indexes on `number` and `qr_token`; nothing here looks a card up by number or token.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from hmskort.companies.models import Company

from .models import Card, CardStatusChange

_RELATED = ("card_type", "holder", "company")


def cards_for_company(
    company: Company,
    *,
    valid: bool | None = None,
    states: list[str] | tuple[str, ...] | None = None,
    card_type: str | None = None,
    holder_id: int | None = None,
) -> QuerySet[Card]:
    """The cards of a company (a sub-unit stands for its main unit), newest first."""
    main = company.main_unit
    qs = Card.objects.select_related(*_RELATED).filter(company=main)
    if valid is not None:
        qs = qs.filter(valid=valid)
    if states:
        qs = qs.filter(state__in=states)
    if card_type:
        qs = qs.filter(card_type__code=card_type)
    if holder_id is not None:
        qs = qs.filter(holder_id=holder_id)
    return qs.order_by("-created_at", "-pk")


def cards_for_person(person_id: int) -> QuerySet[Card]:
    return (
        Card.objects.select_related(*_RELATED)
        .filter(holder_id=person_id)
        .order_by("-created_at", "-pk")
    )


def card_status_history(card: Card) -> QuerySet[CardStatusChange]:
    """Every change of the card's validity or reasons, newest first."""
    return CardStatusChange.objects.filter(card=card).order_by("-at", "-pk")


def invalid_since(card: Card) -> CardStatusChange | None:
    """The status change that made the card invalid as it is now (since when, and why)."""
    if card.valid:
        return None
    return card_status_history(card).first()


def card_numbers(card_ids) -> dict[int, str]:
    """Card number by id, for the given ids (one query)."""
    ids = [int(i) for i in card_ids]
    return dict(Card.objects.filter(pk__in=ids).values_list("pk", "number")) if ids else {}


def validity_counts(company) -> dict[str, int]:
    """How many of a company's cards are valid and not valid: {"n_valid", "n_not_valid"}."""
    return (
        cards_for_company(company)
        .order_by()
        .aggregate(
            n_valid=Count("pk", filter=Q(valid=True)),
            n_not_valid=Count("pk", filter=Q(valid=False)),
        )
    )
