"""Reads of cards for the employer's and the issuer's pages.

The card check (page, QR landing, API) has its own one lookup path, `cards.lookup`, by the
unique indexes on `number` and `qr_token`; nothing here looks a card up by token, and only the
staff's search (`cards_matching`) finds cards by number, among other keys.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from hmskort.audit.models import AuditEvent
from hmskort.companies.models import Company
from hmskort.people.models import Employment, Person

from .models import DEAD_REPLACEMENT_STATES, Card, CardStatusChange
from .numbers import InvalidCardNumber, normalise_card_number

_RELATED = ("card_type", "holder", "company")


def live_replacements() -> QuerySet[Card]:
    """Cards ordered in place of another card that still stand in for it (at most one per card,
    `.filter(replaces=…)`): a renewal or a replacement that was cancelled or refused does not."""
    return Card.objects.filter(replaces__isnull=False).exclude(state__in=DEAD_REPLACEMENT_STATES)


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


def card_numbers(card_ids: Iterable[int | str]) -> dict[int, str]:
    """Card number by id, for the given ids (one query)."""
    ids = [int(i) for i in card_ids]
    return dict(Card.objects.filter(pk__in=ids).values_list("pk", "number")) if ids else {}


def validity_counts(company: Company) -> dict[str, int]:
    """How many of a company's live cards are valid and not valid: {"n_valid", "n_not_valid"}
    (replaced, terminated and rejected cards count in neither)."""
    return (
        cards_for_company(company)
        .exclude(state__in=DEAD_STATES)
        .order_by()
        .aggregate(
            n_valid=Count("pk", filter=Q(valid=True)),
            n_not_valid=Count("pk", filter=Q(valid=False)),
        )
    )


def cards_by_state_and_validity() -> dict[tuple[str, bool], int]:
    """How many cards there are in each (state, valid) pair, over every company (one grouped
    query; for the operations metrics)."""
    rows = Card.objects.values_list("state", "valid").annotate(n=Count("id")).order_by()
    return {(state, valid): n for state, valid, n in rows}


def cards_matching(query: str, *, limit: int = 50) -> list[Card]:
    """Cards found by card number, the holder's national ID number, the holder's name, or the
    employer's organisation number, newest first."""
    from hmskort.identifiers import InvalidIdentifier, parse_orgnr

    query = query.strip()
    digits = query.replace(" ", "").replace("-", "")
    qs = Card.objects.select_related(*_RELATED)
    if digits.isascii() and digits.isdigit():
        condition = Q(holder__national_id=digits)
        with contextlib.suppress(InvalidCardNumber):
            condition |= Q(number=normalise_card_number(digits))
        with contextlib.suppress(InvalidIdentifier):
            condition |= Q(company__orgnr=parse_orgnr(digits))
        qs = qs.filter(condition)
    elif len(query) >= 2:
        for word in query.split()[:4]:
            qs = qs.filter(
                Q(holder__given_name__icontains=word) | Q(holder__family_name__icontains=word)
            )
    else:
        return []
    return list(qs.order_by("-created_at", "-pk")[:limit])


def card_by_id(card_id: int) -> Card | None:
    return Card.objects.select_related(*_RELATED).filter(pk=card_id).first()


def card_history(card: Card) -> QuerySet[AuditEvent]:
    """Every audit event recorded against the card, newest first."""
    return AuditEvent.objects.filter(object_type="cards.card", object_id=str(card.pk)).order_by(
        "-at", "-id"
    )


# --- The employer's overview: every employee and the state of their card ----------------------

# Cards that no longer stand for anyone's card: a newer card replaced it, it was terminated, or the
# order was rejected. Counts and the overview leave them out.
DEAD_STATES = ("replaced", "terminated", "rejected")
PRE_ISSUE_STATES = (
    "ordered",
    "awaiting_documents",
    "awaiting_verification",
    "approved",
    "in_production",
)
EXPIRING_WITHIN_DAYS = 60

# The overview's statuses, most urgent first (the default order of "status" sorting).
NOT_VALID, EXPIRING, ORDERED, NO_CARD, VALID = (
    "not_valid",
    "expiring",
    "ordered",
    "no_card",
    "valid",
)
STATUSES = (NOT_VALID, EXPIRING, NO_CARD, ORDERED, VALID)


@dataclass(frozen=True)
class OverviewCard:
    card_id: int
    number: str
    state: str
    valid: bool
    reasons: tuple[str, ...]
    card_type_code: str
    card_type_name_nb: str
    card_type_name_en: str
    expires_on: dt.date | None
    validity_changed_at: dt.datetime | None


@dataclass(frozen=True)
class EmployeeRow:
    """One employee of the company: from an employment in force or a live card (or both)."""

    person_id: int
    given_name: str
    family_name: str
    birth_date: dt.date | None
    units: tuple[str, ...]  # the orgnrs of the units employing them now (main or sub-units)
    employed: bool
    status: str
    card: OverviewCard | None  # the card the status speaks of

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


# Where an employee's status comes from: their live cards at the company, the one the status speaks
# of first. A valid issued card leads (the one that lasts longest; no expiry date lasts longest),
# then an ordered card, then any other live card; newest first within each.
def _live_cards(main: Company, person: Any) -> QuerySet[Card]:
    return Card.objects.filter(company=main, holder=person).exclude(state__in=DEAD_STATES)


def _status_card(main: Company) -> QuerySet[Card]:
    valid_issued = Q(valid=True, state="issued")
    return _live_cards(main, OuterRef("pk")).order_by(
        Case(
            When(valid_issued, then=Value(0)),
            When(state__in=PRE_ISSUE_STATES, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        Case(When(valid_issued, then=F("expires_on")), default=None).desc(nulls_first=True),
        F("created_at").desc(),
        F("pk").desc(),
    )


def _status_value(code: str, *, rank: bool = False) -> Value:
    """The status as its code, or as its place in STATUSES (most urgent first) to sort by."""
    return Value(STATUSES.index(code)) if rank else Value(code)


def _status_case(*, lasting: Q, valid: Q, ordered: Q, rank: bool = False) -> Case:
    return Case(
        When(lasting, then=_status_value(VALID, rank=rank)),
        When(valid, then=_status_value(EXPIRING, rank=rank)),
        When(ordered, then=_status_value(ORDERED, rank=rank)),
        default=_status_value(NOT_VALID, rank=rank),
        output_field=IntegerField() if rank else CharField(),
    )


def _valid_issued() -> Q:
    return Q(valid=True, state="issued")


def _lasting(today: dt.date) -> Q:
    soon = today + dt.timedelta(days=EXPIRING_WITHIN_DAYS)
    return _valid_issued() & (Q(expires_on__isnull=True) | Q(expires_on__gt=soon))


def _status_expression(main: Company, today: dt.date, *, rank: bool = False) -> Coalesce:
    """The status of the employee in the outer query: that of the card it speaks of (one
    correlated subquery, by the index on the card's holder)."""
    status = _status_case(
        lasting=_lasting(today),
        valid=_valid_issued(),
        ordered=Q(state__in=PRE_ISSUE_STATES),
        rank=rank,
    )
    return Coalesce(
        Subquery(_status_card(main).annotate(status=status).values("status")[:1]),
        _status_value(NO_CARD, rank=rank),
        output_field=IntegerField() if rank else CharField(),
    )


def _holder_statuses(main: Company, today: dt.date) -> QuerySet[Card, dict[str, Any]]:
    """One row per holder of a live card of the main unit: `holder_id`, `status` (grouped in
    the database: the same status `_status_expression` gives, without a query per person)."""

    def flag(condition: Q) -> Max:
        return Max(Case(When(condition, then=Value(1)), default=Value(0)))

    return (
        Card.objects.filter(company=main)
        .exclude(state__in=DEAD_STATES)
        .values("holder_id")
        .annotate(
            has_lasting=flag(_lasting(today)),
            has_valid=flag(_valid_issued()),
            has_ordered=flag(Q(state__in=PRE_ISSUE_STATES)),
        )
        .annotate(
            status=_status_case(
                lasting=Q(has_lasting=1),
                valid=Q(has_valid=1),
                ordered=Q(has_ordered=1),
            )
        )
        .order_by()
    )


def _in_force(today: dt.date) -> Q:
    return Q(starts_on__lte=today) & (Q(ends_on__isnull=True) | Q(ends_on__gte=today))


def _employees(main: Company, today: dt.date) -> QuerySet[Person]:
    """Every employee of the main unit: people with an employment in force under it or any of
    its sub-units, and holders of its live cards (one set: the index on people's keys finds
    them, however many people there are)."""
    employed = Employment.objects.filter(_in_force(today), main_unit=main).values("person_id")
    holders = Card.objects.filter(company=main).exclude(state__in=DEAD_STATES).values("holder_id")
    return Person.objects.filter(pk__in=employed.order_by().union(holders.order_by()))


SORTS = ("name", "status", "expires")


def employee_overview(
    company: Company,
    *,
    status: str = "",
    unit: str = "",
    card_type: str = "",
    q: str = "",
    sort: str = "name",
    today: dt.date | None = None,
) -> QuerySet[Person]:
    """The employees of the company (a sub-unit stands for its main unit), filtered and sorted
    in the database, each annotated with `status` (valid; expiring within 60 days; not valid;
    ordered or in production; no card) and `card_id` (the card the status speaks of).

    Filters: status, unit (orgnr of the main unit or a sub-unit employing them now), card type
    (of the card the status speaks of), q (every word in the name). Sorts: name; status, most
    urgent first, then name; expiry date, soonest first, then name. Slice the queryset for a
    page and hand the page to `employee_rows`; counting it is one query.
    """
    today = today or timezone.localdate()
    main = company.main_unit
    people = _employees(main, today).annotate(
        status=_status_expression(main, today),
        card_id=Subquery(_status_card(main).values("pk")[:1]),
    )
    # A status filter goes through the holders grouped by status (one pass over the cards).
    if status == NO_CARD:
        holders = _holder_statuses(main, today).values("holder_id")
        people = people.exclude(pk__in=holders)
    elif status in STATUSES:
        holders = _holder_statuses(main, today).filter(Q(status=status)).values("holder_id")
        people = people.filter(pk__in=holders)
    if unit:
        people = people.filter(
            Exists(
                Employment.objects.filter(
                    _in_force(today),
                    main_unit=main,
                    employer__orgnr=unit,
                    person=OuterRef("pk"),
                )
            )
        )
    if card_type:
        people = people.annotate(
            card_type_code=Subquery(_status_card(main).values("card_type__code")[:1])
        ).filter(card_type_code=card_type)
    for word in q.split():
        people = people.filter(Q(given_name__icontains=word) | Q(family_name__icontains=word))
    by_name = (Lower("family_name"), Lower("given_name"), "pk")
    if sort == "status":
        return people.order_by(_status_expression(main, today, rank=True), *by_name)
    if sort == "expires":
        expires = Subquery(_status_card(main).values("expires_on")[:1])
        return people.annotate(card_expires_on=expires).order_by(
            F("card_expires_on").asc(nulls_last=True), *by_name
        )
    return people.order_by(*by_name)


def employee_status_counts(company: Company, *, today: dt.date | None = None) -> dict[str, int]:
    """How many of the company's employees have each status (two queries whatever the size)."""
    today = today or timezone.localdate()
    main = company.main_unit
    with_card = _holder_statuses(main, today).aggregate(
        **{code: Count("holder_id", filter=Q(status=code)) for code in STATUSES if code != NO_CARD}
    )
    everyone = _employees(main, today).count()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(with_card)
    counts[NO_CARD] = everyone - sum(with_card.values())
    return counts


def employee_rows(
    company: Company, people: Iterable[Person], *, today: dt.date | None = None
) -> list[EmployeeRow]:
    """The rows of a page of `employee_overview`: two queries whatever the page's size (the
    cards the statuses speak of, the employments in force)."""
    today = today or timezone.localdate()
    main = company.main_unit
    people = list(people)
    card_ids = [p.card_id for p in people if p.card_id is not None]  # type: ignore[attr-defined]
    cards = {
        card.pk: card for card in Card.objects.filter(pk__in=card_ids).select_related("card_type")
    }
    units: dict[int, list[str]] = {}
    employments = (
        Employment.objects.filter(
            _in_force(today), main_unit=main, person__in=[p.pk for p in people]
        )
        .order_by("pk")
        .values_list("person_id", "employer__orgnr")
    )
    for person_id, orgnr in employments:
        orgnrs = units.setdefault(person_id, [])
        if orgnr not in orgnrs:
            orgnrs.append(orgnr)
    rows = []
    for person in people:
        card = cards.get(person.card_id)  # type: ignore[attr-defined]
        rows.append(
            EmployeeRow(
                person_id=person.pk,
                given_name=person.given_name,
                family_name=person.family_name,
                birth_date=person.birth_date,
                units=tuple(units.get(person.pk, ())),
                employed=person.pk in units,
                status=person.status,  # type: ignore[attr-defined]
                card=None
                if card is None
                else OverviewCard(
                    card_id=card.pk,
                    number=card.number,
                    state=card.state,
                    valid=card.valid,
                    reasons=tuple(card.reasons or ()),
                    card_type_code=card.card_type.code,
                    card_type_name_nb=card.card_type.name_nb,
                    card_type_name_en=card.card_type.name_en,
                    expires_on=card.expires_on,
                    validity_changed_at=card.validity_changed_at,
                ),
            )
        )
    return rows
