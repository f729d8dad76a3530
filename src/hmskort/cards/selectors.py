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

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from hmskort.audit.models import AuditEvent
from hmskort.companies.models import Company

from .models import Card, CardStatusChange
from .numbers import InvalidCardNumber, normalise_card_number

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


def _status_of(cards: list[OverviewCard], today: dt.date) -> tuple[str, OverviewCard | None]:
    valid = [c for c in cards if c.valid and c.state == "issued"]
    if valid:
        best = max(valid, key=lambda c: c.expires_on or dt.date.max)
        soon = today + dt.timedelta(days=EXPIRING_WITHIN_DAYS)
        expiring = best.expires_on is not None and best.expires_on <= soon
        return (EXPIRING if expiring else VALID), best
    ordered = [c for c in cards if c.state in PRE_ISSUE_STATES]
    if ordered:
        return ORDERED, ordered[0]
    if cards:
        return NOT_VALID, cards[0]
    return NO_CARD, None


def employee_overview(company: Company, *, today: dt.date | None = None) -> list[EmployeeRow]:
    """Every employee of the company (a sub-unit stands for its main unit) with the status of
    their card: valid; expiring within 60 days; not valid (with the card's reasons); ordered or
    in production; no card. Employees are people with an employment in force under the main
    unit or any sub-unit, and holders of the company's live cards.

    Two queries whatever the company's size (employments, cards); sorted by name.
    """
    from hmskort.people.models import Employment

    today = today or timezone.localdate()
    main = company.main_unit
    people: dict[int, dict[str, Any]] = {}
    employments = (
        Employment.objects.filter(main_unit=main, starts_on__lte=today)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .values_list(
            "person_id",
            "person__given_name",
            "person__family_name",
            "person__birth_date",
            "employer__orgnr",
        )
    )
    for person_id, given, family, birth, orgnr in employments.iterator(chunk_size=2000):
        entry = people.setdefault(
            person_id,
            {"given": given, "family": family, "birth": birth, "units": [], "cards": []},
        )
        entry["employed"] = True
        if orgnr not in entry["units"]:
            entry["units"].append(orgnr)
    cards = (
        Card.objects.filter(company=main)
        .exclude(state__in=DEAD_STATES)
        .order_by("-created_at", "-pk")
        .values_list(
            "pk",
            "number",
            "state",
            "valid",
            "reasons",
            "card_type__code",
            "card_type__name_nb",
            "card_type__name_en",
            "expires_on",
            "validity_changed_at",
            "holder_id",
            "holder__given_name",
            "holder__family_name",
            "holder__birth_date",
        )
    )
    for row in cards.iterator(chunk_size=2000):
        *card_fields, holder_id, given, family, birth = row
        entry = people.setdefault(
            holder_id,
            {"given": given, "family": family, "birth": birth, "units": [], "cards": []},
        )
        pk, number, state, valid, reasons, code, name_nb, name_en, expires, changed = card_fields
        entry["cards"].append(
            OverviewCard(
                card_id=pk,
                number=number,
                state=state,
                valid=valid,
                reasons=tuple(reasons or ()),
                card_type_code=code,
                card_type_name_nb=name_nb,
                card_type_name_en=name_en,
                expires_on=expires,
                validity_changed_at=changed,
            )
        )
    rows = []
    for person_id, entry in people.items():
        status, card = _status_of(entry["cards"], today)
        rows.append(
            EmployeeRow(
                person_id=person_id,
                given_name=entry["given"],
                family_name=entry["family"],
                birth_date=entry["birth"],
                units=tuple(entry["units"]),
                employed=entry.get("employed", False),
                status=status,
                card=card,
            )
        )
    rows.sort(key=lambda r: (r.family_name.casefold(), r.given_name.casefold(), r.person_id))
    return rows
