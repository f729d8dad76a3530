import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from hmskort.cards.models import Card, CardState, CardType
from hmskort.cards.selectors import live_replacements
from hmskort.companies.models import Company
from hmskort.people.models import Person

from .models import Order, OrderLine, Price

# A card may be renewed (a new card ordered in its place) from this many days before it expires.
RENEWAL_WITHIN_DAYS = 60


def can_order_again(card: Card) -> bool:
    """A card reported lost or stolen whose replacement was cancelled or refused: a new card can
    be ordered in its place again (`orders.services.card_replacement_order`)."""
    return (
        card.state in (CardState.LOST, CardState.STOLEN)
        and not live_replacements().filter(replaces=card).exists()
    )


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


def price_in_force(card_type: CardType, *, on: dt.date | None = None) -> Price | None:
    """The price of a card type on a date (today by default): the newest row not in the future."""
    day = on or timezone.localdate()
    return (
        Price.objects.filter(card_type=card_type, valid_from__lte=day)
        .order_by("-valid_from")
        .first()
    )


@dataclass(frozen=True)
class Totals:
    count: int
    unit_ex_vat: Decimal
    vat_rate: Decimal
    ex_vat: Decimal
    vat: Decimal
    inc_vat: Decimal

    @property
    def vat_percent(self) -> Decimal:
        return (self.vat_rate * 100).normalize()


def totals(*, count: int, unit_ex_vat: Decimal, vat_rate: Decimal) -> Totals:
    """Price x count, VAT on the sum, rounded to øre."""
    cent = Decimal("0.01")
    ex_vat = (unit_ex_vat * count).quantize(cent, ROUND_HALF_UP)
    vat = (ex_vat * vat_rate).quantize(cent, ROUND_HALF_UP)
    return Totals(count, unit_ex_vat, vat_rate, ex_vat, vat, ex_vat + vat)


def order_totals(order: Order, *, count: int | None = None) -> Totals:
    """What the order costs: its cards not cancelled, at the price in force when it was placed."""
    if count is None:
        count = order.lines.filter(cancelled_at__isnull=True).count()
    return totals(count=count, unit_ex_vat=order.unit_price_ex_vat, vat_rate=order.vat_rate)


def orders_for_company(company: Company) -> QuerySet[Order]:
    """The company's orders (a sub-unit shows its main unit's), newest first, with counts."""
    return (
        Order.objects.filter(company=company.main_unit)
        .select_related("card_type")
        .annotate(
            n_lines=Count("lines"),
            n_active=Count("lines", filter=Q(lines__cancelled_at__isnull=True)),
        )
        .order_by("-placed_at", "-pk")
    )


def order_for_company(company: Company, pk: int) -> Order | None:
    return orders_for_company(company).filter(pk=pk).first()


def order_lines(order: Order) -> QuerySet[OrderLine]:
    return (
        OrderLine.objects.filter(order=order)
        .select_related("card", "holder", "photo", "identity_document")
        .order_by("pk")
    )


# What a card's state means for the order (for history pages and the demo data).
PROGRESS_PENDING = ("ordered", "awaiting_documents", "awaiting_verification", "approved")


def order_progress(order: Order, states: list[str]) -> str:
    """placed, in_progress, completed or cancelled, from the order and its cards' states."""
    if order.status == Order.Status.CANCELLED:
        return "cancelled"
    if states and all(s not in PROGRESS_PENDING and s != "in_production" for s in states):
        return "completed"
    if any(s in ("approved", "in_production", "issued") for s in states):
        return "in_progress"
    return "placed"


def line_for_card(card_id: int) -> OrderLine | None:
    return OrderLine.objects.select_related("order").filter(card_id=card_id).first()


def waiting_lines_for_holder(person_id: int) -> QuerySet[OrderLine]:
    """Cards ordered for this person that wait for their photo and photo ID."""
    return (
        OrderLine.objects.filter(
            holder_id=person_id, cancelled_at__isnull=True, card__state="awaiting_documents"
        )
        .select_related("order__company", "order__card_type", "card")
        .order_by("-pk")
    )


def card_states_for_orders(order_ids: list[int]) -> dict[int, list[str]]:
    """The card states of each order's lines (one query for a page of orders)."""
    out: dict[int, list[str]] = {}
    for order_id, state in OrderLine.objects.filter(order_id__in=order_ids).values_list(
        "order_id", "card__state"
    ):
        out.setdefault(order_id, []).append(state)
    return out


def describe_holders(holders: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Name and masked number of each holder of a draft order (one query for known persons),
    and the number of the card a renewal replaces."""
    from hmskort.cards.numbers import format_card_number
    from hmskort.identifiers import mask_national_id
    from hmskort.people.models import Person

    ids = [h["person_id"] for h in holders if h.get("person_id")]
    known = {p.pk: p for p in Person.objects.filter(pk__in=ids)}
    renewing = [h["renews_card_id"] for h in holders if h.get("renews_card_id")]
    renewed = {
        pk: format_card_number(number)
        for pk, number in Card.objects.filter(pk__in=renewing).values_list("pk", "number")
    }
    rows = []
    for holder in holders:
        person = known.get(holder.get("person_id") or 0)
        if person is not None:
            row = {"name": person.full_name, "masked": mask_national_id(person.national_id)}
            if holder.get("renews_card_id") in renewed:
                row["renews"] = renewed[holder["renews_card_id"]]
            rows.append(row)
        else:
            rows.append(
                {
                    "name": f"{holder['given_name']} {holder['family_name']}",
                    "masked": mask_national_id(holder["national_id"]),
                    "email": holder.get("email", ""),
                }
            )
    return rows


def holder_problems(
    company: Company, card_type: CardType, holders: list[dict[str, Any]]
) -> list[str]:
    """What stops a draft order, row by row, before anything is created: the same person twice,
    or a person who already has an active card of this type from this employer.

    Set-based: a fixed number of queries however many rows (CSV bulk orders).
    """
    from django.utils.translation import gettext as _

    from hmskort.cards.models import Card
    from hmskort.cards.services import ACTIVE_STATES
    from hmskort.identifiers import mask_national_id
    from hmskort.people.models import Person

    main = company.main_unit
    ids = {h["person_id"] for h in holders if h.get("person_id")}
    numbers = {h["national_id"] for h in holders if not h.get("person_id")}
    persons = list(Person.objects.filter(Q(pk__in=ids) | Q(national_id__in=numbers)))
    by_number = {p.national_id: p for p in persons}
    by_id = {p.pk: p for p in persons}
    today = timezone.localdate()
    with_card = set(
        Card.objects.filter(
            company=main,
            card_type=card_type,
            state__in=ACTIVE_STATES,
            holder_id__in=[p.pk for p in persons],
        )
        .exclude(state__in=("issued", "blocked"), expires_on__lte=today)
        .values_list("holder_id", flat=True)
    )
    problems: list[str] = []
    seen: set[str] = set()
    for holder in holders:
        if holder.get("renews_card_id"):
            # A renewal orders the new card in place of the old one (checked when placed).
            with_card.discard(holder.get("person_id") or 0)
        person = by_id.get(holder.get("person_id") or 0) or by_number.get(
            holder.get("national_id", "")
        )
        number = person.national_id if person else holder["national_id"]
        name = person.full_name if person else f"{holder['given_name']} {holder['family_name']}"
        if number in seen:
            problems.append(
                _("%(name)s (%(id)s) is in the order twice.")
                % {"name": name, "id": mask_national_id(number)}
            )
        seen.add(number)
        if person is not None and person.pk in with_card:
            problems.append(
                _(
                    "%(name)s (%(id)s) already has an active card of this type from this "
                    "employer. To get a new one, report the card lost or stolen on its page."
                )
                % {"name": name, "id": mask_national_id(number)}
            )
    return problems


def order_by_key(key: str, *, ordered_by: Person) -> Order | None:
    """The order a person placed with a form's one-time key, if any."""
    if not key:
        return None
    return Order.objects.filter(idempotency_key=key, ordered_by=ordered_by).first()


def renewable_cards(company: Company, *, today: dt.date | None = None) -> QuerySet[Card]:
    """The company's issued cards that may be renewed now: they expire within 60 days (or have
    expired) and no live card stands in their place (a cancelled or refused renewal does not).
    Soonest first."""
    today = today or timezone.localdate()
    return (
        Card.objects.filter(
            company=company.main_unit,
            state="issued",
            expires_on__lte=today + dt.timedelta(days=RENEWAL_WITHIN_DAYS),
        )
        .exclude(Exists(live_replacements().filter(replaces=OuterRef("pk"))))
        .select_related("holder", "card_type")
        .order_by("expires_on", "holder__family_name", "holder__given_name", "pk")
    )


@dataclass(frozen=True)
class OrdererContact:
    """Where the issuer writes to an orderer about an order, and in which language."""

    email: str
    language: str = "nb"


def last_orderer_contact(person: Person) -> OrdererContact | None:
    """The contact the person gave on their newest order that has one (to fill in the next)."""
    row = (
        Order.objects.filter(ordered_by=person)
        .exclude(orderer_email="")
        .order_by("-placed_at", "-pk")
        .values_list("orderer_email", "orderer_language")
        .first()
    )
    return OrdererContact(email=row[0], language=row[1]) if row else None
